/**
 * The per-pool account, whole path: POOLS=stratum+tcp://acctB:pw@127.0.0.1:PORT. Miners
 * authorize as `farm.N` with password `x`; the pool only lets `acctB.N` with password `pw` in
 * (pool-sim's allow-list and password), so every accepted share proves the rewrite reached the
 * pool. The proxy's metrics keep the miners' own names: client_id is `farm.N`.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim } from '@stratum-relay/pool-sim';
import { proxyClientIds, proxyWorkerTally, scrapeMetrics, shareTally, startProxyProcess, waitFor, type ProxyProcess } from '../src';

const MINERS = 5;
const ACCOUNT = 'acctB';
const PASSWORD = 'pw';
const SEED = 66;

describe('whole path: the account of a pool URL replaces the miners\' account at that pool', () => {
  let pool: PoolSim;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;
  let poolName = '';

  beforeAll(async () => {
    pool = new PoolSim({
      profile: 'easy',
      difficulty: 0.000001,
      seed: SEED,
      password: PASSWORD,
      allowlist: Array.from({ length: MINERS }, (_, i) => `${ACCOUNT}.${i + 1}`),
    });
    const { port } = await pool.listen();
    poolName = `127.0.0.1:${port}`;
    proxy = await startProxyProcess({ pools: [`stratum+tcp://${ACCOUNT}:${PASSWORD}@${poolName}`], env: { MAX_CLIENT_IDS: 'none' } });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await proxy?.stop();
    await pool?.close();
  }, 60_000);

  it('the pool sees acctB.<suffix> for every authorize and submit, /metrics keeps farm.<suffix>, and the counts agree worker by worker', async () => {
    const p = proxy as ProxyProcess;
    farm = new MinerFarm({ url: `127.0.0.1:${p.proxyPort}`, miners: MINERS, user: 'farm', password: 'x', hashrate: 10_000, seed: SEED, shares: 30, durationMs: 45_000, stopGraceMs: 5_000 });
    await farm.start();
    await farm.whenDone();
    const summary = await farm.stop();
    const metrics = await waitFor(
      async () => {
        const m = await scrapeMetrics(p.metricsPort);
        return m.sum('stratum_active_connections') === 0 ? m : undefined;
      },
      { timeoutMs: 20_000, what: 'every connection to be gone', context: p.logs },
    );
    const truth = pool.stats();

    // The pool authorized and credited only the configured account: no authorize failed.
    expect(summary.authorizeFailures).toBe(0);
    expect(summary.accepted).toBeGreaterThan(0);
    const poolWorkers = Object.keys(truth.workers).sort();
    expect(poolWorkers.length).toBeGreaterThan(0);
    for (const w of poolWorkers) expect(w).toMatch(new RegExp(`^${ACCOUNT}\\.[1-${MINERS}]$`));

    // The proxy labels the miners' own names, never the rewritten ones.
    const withSubmits = proxyClientIds(metrics).filter((id) => proxyWorkerTally(metrics, id).submits > 0);
    expect(withSubmits.every((id) => id.startsWith('farm.'))).toBe(true);
    expect(metrics.labelValues('stratum_submits_total', 'client_id').some((id) => id.startsWith(`${ACCOUNT}.`))).toBe(false);

    // Worker by worker: farm.N on /metrics is acctB.N at the pool.
    for (const id of withSubmits) {
      const suffix = id.slice('farm.'.length);
      const want = shareTally(truth.workers[`${ACCOUNT}.${suffix}`] ?? { accepted: 0 });
      const got = proxyWorkerTally(metrics, id, poolName);
      expect({ id, accepted: got.accepted, rejected: got.rejected }).toEqual({ id, accepted: want.accepted, rejected: want.rejected });
    }
    expect(metrics.sum('stratum_accepted_shares_total', { pool_host: poolName })).toBe(truth.totals.accepted);

    // Every authorize and submit line was rewritten, none had to be passed unchanged.
    const rewritten = metrics.get('stratum_account_rewrites_total', { pool_host: poolName, result: 'rewritten' });
    expect(rewritten).toBe(MINERS + metrics.sum('stratum_submits_total'));
    expect(metrics.get('stratum_account_rewrites_total', { pool_host: poolName, result: 'unsafe' })).toBe(0);
  }, 60_000);
});
