/**
 * 2,000 concurrent miners through one proxy. File descriptors are spread over three processes
 * (the cap is 20,000 per process): the miners in this jest process (2,000), the proxy child
 * (4,000: one miner side and one pool side per connection), and pool-sim as a child too (2,000).
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import type { PoolStats } from '@stratum-relay/pool-sim';
import {
  proxyTotals,
  rejectedTotal,
  scrapeMetrics,
  shareTally,
  startPoolSimProcess,
  startProxyProcess,
  waitFor,
  type MetricSamples,
  type PoolSimProcess,
  type ProxyProcess,
} from '../src';

const MINERS = 2_000;
/** Shares for the whole farm: enough to cross the proxy from many connections, quick to reach. */
const SHARES = 150;

describe('whole path: 2,000 concurrent miners', () => {
  let pool: PoolSimProcess | undefined;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;

  beforeAll(async () => {
    // ~4,300 hashes per share; 2,000 miners × 40 H/s keep one core far from saturated.
    pool = await startPoolSimProcess(['--profile', 'easy', '--difficulty', '0.000001', '--job-interval', '20s', '--seed', '99']);
    // One health probe at start and none during the run, so the pool's session count is exact
    // (a probe in flight at the final scrape would be a session not yet counted as a probe).
    proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: pool.port, env: { POOL_PROBE_INTERVAL_MS: '600000' } });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await proxy?.stop();
    await pool?.stop();
  }, 90_000);

  const scrape = (): Promise<MetricSamples> => scrapeMetrics((proxy as ProxyProcess).metricsPort);
  const active = (m: MetricSamples): number | undefined => m.sum('stratum_active_connections');

  it('connects them all, accounts for every share in pool, proxy and miners, and lets them all go', async () => {
    const p = proxy as ProxyProcess;
    const ps = pool as PoolSimProcess;
    farm = new MinerFarm({
      url: `127.0.0.1:${p.proxyPort}`,
      miners: MINERS,
      user: 'crowd',
      hashrate: 40,
      // Below the listen backlog per second, so no SYN is dropped and retried a second later.
      rampUp: 1_000,
      seed: 8,
      shares: SHARES,
      durationMs: 60_000,
      submitTimeoutMs: 30_000,
      connectTimeoutMs: 30_000,
      stopGraceMs: 20_000,
    });
    await farm.start();

    await waitFor(() => farm !== undefined && farm.summary().authorized === MINERS, {
      timeoutMs: 45_000,
      intervalMs: 500,
      what: `all ${MINERS} miners to be connected and authorized`,
      context: () => JSON.stringify(farm?.progress()),
    });
    const crowded = await scrape();
    expect(active(crowded)).toBe(MINERS);
    expect((await ps.stats<PoolStats>()).sessions.open).toBe(MINERS);

    await farm.whenDone();
    const summary = await farm.stop();
    // Every miner stayed on its first connection: nothing dropped under load.
    expect(summary.connects).toBe(MINERS);
    expect(summary.connectFailures).toBe(0);
    expect(summary.timeouts + summary.unanswered).toBe(0);

    const metrics = await waitFor(
      async () => {
        const m = await scrape();
        return active(m) === 0 && m.get('stratum_pending_requests') === 0 ? m : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, what: 'every connection to be gone from the proxy', context: p.logs },
    );
    const truth = await waitFor(
      async () => {
        const s = await ps.stats<PoolStats>();
        return s.sessions.open === 0 ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every session to be gone from the pool' },
    );

    const totals = proxyTotals(metrics);
    expect(truth.totals.accepted).toBeGreaterThan(0);
    expect({ pool: truth.totals.accepted, proxy: totals.accepted, miners: summary.accepted }).toEqual({
      pool: summary.accepted,
      proxy: summary.accepted,
      miners: summary.accepted,
    });
    expect(totals.rejected).toEqual(shareTally(truth.totals).rejected);
    expect(summary.rejectedByReason).toEqual(shareTally(truth.totals).rejected);
    expect(totals.submits).toBe(summary.submitted);
    expect(totals.submits).toBe(totals.accepted + rejectedTotal(totals) + totals.timeouts);
    expect(metrics.sum('stratum_connections_total')).toBe(MINERS);
    // Every session at the pool is a miner's, or one of the proxy's own health probes.
    const probes = metrics.sum('stratum_pool_probe_seconds_count') + metrics.sum('stratum_pool_probe_failures_total');
    expect(truth.sessions.total).toBe(MINERS + probes);
  }, 150_000);

  it('the proxy exits 0 on SIGTERM after the crowd', async () => {
    expect(await (proxy as ProxyProcess).stop()).toEqual({ code: 0, signal: null });
  }, 30_000);
});
