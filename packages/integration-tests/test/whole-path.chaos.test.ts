/**
 * pool-sim's chaos profile (seeded): dropped and delayed answers, garbage lines, connection
 * resets and client.reconnect. The proxy must neither crash nor leak, and its counters must stay
 * exactly consistent with what the pool really answered.
 *
 * The invariant, per worker:
 * - accepted and rejected-by-reason (and the accepted difficulty) equal the pool's exactly: an
 *   answer the pool wrote is an answer the proxy relayed and counted. This needs the proxy's
 *   SUBMIT_TIMEOUT_MS above the pool's longest delay (1.5 s), or a late answer would be
 *   "unmatched" instead of counted.
 * - A submit the pool never answered (`dropped`) is, in the proxy, either a submit timeout (the
 *   connection stayed open past SUBMIT_TIMEOUT_MS) or a request released when its connection
 *   closed (chaos resets, client.reconnect). So, with unanswered = submits − accepted − rejected:
 *   timeouts ≤ dropped ≤ unanswered, and unanswered − dropped = submits the pool never read
 *   (in flight when it reset the connection) — at most a few, never negative.
 * - Nothing stays pending once the miners are gone.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim, type PoolStats } from '@stratum-relay/pool-sim';
import {
  getJson,
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

const SEED = 20240521;
const PROXY_SUBMIT_TIMEOUT_MS = 3_000;
/** The proxy's memory after the run; a leak per share or per connection would blow through it. */
const MAX_RSS_BYTES = 256 * 1024 * 1024;

describe('whole path: pool-sim chaos profile', () => {
  let pool: PoolSim;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;

  beforeAll(async () => {
    pool = new PoolSim({ profile: 'chaos', seed: SEED, difficulty: 0.000002 });
    const { port } = await pool.listen();
    proxy = await startProxyProcess({
      poolHost: '127.0.0.1',
      poolPort: port,
      env: { SUBMIT_TIMEOUT_MS: String(PROXY_SUBMIT_TIMEOUT_MS), MAX_CLIENT_IDS: 'none' },
    });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await proxy?.stop();
    await pool?.close();
  }, 60_000);

  const scrape = (): Promise<MetricSamples> => scrapeMetrics((proxy as ProxyProcess).metricsPort);

  it(`keeps exact share accounting against the pool's ground truth (seed ${SEED})`, async () => {
    const p = proxy as ProxyProcess;
    farm = new MinerFarm({
      url: `127.0.0.1:${p.proxyPort}`,
      miners: 6,
      user: 'chaos',
      hashrate: 20_000,
      seed: SEED,
      shares: 160,
      durationMs: 90_000,
      // Longer than the proxy's timeout: a dropped answer is settled in the proxy first.
      submitTimeoutMs: 8_000,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      stopGraceMs: 10_000,
      faults: [
        { mode: 'stale', probability: 0.05 },
        { mode: 'invalid_nonce', probability: 0.05 },
        { mode: 'duplicate', probability: 0.05 },
      ],
    });
    await farm.start();
    await farm.whenDone();
    // Let the submits the pool dropped on still-open connections run into the proxy's timeout.
    await waitFor(async () => (await scrape()).get('stratum_pending_requests') === 0, {
      timeoutMs: 30_000,
      what: 'the proxy to settle every pending request',
      context: p.logs,
    });
    const summary = await farm.stop();

    const metrics = await waitFor(
      async () => {
        const m = await scrape();
        return m.sum('stratum_active_connections') === 0 && m.get('stratum_pending_requests') === 0 ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'no open connection and no pending request', context: p.logs },
    );
    await waitFor(() => pool.stats().sessions.open === 0, { timeoutMs: 20_000, what: 'the pool to have no open session' });
    const truth: PoolStats = pool.stats();

    // The chaos really happened (5 % of answers dropped: none in ~170 would be a broken profile).
    expect(truth.totals.dropped).toBeGreaterThan(0);
    expect(summary.accepted).toBeGreaterThan(0);

    let lostInFlight = 0;
    for (const [worker, stats] of Object.entries(truth.workers)) {
      const got = proxyWorkerTally(metrics, worker);
      const want = shareTally(stats);
      expect({ worker, accepted: got.accepted, rejected: got.rejected }).toEqual({ worker, accepted: want.accepted, rejected: want.rejected });
      expect(Math.abs(got.acceptedDifficulty - stats.acceptedDifficulty)).toBeLessThanOrEqual(1e-9 * Math.max(1, stats.acceptedDifficulty));
      const unanswered = got.submits - got.accepted - rejectedTotal(got);
      expect({ worker, timeoutsAtMostDropped: got.timeouts <= stats.dropped }).toEqual({ worker, timeoutsAtMostDropped: true });
      expect({ worker, droppedAtMostUnanswered: stats.dropped <= unanswered }).toEqual({ worker, droppedAtMostUnanswered: true });
      lostInFlight += unanswered - stats.dropped;
    }
    // Only a submit racing a pool-side reset can be lost before the pool reads it.
    const poolResets = metrics.sum('stratum_connection_closes_total', { side: 'pool', reason: 'reset' });
    expect(lostInFlight).toBeLessThanOrEqual(poolResets);
    const totals = proxyTotals(metrics);
    expect(totals.accepted).toBe(truth.totals.accepted);
    expect(rejectedTotal(totals)).toBe(rejectedTotal(shareTally(truth.totals)));
    // The miners saw the same answers (late answers do not exist: the pool's delay < their timeout).
    expect(summary.accepted).toBe(truth.totals.accepted);
    expect(summary.rejectedByReason).toEqual(shareTally(truth.totals).rejected);
  }, 180_000);

  it('is still alive, healthy and within a bounded memory after the chaos, then exits 0', async () => {
    const p = proxy as ProxyProcess;
    expect(p.process.exitStatus()).toBeNull();
    expect(await getJson(p.metricsPort, '/healthz')).toEqual({ status: 'ok' });
    const metrics = await scrape();
    expect(metrics.get('process_resident_memory_bytes')).toBeLessThan(MAX_RSS_BYTES);
    expect(metrics.sum('stratum_active_connections')).toBe(0);
    expect(await p.stop()).toEqual({ code: 0, signal: null });
  }, 30_000);
});
