/**
 * The built program with WORKERS=2 as an operator runs it: a primary and two relay workers
 * sharing the miner port, one /metrics, one /status, worker crashes and signals.
 */
import {
  assertBuilt,
  cleanupAll,
  connectMiner,
  occupiedPort,
  runProgram,
  runToExit,
  startLoopbackPool,
  waitFor,
  type MinerClient,
  type ProgramRun,
} from './service-test-kit';
import { connectTlsMiner, selfSignedCerts } from './helpers/edges-certs';
import { cleanupEdges, tempFile } from './helpers/edges-kit';

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanupAll();
  await cleanupEdges();
});

interface Cluster {
  readonly run: ProgramRun;
  readonly proxyPort: number;
  readonly base: string;
}

async function startCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const pool = await startLoopbackPool();
  const run = runProgram([], {
    WORKERS: '2',
    POOL_HOST: '127.0.0.1',
    POOL_PORT: String(pool.port),
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    DRAIN_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'info',
    ...env,
  });
  const http = await run.waitForLog('metrics HTTP server listening');
  const listening = await run.waitForLog('relay workers listening');
  return {
    run,
    proxyPort: (listening.proxy_address as { port: number }).port,
    base: `http://127.0.0.1:${(http.metrics_address as { port: number }).port}`,
  };
}

interface StatusBody {
  workers: Array<{ workerId: number; pid: number; state: string; slot: number }>;
  connections: Array<{ workerId: number; worker: string | null }>;
}

async function status(base: string): Promise<StatusBody> {
  return (await (await fetch(`${base}/status`)).json()) as StatusBody;
}

/** Every sample of the exposition: `name{labels}` → value. */
async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

function total(samples: Map<string, number>, family: string): number {
  let sum = 0;
  for (const [key, value] of samples) if (key.startsWith(`${family}{`) || key === family) sum += value;
  return sum;
}

/** A miner that subscribed, authorized as `worker` and had `shares` submits accepted. */
async function miner(port: number, worker: string, shares: number): Promise<MinerClient> {
  const m = await connectMiner(port);
  m.send({ id: 1, method: 'mining.subscribe', params: ['cluster-test/1.0'] });
  m.send({ id: 2, method: 'mining.authorize', params: [worker, 'x'] });
  await m.response(2);
  await submit(m, worker, shares, 100);
  return m;
}

async function submit(m: MinerClient, worker: string, shares: number, firstId: number): Promise<void> {
  for (let i = 0; i < shares; i++) m.send({ id: firstId + i, method: 'mining.submit', params: [worker, 'job', '00000000', '5f5e1000', '12345678'] });
  for (let i = 0; i < shares; i++) expect(await m.response(firstId + i)).toMatchObject({ result: true });
}

describe('stratum-proxy with WORKERS=2', () => {
  it('spreads miners over both workers, counts every share exactly, and replaces a killed worker without touching the other one or going backwards', async () => {
    const { run, proxyPort, base } = await startCluster();
    const miners = new Map<string, MinerClient>();
    let sent = 0;
    for (let i = 1; i <= 6; i++) {
      miners.set(`rig${i}`, await miner(proxyPort, `rig${i}`, i));
      sent += i;
    }

    // Both workers hold miners; /status says which.
    const before = await status(base);
    expect(before.workers.map((w) => w.state)).toEqual(['running', 'running']);
    const holder = new Map(before.connections.map((c) => [c.worker, c.workerId]));
    expect(holder.size).toBe(6);
    expect(new Set(holder.values()).size).toBe(2);

    // One /metrics over both: the exact sum of what the miners had accepted.
    const first = await scrape(base);
    expect(total(first, 'stratum_submits_total')).toBe(sent);
    expect(total(first, 'stratum_accepted_shares_total')).toBe(sent);
    for (let i = 1; i <= 6; i++) {
      const rig = [...first].filter(([key]) => key.startsWith(`stratum_accepted_shares_total{client_id="rig${i}",`));
      expect(rig.map(([, v]) => v)).toEqual([i]);
    }
    expect(total(first, 'stratum_active_connections')).toBe(6);
    expect(first.get('stratum_workers{state="running"}')).toBe(2);

    // kill -9 one worker.
    const victim = before.workers[0]!;
    process.kill(victim.pid, 'SIGKILL');
    const onVictim = [...miners].filter(([name]) => holder.get(name) === victim.workerId);
    const onSurvivor = [...miners].filter(([name]) => holder.get(name) !== victim.workerId);
    expect(onVictim.length).toBeGreaterThan(0);
    expect(onSurvivor.length).toBeGreaterThan(0);
    await Promise.all(onVictim.map(([, m]) => m.closed));

    // It is restarted; the survivor's miners kept their connections and keep mining.
    await run.waitForLog('worker exited unexpectedly', (l) => l.worker_id === victim.workerId && l.signal === 'SIGKILL');
    await waitFor('the replacement worker', () => {
      const listening = run.logs().filter((l) => l.msg === 'worker listening' && l.slot === victim.slot);
      return listening.length === 2 ? listening : undefined;
    });
    let more = 0;
    for (const [name, m] of onSurvivor) {
      expect(m.socket.destroyed).toBe(false);
      await submit(m, name, 2, 200);
      more += 2;
    }

    const after = await scrape(base);
    expect(after.get('stratum_worker_restarts_total')).toBe(1);
    expect(after.get('stratum_workers{state="running"}')).toBe(2);
    // Nothing the killed worker counted before the last scrape is lost, nothing goes backwards.
    expect(total(after, 'stratum_submits_total')).toBe(sent + more);
    expect(total(after, 'stratum_accepted_shares_total')).toBe(sent + more);
    const wentBack = [...first].filter(([key, value]) => /^stratum_\w+(_total|_bucket|_sum|_count)(\{|$)/.test(key) && (after.get(key) ?? 0) < value);
    expect(wentBack).toEqual([]);

    // New miners reach the replacement too.
    const later = await status(base);
    const replacement = later.workers.find((w) => w.slot === victim.slot)!;
    expect(replacement.workerId).not.toBe(victim.workerId);
    for (let i = 7; i <= 10; i++) await miner(proxyPort, `rig${i}`, 1);
    expect((await status(base)).connections.some((c) => c.workerId === replacement.workerId)).toBe(true);
  });

  it('relays SIGHUP to every worker, then drains both on SIGTERM (readiness 503 at once) and exits 0', async () => {
    const { run, proxyPort, base } = await startCluster({ DRAIN_TIMEOUT_MS: '10000' });
    const workerIds = (await status(base)).workers.map((w) => w.workerId);

    run.child.kill('SIGHUP');
    await run.waitForLog('config reloaded in every worker and the primary');
    const reloaded = run.logs().filter((l) => l.msg === 'config reloaded: new connections use it; established ones are untouched');
    expect(reloaded.map((l) => l.worker_id).sort()).toEqual([...workerIds].sort());
    const pids = new Set(reloaded.map((l) => l.pid));
    expect(pids.size).toBe(2);

    const m = await miner(proxyPort, 'drain.rig', 1);
    run.child.kill('SIGTERM');
    await run.waitForLog('shutting down: no new connections, draining open ones', (l) => l.worker_id === undefined);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not_ready', reason: 'closing' });
    // Both workers drain; the miner still gets answers until it leaves.
    await waitFor('both workers draining', () => {
      const lines = run.logs().filter((l) => l.msg === 'shutting down: no new connections, draining open ones' && l.worker_id !== undefined);
      return lines.length === 2 ? lines : undefined;
    });
    await submit(m, 'drain.rig', 1, 300);
    m.socket.end();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.logs().find((l) => l.msg === 'connections closed' && l.worker_id === undefined)).toMatchObject({ drained: 1, forced: 0, aborted: false });
  });

  it('shares the TLS listener too: TLS miners land on both workers', async () => {
    const [pair] = selfSignedCerts(1);
    const { run, base } = await startCluster({
      TLS_PORT: '0',
      TLS_CERT_FILE: tempFile('cert.pem', pair!.cert.toString()),
      TLS_KEY_FILE: tempFile('key.pem', pair!.key.toString()),
    });
    const listening = run.logs().filter((l) => l.msg === 'worker listening');
    const tlsPorts = new Set(listening.map((l) => (l.tls_address as { port: number }).port));
    expect(tlsPorts.size).toBe(1);
    const [tlsPort] = [...tlsPorts];
    for (let i = 1; i <= 4; i++) {
      const m = await connectTlsMiner(tlsPort!);
      expect(m.fingerprint256).toBe(pair!.fingerprint256);
      m.send({ id: 1, method: 'mining.subscribe', params: [] });
      m.send({ id: 2, method: 'mining.authorize', params: [`tls${i}`, 'x'] });
      expect(await m.response(2)).toMatchObject({ result: true });
    }
    const connections = (await status(base)).connections.filter((c) => c.worker?.startsWith('tls') === true);
    expect(connections).toHaveLength(4);
    expect(new Set(connections.map((c) => c.workerId)).size).toBe(2);
  });

  it('fails to start like a single process when the miner port is taken: one line on stderr, exit 1', async () => {
    const pool = await startLoopbackPool();
    const port = await occupiedPort();
    const { code, stderr } = await runToExit([], {
      WORKERS: '2',
      POOL_HOST: '127.0.0.1',
      POOL_PORT: String(pool.port),
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use (PROXY_PORT / --proxy-port)`);
  });

  it('runs as one process with WORKERS=1: no worker is forked', async () => {
    const pool = await startLoopbackPool();
    const run = runProgram([], { WORKERS: '1', POOL_HOST: '127.0.0.1', POOL_PORT: String(pool.port), PROXY_HOST: '127.0.0.1', PROXY_PORT: '0', METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' });
    const listening = await run.waitForLog('proxy listening');
    expect(listening.pid).toBe(run.child.pid);
    expect(run.logs().filter((l) => l.msg === 'worker started' || l.worker_id !== undefined)).toEqual([]);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });
});
