import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim } from '@stratum-relay/pool-sim';
import { assertBuilt, cleanupAll, runProgram, waitFor, type ProgramRun } from './service-test-kit';
import { cleanupEdges, connectFrom, scrape, sumSamples, tempConfigFile, valueOf } from './helpers/edges-kit';

beforeAll(assertBuilt);

const MINERS = 20;
/** Shares accepted before the first SIGHUP, and again after the last one. */
const SHARES_EACH_SIDE = 20;

let pool: PoolSim | undefined;
let farm: MinerFarm | undefined;

afterEach(async () => {
  // Miners first: a proxy killed under them would count as disconnects of the next test.
  await farm?.stop();
  farm = undefined;
  await cleanupAll();
  await pool?.close();
  pool = undefined;
  await cleanupEdges();
});

function logLine(run: ProgramRun, prefix: string, nth: number): Promise<Record<string, unknown>> {
  return waitFor(
    `log line #${nth} starting "${prefix}" (stderr: ${run.stderrLines.join(' | ')})`,
    () => run.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix))[nth - 1],
    10_000,
  );
}

function acceptedAtLeast(target: number, what: string): Promise<true> {
  return waitFor(`${what}: ${target} accepted shares (have ${farm?.progress().accepted ?? 0})`, () =>
    (farm?.progress().accepted ?? 0) >= target ? true : undefined,
  20_000);
}

describe('SIGHUP under load', () => {
  it('three reloads in a row (valid, invalid, restart-only) close no miner connection and shares keep being accepted', async () => {
    pool = new PoolSim({ host: '127.0.0.1', port: 0, profile: 'easy', difficulty: 0.000002, seed: 23, logLevel: 'silent' });
    const poolPort = (await pool.listen()).port;
    const base = {
      pools: [`stratum+tcp://127.0.0.1:${poolPort}`],
      proxyHost: '127.0.0.1',
      proxyPort: 0,
      metricsHost: '127.0.0.1',
      metricsPort: 0,
      drainTimeoutMs: 200,
      poolProbeIntervalMs: 500,
      logLevel: 'info',
    };
    const file = tempConfigFile();
    file.write(base);
    const run = runProgram([], { CONFIG_FILE: file.path });
    const metricsPort = ((await logLine(run, 'metrics HTTP server listening', 1)).metrics_address as { port: number }).port;
    const proxyPort = ((await logLine(run, 'proxy listening', 1)).proxy_address as { port: number }).port;

    farm = new MinerFarm({ url: `stratum+tcp://127.0.0.1:${proxyPort}`, miners: MINERS, user: 'load', hashrate: 5_000, seed: 23, stopGraceMs: 500 });
    await farm.start();
    await waitFor(`${MINERS} miners connected`, () => (farm?.progress().connected === MINERS ? true : undefined), 20_000);
    await acceptedAtLeast(SHARES_EACH_SIDE, 'before the reloads');

    // 1. Valid, and as hostile to the miners as it gets: their address is no longer allowed and
    //    one connection per address is the cap. Established connections must not notice.
    const hostile = { allowFrom: ['192.0.2.0/24'], maxConnectionsPerIp: 1, connectionsPerSecondPerIp: 0.5 };
    file.write({ ...base, ...hostile });
    run.child.kill('SIGHUP');
    await logLine(run, 'config reloaded', 1);
    // 2. Invalid: rejected, the running config stays.
    file.write({ ...base, ...hostile, maxConnections: -1 });
    run.child.kill('SIGHUP');
    expect(((await logLine(run, 'config reload rejected', 1)).errors as string[]).join('\n')).toMatch(/maxConnections/);
    // 3. Restart-only: reported and ignored; the listeners stay where they are.
    file.write({ ...base, ...hostile, proxyPort: 3999, listenBacklog: 128 });
    run.child.kill('SIGHUP');
    await logLine(run, 'config reloaded', 2);
    expect((await logLine(run, 'config reload: these settings need a restart', 1)).keys).toEqual(['proxyPort', 'listenBacklog']);

    const afterReloads = farm.progress().accepted;
    await acceptedAtLeast(afterReloads + SHARES_EACH_SIDE, 'after the reloads');

    // The new rules are in force for new connections.
    expect(await connectFrom(proxyPort, '127.0.0.1')).toBe('closed');

    const metrics = await scrape(metricsPort);
    expect(sumSamples(metrics, 'stratum_connection_closes_total')).toBe(0);
    for (const side of ['miner', 'pool', 'proxy']) expect({ side, closes: sumSamples(metrics, 'stratum_connection_closes_total', { side }) }).toEqual({ side, closes: 0 });
    expect(valueOf(metrics, 'stratum_connections_rejected_total', { reason: 'not_allowed' })).toBe(1);
    expect(sumSamples(metrics, 'stratum_connections_rejected_total')).toBe(1);
    expect(sumSamples(metrics, 'stratum_active_connections')).toBe(MINERS);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'success' })).toBe(2);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'failure' })).toBe(1);

    const summary = farm.summary();
    expect({ connects: summary.connects, reconnects: summary.reconnects, disconnects: summary.disconnects, connectFailures: summary.connectFailures }).toEqual({
      connects: MINERS,
      reconnects: 0,
      disconnects: 0,
      connectFailures: 0,
    });
    expect(summary.rejected).toBe(0);
    expect(run.child.exitCode).toBeNull();
  });
});
