/**
 * A pool that answers every share after the proxy's SUBMIT_TIMEOUT_MS (a slow pool, or a backup
 * far away): each submit counts as a timeout when its time is up, and when the answer comes it
 * still counts as the pool said — accepted or rejected — and as a late answer, not as unmatched.
 * pool-sim's chaos options delay share answers: here every one by ANSWER_DELAY_MS, nothing else.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim, type PoolStats } from '@stratum-relay/pool-sim';
import { proxyTotals, rejectedTotal, scrapeMetrics, shareTally, startProxyProcess, waitFor, type MetricSamples, type ProxyProcess } from '../src';

const SEED = 909;
const SUBMIT_TIMEOUT_MS = 300;
/** Well past the timeout, well inside the 10 timeouts a late answer may take. */
const ANSWER_DELAY_MS = 1_000;
const SHARES = 40;

describe('whole path: a pool that answers after the submit timeout', () => {
  let pool: PoolSim;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;
  let poolName = '';

  beforeAll(async () => {
    pool = new PoolSim({
      profile: 'easy',
      difficulty: 0.000001,
      seed: SEED,
      chaos: {
        dropProbability: 0,
        delayProbability: 1,
        delayMinMs: ANSWER_DELAY_MS,
        delayMaxMs: ANSWER_DELAY_MS,
        disconnectProbability: 0,
        malformedProbability: 0,
        reconnectProbability: 0,
      },
    });
    const { port } = await pool.listen();
    poolName = `127.0.0.1:${port}`;
    proxy = await startProxyProcess({ pools: [`stratum+tcp://${poolName}`], env: { SUBMIT_TIMEOUT_MS: String(SUBMIT_TIMEOUT_MS), MAX_CLIENT_IDS: 'none' } });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await proxy?.stop();
    await pool?.close();
  }, 60_000);

  it(`counts every late answer as the pool said it: accepted equal the pool's, timeouts = late answers, nothing unmatched (seed ${SEED})`, async () => {
    const p = proxy as ProxyProcess;
    farm = new MinerFarm({
      url: `127.0.0.1:${p.proxyPort}`,
      miners: 4,
      user: 'slow',
      hashrate: 20_000,
      seed: SEED,
      shares: SHARES,
      durationMs: 45_000,
      // The miners wait for the late answers (a miner that gave up would not change the proxy's counts, but would blur the miners' side).
      submitTimeoutMs: 10 * ANSWER_DELAY_MS,
      faults: [{ mode: 'stale', probability: 0.1 }],
      stopGraceMs: 5_000,
    });
    await farm.start();
    await farm.whenDone();
    const summary = await farm.stop();
    const metrics: MetricSamples = await waitFor(
      async () => {
        const m = await scrapeMetrics(p.metricsPort);
        return m.sum('stratum_active_connections') === 0 ? m : undefined;
      },
      { timeoutMs: 20_000, what: 'every connection to be gone', context: p.logs },
    );
    const truth: PoolStats = pool.stats();
    const totals = proxyTotals(metrics, poolName);

    expect(summary.accepted + summary.rejected).toBeGreaterThanOrEqual(SHARES);
    expect(truth.totals.dropped).toBe(0);
    // The pool's ground truth, exactly, although every answer came after the proxy's timeout.
    expect({ accepted: totals.accepted, rejected: totals.rejected }).toEqual({ accepted: truth.totals.accepted, rejected: shareTally(truth.totals).rejected });
    expect(rejectedTotal(totals)).toBeGreaterThan(0);
    // Every submit timed out in the proxy, and every one was then answered late.
    expect(totals.timeouts).toBe(totals.submits);
    expect(totals.lateAnswers).toBe(totals.timeouts);
    expect(totals.lateAnswers).toBe(totals.accepted + rejectedTotal(totals));
    expect(totals.lost).toBe(0);
    expect(metrics.get('stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(0);
    expect(metrics.get('stratum_pending_requests')).toBe(0);
    // The miners, who waited, heard the same answers.
    expect({ accepted: summary.accepted, rejected: summary.rejectedByReason }).toEqual({ accepted: truth.totals.accepted, rejected: shareTally(truth.totals).rejected });
    expect(summary.timeouts).toBe(0);
  }, 60_000);
});
