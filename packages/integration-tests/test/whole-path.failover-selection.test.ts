/**
 * Which pool a new miner gets, with three pools: the primary a black hole (accepts TCP, answers
 * nothing), the second a closed port (refused), the third healthy. Real processes on 127.0.0.1:
 * pool-sim for the black hole and the healthy pool, a port nobody listens on for the refusal.
 *
 * Two ways a miner meets a broken pool:
 * - the pools were broken from the start: the probes mark them down, and new miners go straight
 *   to the third pool (the proxy never dials a pool it knows is down while one is up);
 * - the pools broke after the proxy last probed them (it still believes them up): the miner's
 *   connection is dialled to each in turn — no answer, refused — and delivered to the third
 *   inside the same TCP connection. The miner only sees a slower subscribe answer.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import type { PoolStats } from '@stratum-relay/pool-sim';
import {
  freePort,
  getJson,
  httpRequest,
  minersPerPool,
  scrapeMetrics,
  startPoolSimProcess,
  startProxyProcess,
  waitFor,
  type MetricSamples,
  type PoolSimProcess,
  type ProxyProcess,
} from '../src';

const PROBE_INTERVAL_MS = 250;
const CONNECT_TIMEOUT_MS = 1_000;
/** Long enough for every miner of the second scenario to connect between two probes. */
const STALE_PROBE_INTERVAL_MS = 10_000;
const MINERS = 10;
const PREFIX = { primary: 'a1', second: 'b2', third: 'c3' } as const;

/** The part of the proxy's /status these tests read. */
interface StatusPools {
  pools: { name: string; priority: number; state: 'up' | 'down' | 'unknown'; miners: number; lastError: string | null }[];
}

function poolSimArgs(name: keyof typeof PREFIX): string[] {
  return ['--profile', 'easy', '--difficulty', '0.000001', '--job-interval', '15s', '--seed', String(name.length), '--extranonce1-prefix', PREFIX[name], '--name', name];
}

describe('whole path: three pools, a black hole, a refused port and a healthy pool', () => {
  let blackHole: PoolSimProcess | undefined;
  let healthy: PoolSimProcess | undefined;
  /** Only for the second scenario: a pool that is up when the proxy probes it, then stopped. */
  let second: PoolSimProcess | undefined;
  const proxies: ProxyProcess[] = [];
  const farms: MinerFarm[] = [];

  beforeAll(async () => {
    [blackHole, healthy] = await Promise.all([startPoolSimProcess(poolSimArgs('primary')), startPoolSimProcess(poolSimArgs('third'))]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(farms.map((f) => f.stop()));
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([blackHole?.stop(), healthy?.stop(), second?.stop()]);
  }, 60_000);

  function startProxy(pools: readonly string[], probeIntervalMs: number): Promise<ProxyProcess> {
    return startProxyProcess({
      pools: pools.map((name) => `stratum+tcp://${name}`),
      env: {
        POOL_PROBE_INTERVAL_MS: String(probeIntervalMs),
        UPSTREAM_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        FAILBACK_DELAY_MS: 'none',
        MAX_CLIENT_IDS: 'none',
      },
    }).then((p) => {
      proxies.push(p);
      return p;
    });
  }

  function startFarm(proxy: ProxyProcess, user: string): MinerFarm {
    const farm = new MinerFarm({
      url: `127.0.0.1:${proxy.proxyPort}`,
      miners: MINERS,
      user,
      hashrate: 2_000,
      seed: 17,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      stopGraceMs: 5_000,
    });
    farms.push(farm);
    return farm;
  }

  const states = async (proxy: ProxyProcess): Promise<string[]> => (await getJson<StatusPools>(proxy.metricsPort, '/status')).pools.map((p) => p.state);

  it('from the start: probes mark the black hole and the closed port down, /readyz is 200 and new miners mine on the third pool', async () => {
    const hole = blackHole as PoolSimProcess;
    const third = healthy as PoolSimProcess;
    await hole.control('/blackhole?on=true');
    const names = [`127.0.0.1:${hole.port}`, `127.0.0.1:${await freePort()}`, `127.0.0.1:${third.port}`];
    const proxy = await startProxy(names, PROBE_INTERVAL_MS);

    // The black hole is down once a probe has waited UPSTREAM_CONNECT_TIMEOUT_MS for its answer.
    await waitFor(async () => (await states(proxy)).join() === 'down,down,up', {
      timeoutMs: CONNECT_TIMEOUT_MS + 5_000,
      what: '/status to show the pools down, down, up',
      context: proxy.logs,
    });
    const status = await getJson<StatusPools>(proxy.metricsPort, '/status');
    expect(status.pools.map((p) => p.name)).toEqual(names);
    expect(status.pools[0]?.lastError).toMatch(/no answer/i);
    expect(status.pools[1]?.lastError).toMatch(/ECONNREFUSED/);
    expect((await httpRequest(proxy.metricsPort, '/readyz')).status).toBe(200);

    const farm = startFarm(proxy, 'early');
    await farm.start();
    await waitFor(() => minersPerPool(farm.extranonce1s(), PREFIX)['third'] === MINERS && farm.summary().authorized === MINERS, {
      timeoutMs: 20_000,
      what: `all ${MINERS} miners authorized on the third pool`,
      context: () => `${JSON.stringify(minersPerPool(farm.extranonce1s(), PREFIX))}\n${proxy.logs()}`,
    });
    await waitFor(() => (farm.progress().accepted >= MINERS ? true : undefined), { timeoutMs: 20_000, what: 'shares accepted through the third pool' });
    const m: MetricSamples = await scrapeMetrics(proxy.metricsPort);
    expect(names.map((pool_host) => m.get('stratum_pool_up', { pool_host }))).toEqual([0, 0, 1]);
    expect(names.map((pool_host) => m.get('stratum_pool_miners', { pool_host }))).toEqual([0, 0, MINERS]);
    expect(m.sum('stratum_accepted_shares_total', { pool_host: names[2] as string })).toBeGreaterThanOrEqual(MINERS);
    // The miners went straight to the third pool: no miner connection was dialled to a pool known
    // down, so none had to fail over. (Why each pool is down is in /status and the logs above:
    // stratum_upstream_connect_failures_total counts miners' connects, not probes.)
    expect(m.sum('stratum_pool_failovers_total')).toBe(0);
    const summary = await farm.stop();
    expect(summary.connects).toBe(MINERS);
    expect((await third.stats<PoolStats>()).sessions.total).toBeGreaterThanOrEqual(MINERS);
  }, 60_000);

  it('after the pools broke unseen: each miner meets no answer, then a refusal, and mines on the third pool on its first connection', async () => {
    const hole = blackHole as PoolSimProcess;
    const third = healthy as PoolSimProcess;
    await hole.control('/blackhole?on=false');
    second = await startPoolSimProcess(poolSimArgs('second'));
    const names = [`127.0.0.1:${hole.port}`, `127.0.0.1:${second.port}`, `127.0.0.1:${third.port}`];
    // Probes at start (all up), then not for STALE_PROBE_INTERVAL_MS: the proxy's view goes stale.
    const proxy = await startProxy(names, STALE_PROBE_INTERVAL_MS);
    await waitFor(async () => (await states(proxy)).join() === 'up,up,up', { timeoutMs: 10_000, what: 'all three pools up', context: proxy.logs });

    await hole.control('/blackhole?on=true');
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    const sessionsBefore = (await third.stats<PoolStats>()).sessions.total;

    const farm = startFarm(proxy, 'late');
    await farm.start();
    await waitFor(() => minersPerPool(farm.extranonce1s(), PREFIX)['third'] === MINERS && farm.summary().authorized === MINERS, {
      timeoutMs: 20_000,
      what: `all ${MINERS} miners authorized on the third pool`,
      context: () => `${JSON.stringify(minersPerPool(farm.extranonce1s(), PREFIX))}\n${proxy.logs()}`,
    });
    await waitFor(() => (farm.progress().accepted >= MINERS ? true : undefined), { timeoutMs: 20_000, what: 'shares accepted through the third pool' });
    const summary = await farm.stop();
    // Failover happened inside each miner's connection: none had to reconnect.
    expect({ connects: summary.connects, reconnects: summary.reconnects, handshakeTimeouts: summary.handshakeTimeouts }).toEqual({
      connects: MINERS,
      reconnects: 0,
      handshakeTimeouts: 0,
    });
    expect((await third.stats<PoolStats>()).sessions.total - sessionsBefore).toBeGreaterThanOrEqual(MINERS);

    const m = await scrapeMetrics(proxy.metricsPort);
    const [primaryName, secondName] = names as [string, string, string];
    // At least the first miner met both failures (all did here: each connection's plan is fixed when it is accepted).
    expect(m.get('stratum_upstream_connect_failures_total', { pool_host: primaryName, reason: 'no_answer' })).toBeGreaterThanOrEqual(1);
    expect(m.get('stratum_upstream_connect_failures_total', { pool_host: secondName, reason: 'refused' })).toBeGreaterThanOrEqual(1);
    expect(m.get('stratum_pool_failovers_total', { pool_host: primaryName })).toBeGreaterThanOrEqual(1);
    expect(m.get('stratum_pool_failovers_total', { pool_host: secondName })).toBeGreaterThanOrEqual(1);
    expect(m.sum('stratum_connection_closes_total', { reason: 'upstream_failed' })).toBe(0);
    // A refusal marks a pool down at once; one miner's unanswered connect does not (that miner
    // may have sent what no pool answers): the black hole stays up until a probe finds it silent.
    expect(names.map((pool_host) => m.get('stratum_pool_up', { pool_host }))).toEqual([1, 0, 1]);
    await waitFor(async () => (await states(proxy)).join() === 'down,down,up', {
      timeoutMs: STALE_PROBE_INTERVAL_MS + CONNECT_TIMEOUT_MS + 5_000,
      what: 'the next probe to find the black hole silent',
      context: proxy.logs,
    });
    expect((await httpRequest(proxy.metricsPort, '/readyz')).status).toBe(200);
    process.stderr.write(
      `selection: no_answer ${m.get('stratum_upstream_connect_failures_total', { pool_host: primaryName, reason: 'no_answer' })}, ` +
        `refused ${m.get('stratum_upstream_connect_failures_total', { pool_host: secondName, reason: 'refused' })} for ${MINERS} miners\n`,
    );
  }, 60_000);
});
