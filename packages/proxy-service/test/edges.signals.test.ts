import { assertBuilt, cleanupAll, connectMiner, runProgram, waitFor, type MinerClient, type ProgramRun } from './service-test-kit';
import { cleanupEdges, httpGet, pidListensOn, probePort, startTaggedPool, tempConfigFile, type ConfigFile, type TaggedPool } from './helpers/edges-kit';

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanupAll();
  await cleanupEdges();
});

/** Where Node's inspector listens when SIGUSR1 opens it. */
const INSPECTOR_PORT = 9229;

const BASE = {
  proxyHost: '127.0.0.1',
  proxyPort: 0,
  metricsHost: '127.0.0.1',
  metricsPort: 0,
  drainTimeoutMs: 200,
  logLevel: 'info',
  logFormat: 'json',
};

interface Started {
  readonly run: ProgramRun;
  readonly file: ConfigFile;
  readonly pool: TaggedPool;
  readonly proxyPort: number;
  readonly metricsPort: number;
}

/** The built program with nothing but CONFIG_FILE in its environment; resolves once it listens. */
async function startProgram(): Promise<Started> {
  const pool = await startTaggedPool('a', 'aa000001');
  const file = tempConfigFile();
  file.write({ ...BASE, pools: [`stratum+tcp://127.0.0.1:${pool.port}`] });
  const run = runProgram([], { CONFIG_FILE: file.path });
  const metrics = await run.waitForLog('metrics HTTP server listening');
  const listening = await run.waitForLog('proxy listening');
  return {
    run,
    file,
    pool,
    proxyPort: (listening.proxy_address as { port: number }).port,
    metricsPort: (metrics.metrics_address as { port: number }).port,
  };
}

/** The `nth` (1-based) log line whose msg starts with `prefix`, waited for (bounded). */
function logLine(run: ProgramRun, prefix: string, nth = 1): Promise<Record<string, unknown>> {
  return waitFor(
    `log line #${nth} starting "${prefix}" (stderr: ${run.stderrLines.join(' | ')})`,
    () => run.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix))[nth - 1],
    10_000,
  );
}

function countLines(run: ProgramRun, prefix: string): number {
  return run.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix)).length;
}

async function authorized(proxyPort: number, worker: string): Promise<MinerClient> {
  const miner = await connectMiner(proxyPort);
  miner.send({ id: 1, method: 'mining.subscribe', params: ['edges/1.0'] });
  miner.send({ id: 2, method: 'mining.authorize', params: [worker, 'x'] });
  await miner.response(2);
  return miner;
}

/** SIGTERM and the exit status, bounded (the drain deadline in BASE is 200 ms). */
async function stopProgram(run: ProgramRun): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  run.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the proxy did not exit within 10 s of SIGTERM')), 10_000);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('stratum-proxy signals', () => {
  it('on SIGHUP re-reads the config file, logs "config reloaded", and keeps running with the miner connected', async () => {
    const { run, file, pool, proxyPort, metricsPort } = await startProgram();
    const miner = await authorized(proxyPort, 'alice.rig1');

    file.write({ ...BASE, pools: [`stratum+tcp://127.0.0.1:${pool.port}`], maxConnectionsPerIp: 50, proxyPort: 3999 });
    run.child.kill('SIGHUP');
    const reloaded = await logLine(run, 'config reloaded');
    expect(reloaded).toMatchObject({ level: 'info', applied: ['maxConnectionsPerIp'] });
    expect(await logLine(run, 'config reload: these settings need a restart')).toMatchObject({ level: 'warn', keys: ['proxyPort'] });

    expect(run.child.exitCode).toBeNull();
    miner.send({ id: 3, method: 'mining.submit', params: ['alice.rig1', 'job1', '00000000', '5f5e1000', '12345678'] });
    expect(await miner.response(3)).toMatchObject({ result: true });
    expect((await httpGet(metricsPort, '/healthz')).status).toBe(200);
    const status = JSON.parse((await httpGet(metricsPort, '/status')).body) as { reload: { count: number; lastSuccessAt: string | null } };
    expect(status.reload.count).toBe(1);
    expect(status.reload.lastSuccessAt).not.toBeNull();

    expect(await stopProgram(run)).toEqual({ code: 0, signal: null });
  });

  it('on SIGHUP with an invalid file logs "config reload rejected" with the problem and keeps running', async () => {
    const { run, file, pool, proxyPort, metricsPort } = await startProgram();
    const miner = await authorized(proxyPort, 'bob.rig2');

    file.write({ ...BASE, pools: [`stratum+tcp://127.0.0.1:${pool.port}`], maxConnections: -1 });
    run.child.kill('SIGHUP');
    const rejected = await logLine(run, 'config reload rejected');
    expect(rejected.level).toBe('error');
    expect((rejected.errors as string[]).join('\n')).toMatch(/maxConnections.*-1/);

    // No pool at all: the same message as at start, and still running.
    file.write({ ...BASE });
    run.child.kill('SIGHUP');
    const second = await logLine(run, 'config reload rejected', 2);
    expect((second.errors as string[]).join('\n')).toMatch(/pool/i);

    expect(countLines(run, 'config reloaded')).toBe(0);
    expect(run.child.exitCode).toBeNull();
    miner.send({ id: 3, method: 'mining.submit', params: ['bob.rig2', 'job1', '00000000', '5f5e1000', '12345678'] });
    expect(await miner.response(3)).toMatchObject({ result: true });
    const metrics = await httpGet(metricsPort, '/metrics');
    expect(metrics.body).toMatch(/^stratum_config_reloads_total\{result="failure"\} 2$/m);
    // A new miner still gets through on the running config.
    await authorized(proxyPort, 'bob.rig3');

    expect(await stopProgram(run)).toEqual({ code: 0, signal: null });
  });

  it('on SIGUSR1 logs a warning, keeps running and opens no inspector on 127.0.0.1:9229', async () => {
    const { run, proxyPort } = await startProgram();
    const pid = run.child.pid as number;
    // Something else on this machine may hold 9229: then only "not this process" can be checked.
    const freeBefore = (await probePort(INSPECTOR_PORT)) === 'ECONNREFUSED';

    run.child.kill('SIGUSR1');
    expect(await logLine(run, 'SIGUSR1 ignored')).toMatchObject({ level: 'warn', signal: 'SIGUSR1' });
    // The inspector would open within a few ms of the signal; give it time to show.
    await settle(300);

    expect(run.child.exitCode).toBeNull();
    expect(pidListensOn(pid, INSPECTOR_PORT)).toBe(false);
    if (freeBefore) expect(await probePort(INSPECTOR_PORT)).toBe('ECONNREFUSED');
    expect(run.stderrLines.join('\n')).not.toMatch(/Debugger listening/);
    // A second one changes nothing either.
    run.child.kill('SIGUSR1');
    await logLine(run, 'SIGUSR1 ignored', 2);
    expect(pidListensOn(pid, INSPECTOR_PORT)).toBe(false);
    await authorized(proxyPort, 'carol.rig3');

    expect(await stopProgram(run)).toEqual({ code: 0, signal: null });
  });
});
