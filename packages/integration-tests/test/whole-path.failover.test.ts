/**
 * Failover and failback with a pool list, the whole path: 200 miner-sim miners → stratum-proxy
 * (child process, POOLS=primary,backup) → two pool-sim processes that hand out distinct
 * extranonce1 prefixes, so each miner's latest subscribe answer says which pool it really is on.
 *
 * The primary dies (it first goes silent, then its process is killed), every miner reconnects
 * and lands on the backup; the primary comes back on the same port, and after FAILBACK_DELAY_MS
 * the proxy moves every miner back, no faster than FAILBACK_RATE. Then the shares: what /metrics
 * counts per pool equals what each pool answered (both lifetimes of the primary summed).
 *
 * Why "silent, then killed" and not a bare SIGKILL: pool-sim counts an answer once it wrote it
 * to its socket, and a process killed with answers still in its socket buffers may never deliver
 * them (a close with unread input sends RST and drops the send queue). The blackhole stops every
 * answer first; 300 ms later nothing is in flight, /stats is final, and the kill is the crash.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { MinerFarm, type MinerSummary } from '@stratum-relay/miner-sim';
import type { PoolStats } from '@stratum-relay/pool-sim';
import {
  PlacementRecorder,
  httpRequest,
  minersPerPool,
  poolWorkerTallies,
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

const MINERS = 200;
const SEED = 4242;
const PROBE_INTERVAL_MS = 250;
const FAILBACK_DELAY_MS = 2_000;
const FAILBACK_RATE = 100;
/** The failback closes MINERS at FAILBACK_RATE per second: the first and last move are this far apart at least. */
const FAILBACK_SPAN_MS = (MINERS / FAILBACK_RATE) * 1000;
/** Allowance for the failback's 50 ms ticks and the miners' jittered reconnect (50-100 ms here). */
const SPAN_SLACK_MS = 300;
/** ~4,300 hashes per share: 200 miners × 500 H/s find ~23 shares per second together. */
const DIFFICULTY = '0.000001';
const PREFIX = { primary: 'aa', backup: 'bb' } as const;

function poolSimArgs(name: keyof typeof PREFIX, seed: number): string[] {
  return ['--profile', 'easy', '--difficulty', DIFFICULTY, '--job-interval', '15s', '--seed', String(seed), '--extranonce1-prefix', PREFIX[name], '--name', name];
}

describe('whole path: failover to the backup pool and failback to the primary', () => {
  let primary: PoolSimProcess | undefined;
  let backup: PoolSimProcess | undefined;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;
  /** The primary's ground truth of its first lifetime, read while it was silent and before it was killed. */
  let primaryFirstLife: PoolStats | undefined;
  /** Pool names as the proxy labels them (`host:port`). */
  let primaryName = '';
  let backupName = '';

  beforeAll(async () => {
    [primary, backup] = await Promise.all([startPoolSimProcess(poolSimArgs('primary', 1)), startPoolSimProcess(poolSimArgs('backup', 2))]);
    primaryName = `127.0.0.1:${primary.port}`;
    backupName = `127.0.0.1:${backup.port}`;
    proxy = await startProxyProcess({
      pools: [`stratum+tcp://${primaryName}`, `stratum+tcp://${backupName}`],
      env: {
        POOL_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS),
        FAILBACK_DELAY_MS: String(FAILBACK_DELAY_MS),
        FAILBACK_RATE: String(FAILBACK_RATE),
        UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
        MAX_CLIENT_IDS: 'none',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await proxy?.stop();
    await Promise.all([primary?.stop(), backup?.stop()]);
  }, 60_000);

  const p = (): ProxyProcess => proxy as ProxyProcess;
  const scrape = (): Promise<MetricSamples> => scrapeMetrics(p().metricsPort);
  const placement = (): Record<string, number> => minersPerPool((farm as MinerFarm).extranonce1s(), PREFIX);
  const context = (): string => `placement ${JSON.stringify(farm === undefined ? null : placement())}\n${p().logs()}`;
  const readyz = async (): Promise<number> => (await httpRequest(p().metricsPort, '/readyz')).status;
  /** The pool's own count of open sessions: the miners, plus a health probe if one is in flight right then. */
  const sessionsOpen = (pool: PoolSimProcess, n: number): Promise<true> =>
    waitFor(async () => (await pool.stats<PoolStats>()).sessions.open === n || undefined, { timeoutMs: 5_000, intervalMs: 50, what: `${n} open sessions at the pool` });

  it(`puts all ${MINERS} miners on the primary while it is up`, async () => {
    await waitFor(async () => (await scrape()).get('stratum_pool_up', { pool_host: primaryName }) === 1, {
      timeoutMs: 10_000,
      what: 'the primary to pass its first probe',
      context: p().logs,
    });
    farm = new MinerFarm({
      url: `127.0.0.1:${p().proxyPort}`,
      miners: MINERS,
      user: 'farm',
      hashrate: 500,
      rampUp: 400,
      seed: SEED,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      submitTimeoutMs: 10_000,
      stopGraceMs: 5_000,
    });
    await farm.start();
    await waitFor(() => placement()['primary'] === MINERS && (farm as MinerFarm).summary().authorized === MINERS, {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: `all ${MINERS} miners to be authorized on the primary`,
      context,
    });
    const m = await scrape();
    expect({ up: m.get('stratum_pool_up', { pool_host: primaryName }), miners: m.get('stratum_pool_miners', { pool_host: primaryName }) }).toEqual({
      up: 1,
      miners: MINERS,
    });
    expect(m.get('stratum_pool_miners', { pool_host: backupName })).toBe(0);
    // Both pools answer their probes, the backup too although no miner uses it.
    for (const pool_host of [primaryName, backupName]) expect(m.get('stratum_pool_probe_seconds_count', { pool_host })).toBeGreaterThan(0);
    // Shares flow before anything fails.
    await waitFor(async () => ((await (primary as PoolSimProcess).stats<PoolStats>()).totals.accepted > 10 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the primary to accept shares',
    });
  }, 60_000);

  it(`moves all ${MINERS} miners to the backup when the primary dies, and /metrics says so`, async () => {
    const pri = primary as PoolSimProcess;
    const acceptedOnBackupBefore = (await (backup as PoolSimProcess).stats<PoolStats>()).totals.accepted;
    // Silent first, so that nothing is in flight when the process dies (see the file comment).
    await pri.control('/blackhole?on=true');
    await sleep(300);
    primaryFirstLife = await pri.stats<PoolStats>();
    const diedAt = performance.now();
    expect(await pri.process.stop({ signal: 'SIGKILL' })).toEqual({ code: null, signal: 'SIGKILL' });

    await waitFor(() => placement()['backup'] === MINERS, { timeoutMs: 20_000, intervalMs: 50, what: `all ${MINERS} miners on the backup`, context });
    const allMovedMs = performance.now() - diedAt;
    const m = await waitFor(
      async () => {
        const s = await scrape();
        return s.get('stratum_pool_miners', { pool_host: backupName }) === MINERS ? s : undefined;
      },
      { timeoutMs: 10_000, what: `stratum_pool_miners to show ${MINERS} on the backup`, context },
    );
    expect({
      primaryUp: m.get('stratum_pool_up', { pool_host: primaryName }),
      backupUp: m.get('stratum_pool_up', { pool_host: backupName }),
      primaryMiners: m.get('stratum_pool_miners', { pool_host: primaryName }),
      backupMiners: m.get('stratum_pool_miners', { pool_host: backupName }),
    }).toEqual({ primaryUp: 0, backupUp: 1, primaryMiners: 0, backupMiners: MINERS });
    // Every miner was dropped by the pool's side, not by the proxy.
    expect(m.sum('stratum_connection_closes_total', { side: 'pool' })).toBeGreaterThanOrEqual(MINERS);
    expect(m.sum('stratum_connection_closes_total', { side: 'proxy', reason: 'upstream_failed' })).toBe(0);
    expect(await readyz()).toBe(200);
    await sessionsOpen(backup as PoolSimProcess, MINERS);
    // And they mine there.
    await waitFor(async () => ((await (backup as PoolSimProcess).stats<PoolStats>()).totals.accepted > acceptedOnBackupBefore + 10 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the backup to accept shares from the moved miners',
    });
    process.stderr.write(`failover: all ${MINERS} miners on the backup ${Math.round(allMovedMs)} ms after the primary died\n`);
  }, 60_000);

  it(`moves them back to the restarted primary after FAILBACK_DELAY_MS, at most FAILBACK_RATE (${FAILBACK_RATE}) per second`, async () => {
    const port = (primary as PoolSimProcess).port;
    primary = await startPoolSimProcess(poolSimArgs('primary', 3), { port });
    const restartedAt = performance.now();
    const recorder = new PlacementRecorder(() => (farm as MinerFarm).extranonce1s(), PREFIX).start();
    try {
      await waitFor(() => (recorder.arrivals('primary').size === MINERS ? true : undefined), {
        timeoutMs: FAILBACK_DELAY_MS + FAILBACK_SPAN_MS + 20_000,
        intervalMs: 50,
        what: `all ${MINERS} miners back on the primary`,
        context,
      });
    } finally {
      recorder.stop();
    }
    const times = [...recorder.arrivals('primary').values()].sort((a, b) => a - b);
    const first = times[0] as number;
    const last = times[times.length - 1] as number;
    const span = last - first;
    process.stderr.write(
      `failback: first move ${Math.round(first - restartedAt)} ms after the restart, moves spread over ${Math.round(span)} ms ` +
        `(${MINERS} at ${FAILBACK_RATE}/s = ${FAILBACK_SPAN_MS} ms), poll gap max ${Math.round(recorder.maxPollGapMs())} ms\n`,
    );
    // Not before the primary had been up FAILBACK_DELAY_MS (it came up at or after `restartedAt`, minus the poll of the listening line).
    expect(first - restartedAt).toBeGreaterThanOrEqual(FAILBACK_DELAY_MS - 100);
    // Not faster than the rate, and not stalled either (timers slip on a loaded machine: 3x).
    expect(span).toBeGreaterThanOrEqual(FAILBACK_SPAN_MS - SPAN_SLACK_MS);
    expect(span).toBeLessThan(3 * FAILBACK_SPAN_MS);

    const m = await waitFor(
      async () => {
        const s = await scrape();
        return s.get('stratum_pool_miners', { pool_host: primaryName }) === MINERS ? s : undefined;
      },
      { timeoutMs: 10_000, what: `stratum_pool_miners to show ${MINERS} on the primary`, context },
    );
    expect({
      primaryUp: m.get('stratum_pool_up', { pool_host: primaryName }),
      backupUp: m.get('stratum_pool_up', { pool_host: backupName }),
      primaryMiners: m.get('stratum_pool_miners', { pool_host: primaryName }),
      backupMiners: m.get('stratum_pool_miners', { pool_host: backupName }),
      failbacks: m.get('stratum_failbacks_total'),
      failbackCloses: m.get('stratum_connection_closes_total', { side: 'proxy', reason: 'failback' }),
    }).toEqual({ primaryUp: 1, backupUp: 1, primaryMiners: MINERS, backupMiners: 0, failbacks: MINERS, failbackCloses: MINERS });
    await sessionsOpen(primary as PoolSimProcess, MINERS);
    await waitFor(async () => ((await (primary as PoolSimProcess).stats<PoolStats>()).totals.accepted > 10 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the restarted primary to accept shares',
    });
  }, 60_000);

  it('counts on /metrics, per pool and per worker, exactly the shares each pool answered', async () => {
    const summary: MinerSummary = await (farm as MinerFarm).stop();
    const m = await waitFor(
      async () => {
        const s = await scrape();
        return s.sum('stratum_active_connections') === 0 ? s : undefined;
      },
      { timeoutMs: 20_000, what: 'the proxy to have no open connection', context: p().logs },
    );
    const [primaryLater, backupTruth] = await waitFor(
      async () => {
        const both = await Promise.all([(primary as PoolSimProcess).stats<PoolStats>(), (backup as PoolSimProcess).stats<PoolStats>()]);
        return both.every((s) => s.sessions.open === 0) ? both : undefined;
      },
      { timeoutMs: 20_000, what: 'both pools to have no open session' },
    );
    const truthByPool = new Map([
      [primaryName, poolWorkerTallies(primaryFirstLife as PoolStats, primaryLater)],
      [backupName, poolWorkerTallies(backupTruth)],
    ]);

    let poolAccepted = 0;
    for (const [pool, truth] of truthByPool) {
      const workers = new Set([...truth.keys(), ...m.labelValues('stratum_submits_total', 'client_id')]);
      let inFlight = 0;
      let lost = 0;
      for (const worker of workers) {
        const want = truth.get(worker);
        const got = proxyWorkerTally(m, worker, pool);
        const wantAnswered = want === undefined ? 0 : want.accepted + rejectedTotal(want);
        // Never more than the pool answered: nothing is counted twice, nothing invented.
        expect({ pool, worker, over: got.accepted > (want?.accepted ?? 0) }).toEqual({ pool, worker, over: false });
        // An answer the pool wrote and the proxy never read can only belong to a submit the proxy
        // saw its connection close under (stratum_submits_lost_total): a failback close racing an answer.
        const missing = wantAnswered - (got.accepted + rejectedTotal(got));
        expect({ pool, worker, missingAtMostLost: missing >= 0 && missing <= got.lost }).toEqual({ pool, worker, missingAtMostLost: true });
        inFlight += missing;
        lost += got.lost;
      }
      const total = proxyTotals(m, pool);
      const poolTotal = [...truth.values()].reduce((n, t) => n + t.accepted, 0);
      process.stderr.write(`shares on ${pool}: pool accepted ${poolTotal}, proxy accepted ${total.accepted}, answers lost in flight ${inFlight}, submits lost ${lost}\n`);
      expect(poolTotal).toBeGreaterThan(0);
      if (inFlight === 0) expect(total.accepted).toBe(poolTotal);
      poolAccepted += poolTotal;
    }
    // Every accepted share the proxy counted, it counted under one pool only.
    const all = proxyTotals(m);
    expect(all.accepted).toBe(proxyTotals(m, primaryName).accepted + proxyTotals(m, backupName).accepted);
    expect(all.accepted).toBeLessThanOrEqual(poolAccepted);
    // The miners heard no more than the proxy relayed.
    expect(summary.accepted).toBeLessThanOrEqual(all.accepted);
    expect(summary.reconnects).toBeGreaterThanOrEqual(2 * MINERS);
  }, 60_000);

  it('the proxy exits 0 on SIGTERM', async () => {
    expect(await p().stop()).toEqual({ code: 0, signal: null });
  }, 30_000);
});
