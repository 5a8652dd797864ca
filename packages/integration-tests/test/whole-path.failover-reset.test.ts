/**
 * The only pool drops every session at once while miners mine (pool-sim's POST /sessions/kill,
 * like a pool process restarting behind a listener that stays open). The proxy closes each
 * miner with the pool's side as the cause; the miners reconnect through the proxy to the same
 * pool, get fresh sessions and mine again, and the share counts still match the pool's.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import type { PoolStats } from '@stratum-relay/pool-sim';
import {
  httpRequest,
  proxyTotals,
  proxyWorkerTally,
  rejectedTotal,
  scrapeMetrics,
  startPoolSimProcess,
  startProxyProcess,
  waitFor,
  type MetricSamples,
  type PoolSimProcess,
  type ProxyProcess,
} from '../src';

const MINERS = 20;
const SEED = 5150;

describe('whole path: the pool resets every session mid-session', () => {
  let pool: PoolSimProcess | undefined;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;

  beforeAll(async () => {
    pool = await startPoolSimProcess(['--profile', 'easy', '--difficulty', '0.000001', '--job-interval', '10s', '--seed', String(SEED), '--extranonce1-prefix', 'ee']);
    // Probes only at start: the pool's session counts below are then the miners' alone.
    proxy = await startProxyProcess({ pools: [`stratum+tcp://127.0.0.1:${pool.port}`], env: { POOL_PROBE_INTERVAL_MS: '600000', MAX_CLIENT_IDS: 'none' } });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await proxy?.stop();
    await pool?.stop();
  }, 60_000);

  it(`closes all ${MINERS} miners as the pool's doing; they reconnect to the same pool and mine again, with exact share counts`, async () => {
    const p = proxy as ProxyProcess;
    const ps = pool as PoolSimProcess;
    const poolName = `127.0.0.1:${ps.port}`;
    farm = new MinerFarm({
      url: `127.0.0.1:${p.proxyPort}`,
      miners: MINERS,
      user: 'reset',
      hashrate: 3_000,
      seed: SEED,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      stopGraceMs: 5_000,
    });
    const f = farm;
    await f.start();
    await waitFor(() => f.summary().authorized === MINERS && f.progress().accepted >= MINERS, {
      timeoutMs: 20_000,
      what: `${MINERS} miners authorized and mining`,
      context: () => JSON.stringify(f.progress()),
    });
    const before = new Map(f.extranonce1s());
    const acceptedBefore = f.progress().accepted;
    const sessionsBefore = (await ps.stats<PoolStats>()).sessions.total;

    const res = await httpRequest(ps.controlPort, '/sessions/kill', { method: 'POST' });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { killed: number }).killed).toBe(MINERS);

    // Everyone back: a new session each (pool-sim hands every session its own extranonce1), authorized, mining.
    await waitFor(
      () => {
        const now = f.extranonce1s();
        return f.summary().authorized === MINERS && [...now].every(([w, e]) => e !== null && e !== before.get(w));
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'every miner on a new session', context: () => `${JSON.stringify(f.progress())}\n${p.logs()}` },
    );
    await waitFor(() => (f.progress().accepted >= acceptedBefore + MINERS ? true : undefined), {
      timeoutMs: 20_000,
      what: 'shares accepted after the reset',
    });
    const truthMid = await ps.stats<PoolStats>();
    expect({ open: truthMid.sessions.open, new: truthMid.sessions.total - sessionsBefore }).toEqual({ open: MINERS, new: MINERS });
    const mid = await scrapeMetrics(p.metricsPort);
    // The pool ended them (FIN or RST, whichever the kernel sent), not the proxy or the miners.
    expect(mid.sum('stratum_connection_closes_total', { side: 'pool' })).toBe(MINERS);
    expect(mid.sum('stratum_connection_closes_total', { side: 'proxy' }) + mid.sum('stratum_connection_closes_total', { side: 'miner' })).toBe(0);
    expect(mid.get('stratum_pool_miners', { pool_host: poolName })).toBe(MINERS);
    expect(mid.get('stratum_pool_up', { pool_host: poolName })).toBe(1);
    expect(mid.get('stratum_connections_total', { pool_host: poolName })).toBe(2 * MINERS);

    const summary = await f.stop();
    expect(summary.reconnects).toBe(MINERS);
    const metrics: MetricSamples = await waitFor(
      async () => {
        const m = await scrapeMetrics(p.metricsPort);
        return m.sum('stratum_active_connections') === 0 ? m : undefined;
      },
      { timeoutMs: 20_000, what: 'every connection to be gone', context: p.logs },
    );
    const truth = await waitFor(
      async () => {
        const s = await ps.stats<PoolStats>();
        return s.sessions.open === 0 ? s : undefined;
      },
      { timeoutMs: 20_000, what: 'every session to be gone from the pool' },
    );
    // The pool's ground truth, worker by worker. An answer the pool wrote just before it killed
    // the session may never reach the proxy; that submit is then among the lost ones.
    let missingTotal = 0;
    for (const [worker, stats] of Object.entries(truth.workers)) {
      const got = proxyWorkerTally(metrics, worker, poolName);
      const missing = stats.accepted + rejectedTotal({ accepted: 0, rejected: stats.rejected }) - (got.accepted + rejectedTotal(got));
      expect({ worker, over: got.accepted > stats.accepted, missingAtMostLost: missing >= 0 && missing <= got.lost }).toEqual({ worker, over: false, missingAtMostLost: true });
      missingTotal += missing;
    }
    const totals = proxyTotals(metrics, poolName);
    if (missingTotal === 0) expect(totals.accepted).toBe(truth.totals.accepted);
    expect(totals.accepted).toBe(proxyTotals(metrics).accepted);
    process.stderr.write(`reset: pool accepted ${truth.totals.accepted}, proxy accepted ${totals.accepted}, answers lost in the reset ${missingTotal}, submits lost ${totals.lost}\n`);
  }, 60_000);
});
