/**
 * miner-sim → stratum-proxy (real child process) → pool-sim: after a bounded run with every kind
 * of reject, the proxy's /metrics equal the pool's ground truth and the miners' own counts,
 * worker by worker, exactly.
 */
import { MinerFarm, type MinerSummary } from '@stratum-relay/miner-sim';
import { PoolSim, type PoolStats } from '@stratum-relay/pool-sim';
import {
  RawMiner,
  SHARE_REJECT_REASONS,
  proxyClientIds,
  proxyTotals,
  proxyWorkerTally,
  rejectedTotal,
  scrapeMetrics,
  shareTally,
  startProxyProcess,
  waitFor,
  type MetricSamples,
  type ProxyProcess,
} from '../src';

/** ~8,600 hashes per share: a few shares per second per miner at 25 kH/s. */
const DIFFICULTY = 0.000002;
const SHARES = 120;
/** The worker name a raw miner claims in a submit sent before any mining.authorize. */
const PRE_AUTH_WORKER = 'ghost.pre';

describe('whole path: share accounting', () => {
  let pool: PoolSim;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;
  const raws: RawMiner[] = [];

  beforeAll(async () => {
    pool = new PoolSim({ profile: 'easy', difficulty: DIFFICULTY, seed: 7, jobIntervalMs: 4_000 });
    const { port } = await pool.listen();
    proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: port, env: { MAX_CLIENT_IDS: 'none' } });
  }, 60_000);

  afterAll(async () => {
    for (const r of raws) r.destroy();
    await farm?.stop();
    await proxy?.stop();
    await pool?.close();
  }, 60_000);

  /** Subscribe, a submit before authorize (unauthorized), authorize, then malformed submits (other). */
  async function rawMinerRejects(port: number): Promise<number> {
    const raw = await RawMiner.connect(port);
    raws.push(raw);
    await raw.request(1, 'mining.subscribe', ['raw/1.0']);
    await raw.waitForResponse(1);
    await raw.request(2, 'mining.submit', [PRE_AUTH_WORKER, 'feed', '00000000', '5f5e1000', '00000000']);
    expect((await raw.waitForResponse(2))['error']).toEqual([24, expect.any(String), null]);
    await raw.request(3, 'mining.authorize', ['raw.1', 'x']);
    expect((await raw.waitForResponse(3))['result']).toBe(true);
    await raw.request(4, 'mining.submit', ['raw.1', 'feed']);
    await raw.request(5, 'mining.submit', ['raw.1', 'feed', 'zz', '5f5e1000', '00000000']);
    for (const id of [4, 5]) expect((await raw.waitForResponse(id))['error']).toEqual([20, expect.any(String), null]);
    await raw.end();
    return 3;
  }

  it('counts every worker exactly as the pool and the miners did, reject reasons included', async () => {
    const p = proxy as ProxyProcess;
    const rawSubmits = await rawMinerRejects(p.proxyPort);

    farm = new MinerFarm({
      url: `stratum+tcp://127.0.0.1:${p.proxyPort}`,
      miners: 4,
      user: 'acct',
      hashrate: 25_000,
      seed: 11,
      shares: SHARES,
      durationMs: 90_000,
      stopGraceMs: 10_000,
      // Each mode fires on its miner's first opportunity (so every reason shows up), then now and then.
      faults: [
        { mode: 'invalid_nonce', count: 1 },
        { mode: 'invalid_nonce', probability: 0.05 },
        { mode: 'stale', count: 1 },
        { mode: 'stale', probability: 0.05 },
        { mode: 'duplicate', count: 1 },
        { mode: 'duplicate', probability: 0.05 },
        { mode: 'malformed', count: 1 },
      ],
    });
    let tipAdvanced = false;
    farm.events.on('share', () => {
      // One block change mid-run: jobs in flight turn stale the natural way too.
      if (!tipAdvanced && farm !== undefined && farm.progress().accepted >= SHARES / 3) {
        tipAdvanced = true;
        pool.advanceTip();
      }
    });
    await farm.start();
    await farm.whenDone();
    const summary: MinerSummary = await farm.stop();

    // Everyone has left: the proxy closed every connection and the pool every session.
    await waitFor(async () => (await scrapeMetrics(p.metricsPort)).sum('stratum_active_connections') === 0, {
      timeoutMs: 20_000,
      what: 'the proxy to have no open connection',
      context: p.logs,
    });
    await waitFor(() => pool.stats().sessions.open === 0, { timeoutMs: 20_000, what: 'the pool to have no open session' });

    const truth: PoolStats = pool.stats();
    const metrics: MetricSamples = await scrapeMetrics(p.metricsPort);
    expect(summary.accepted + summary.rejected).toBeGreaterThanOrEqual(SHARES);
    expect(summary.timeouts + summary.unanswered).toBe(0);

    // The pool's ground truth, under the label the proxy uses: a submit before authorize counts
    // under client_id="unknown" (the proxy learns the worker name from mining.authorize only).
    const expected = new Map<string, ReturnType<typeof shareTally> & { acceptedDifficulty: number }>();
    for (const [worker, stats] of Object.entries(truth.workers)) {
      expected.set(worker === PRE_AUTH_WORKER ? 'unknown' : worker, { ...shareTally(stats), acceptedDifficulty: stats.acceptedDifficulty });
    }
    const withShares = proxyClientIds(metrics).filter((id) => {
      const t = proxyWorkerTally(metrics, id);
      return t.submits + t.accepted + rejectedTotal(t) > 0;
    });
    expect(withShares.sort()).toEqual([...expected.keys()].sort());

    for (const [clientId, want] of expected) {
      const got = proxyWorkerTally(metrics, clientId);
      expect({ clientId, accepted: got.accepted, rejected: got.rejected }).toEqual({ clientId, accepted: want.accepted, rejected: want.rejected });
      expect(Math.abs(got.acceptedDifficulty - want.acceptedDifficulty)).toBeLessThanOrEqual(1e-9 * Math.max(1, want.acceptedDifficulty));
      // Nothing went unanswered, so every submit is an accept or a reject.
      expect({ clientId, submits: got.submits }).toEqual({ clientId, submits: got.accepted + rejectedTotal(got) + got.timeouts });
      expect(got.timeouts).toBe(0);
    }

    // The miners' own books agree, miner by miner.
    for (const m of summary.perMiner) {
      const got = proxyWorkerTally(metrics, m.worker);
      expect({ worker: m.worker, ...shareTally(m) }).toEqual({ worker: m.worker, accepted: got.accepted, rejected: got.rejected });
      expect({ worker: m.worker, submits: got.submits }).toEqual({ worker: m.worker, submits: m.submitted });
    }

    // Every reason a pool-sim can give for a share showed up (not_subscribed is only ever an
    // answer to mining.authorize, never to a submit).
    const totals = proxyTotals(metrics);
    for (const reason of SHARE_REJECT_REASONS.filter((r) => r !== 'not_subscribed')) {
      expect({ reason, seen: totals.rejected[reason] > 0 }).toEqual({ reason, seen: true });
    }
    expect(totals.accepted).toBe(truth.totals.accepted);
    expect(totals.submits).toBe(summary.submitted + rawSubmits);
    // The miners' malformed lines were relayed and counted as parse errors, not as submits.
    expect(metrics.sum('stratum_parse_errors_total', { direction: 'miner_to_pool' })).toBeGreaterThanOrEqual(summary.faults.malformed);
    expect(metrics.get('stratum_pending_requests')).toBe(0);
  }, 150_000);

  it('the proxy exits 0 on SIGTERM', async () => {
    const status = await (proxy as ProxyProcess).stop();
    expect(status).toEqual({ code: 0, signal: null });
  }, 30_000);
});
