/**
 * Upgrades in place with WORKERS=2, on the built program: SIGUSR2 replaces every worker and each
 * hands its established plain-TCP miners over to its successor through the primary — the same
 * connections, ids and pool sockets, every share counted once — while a TLS miner stays with the
 * old worker until it leaves, and a successor killed in the middle leaves no miner hanging.
 */
import { assertBuilt, cleanupAll, connectMiner, runProgram, startLoopbackPool, waitFor, type MinerClient, type ProgramRun } from './service-test-kit';
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
  readonly pool: Awaited<ReturnType<typeof startLoopbackPool>>;
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
    // No probe during the test: every pool socket is a miner's.
    POOL_PROBE_INTERVAL_MS: '600000',
    DRAIN_TIMEOUT_MS: '20000',
    LOG_LEVEL: 'info',
    ...env,
  });
  const http = await run.waitForLog('metrics HTTP server listening');
  const listening = await run.waitForLog('relay workers listening');
  return { run, pool, proxyPort: (listening.proxy_address as { port: number }).port, base: `http://127.0.0.1:${(http.metrics_address as { port: number }).port}` };
}

interface StatusWorker {
  workerId: number;
  pid: number;
  slot: number;
  generation: number;
  state: string;
  retiring: { mode: string; phase: string; connections: number; handover: { kept: number; keptByReason: Record<string, number>; adopted: number } | null } | null;
}
interface StatusBody {
  workers: StatusWorker[];
  connections: Array<{ workerId: number; connectionId: number; worker: string | null; submits: number; accepted: number }>;
}

async function status(base: string): Promise<StatusBody> {
  return (await (await fetch(`${base}/status`)).json()) as StatusBody;
}

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

async function miner(port: number, worker: string): Promise<MinerClient> {
  const m = await connectMiner(port);
  m.send({ id: 1, method: 'mining.subscribe', params: ['handover-test/1.0'] });
  m.send({ id: 2, method: 'mining.authorize', params: [worker, 'x'] });
  await m.response(2);
  return m;
}

async function submit(m: MinerClient, worker: string, shares: number, firstId: number): Promise<void> {
  for (let i = 0; i < shares; i++) m.send({ id: firstId + i, method: 'mining.submit', params: [worker, 'job', '00000000', '5f5e1000', '12345678'] });
  for (let i = 0; i < shares; i++) expect(await m.response(firstId + i)).toMatchObject({ result: true });
}

/** 'relayed' once the answer with this id is in, 'hung' at the deadline or when the socket closed first. */
async function answered(m: MinerClient, id: number, deadline: number): Promise<'relayed' | 'hung'> {
  const tag = `"id":${id},`;
  while (Date.now() < deadline && !m.socket.destroyed) {
    if (m.lines.some((line) => line.includes(tag))) return 'relayed';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return 'hung';
}

/** SIGUSR2, then the primary's "upgrade complete" for that generation. */
async function upgrade(c: Cluster, generation: number): Promise<void> {
  c.run.child.kill('SIGUSR2');
  await c.run.waitForLog('upgrade complete', (l) => l.generation === generation);
}

describe('stratum-proxy WORKERS=2: upgrades in place (SIGUSR2)', () => {
  it('hands every plain-TCP miner to the new workers, twice: no connection closes, each keeps its id and its pool socket, every share counts once', async () => {
    const c = await startCluster();
    const miners: Array<[string, MinerClient]> = [];
    for (let i = 1; i <= 12; i++) {
      const name = `rig${i}`;
      const m = await miner(c.proxyPort, name);
      await submit(m, name, 2, 100);
      miners.push([name, m]);
    }
    const before = await status(c.base);
    const ids = new Map(before.connections.map((conn) => [conn.worker, conn.connectionId]));
    expect(ids.size).toBe(12);
    // Each worker its own id range: node:cluster id × 1e9.
    for (const conn of before.connections) expect(Math.floor(conn.connectionId / 1e9)).toBe(conn.workerId);
    const poolSockets = new Set(c.pool.sockets);
    expect(poolSockets.size).toBe(12);

    for (const [round, generation] of [
      [1, 2],
      [2, 3],
    ] as const) {
      await upgrade(c, generation);
      const after = await status(c.base);
      // The old workers left (nothing was kept), the new ones hold every connection under its id.
      await waitFor('the old workers to exit', () => (c.run.logs().filter((l) => l.msg === 'worker exited' && l.mode === 'upgrade').length === 2 * round ? true : undefined));
      expect(after.workers.filter((w) => w.generation === generation).map((w) => w.slot).sort()).toEqual([1, 2]);
      const holders = new Set(after.workers.filter((w) => w.generation === generation).map((w) => w.workerId));
      expect(new Map(after.connections.map((conn) => [conn.worker, conn.connectionId]))).toEqual(ids);
      for (const conn of after.connections) expect(holders.has(conn.workerId)).toBe(true);
      // Still the same sockets at the pool: nothing reconnected.
      expect(new Set(c.pool.sockets)).toEqual(poolSockets);
      for (const [name, m] of miners) {
        expect(m.socket.destroyed).toBe(false);
        await submit(m, name, 1, 200 + round);
      }
    }
    const done = c.run.logs().filter((l) => l.msg === 'handover finished: the retiring worker drains what it kept');
    expect(done).toHaveLength(4);
    expect(done.reduce((n, l) => n + (l.adopted as number), 0)).toBe(24);
    expect(done.every((l) => l.kept === 0 && l.lost === 0 && l.returned === 0)).toBe(true);

    const metrics = await scrape(c.base);
    expect(total(metrics, 'stratum_submits_total')).toBe(12 * 4);
    expect(total(metrics, 'stratum_accepted_shares_total')).toBe(12 * 4);
    expect(total(metrics, 'stratum_connections_total')).toBe(12);
    expect(total(metrics, 'stratum_connection_closes_total')).toBe(0);
    expect(total(metrics, 'stratum_active_connections')).toBe(12);
    expect(total(metrics, 'stratum_submits_lost_total')).toBe(0);
    expect(total(metrics, 'stratum_unmatched_responses_total')).toBe(0);
    for (let i = 1; i <= 12; i++) expect(metrics.get(`stratum_accepted_shares_total{client_id="rig${i}",pool_host="127.0.0.1:${c.pool.port}"}`)).toBe(4);
  });

  it('keeps a TLS miner with the old worker, which says so on /status and leaves once the miner does', async () => {
    const [pair] = selfSignedCerts(1);
    const c = await startCluster({
      TLS_PORT: '0',
      TLS_CERT_FILE: tempFile('cert.pem', pair!.cert.toString()),
      TLS_KEY_FILE: tempFile('key.pem', pair!.key.toString()),
    });
    const tlsPort = (c.run.logs().find((l) => l.msg === 'worker listening')!.tls_address as { port: number }).port;
    const plain = await miner(c.proxyPort, 'plain.rig');
    const secure = await connectTlsMiner(tlsPort);
    secure.send({ id: 1, method: 'mining.subscribe', params: [] });
    secure.send({ id: 2, method: 'mining.authorize', params: ['tls.rig', 'x'] });
    expect(await secure.response(2)).toMatchObject({ result: true });
    const holder = (await status(c.base)).connections.find((conn) => conn.worker === 'tls.rig')!.workerId;

    await upgrade(c, 2);
    const after = await status(c.base);
    const old = after.workers.find((w) => w.workerId === holder)!;
    expect(old).toMatchObject({ generation: 1, state: 'draining' });
    expect(old.retiring).toMatchObject({ mode: 'upgrade', phase: 'draining', connections: 1, handover: { kept: 1, keptByReason: { tls_miner: 1 } } });
    expect(after.workers.filter((w) => w.generation === 2)).toHaveLength(2);
    expect(after.connections.find((conn) => conn.worker === 'tls.rig')!.workerId).toBe(holder);
    // Both still relay: the TLS one on the old worker, the plain one wherever it went.
    secure.send({ id: 3, method: 'mining.submit', params: ['tls.rig', 'job', '00000000', '5f5e1000', '12345678'] });
    expect(await secure.response(3)).toMatchObject({ result: true });
    await submit(plain, 'plain.rig', 1, 10);
    expect(plain.socket.destroyed).toBe(false);

    // The TLS miner leaves: the old worker has nothing left and exits, long before DRAIN_TIMEOUT_MS.
    secure.socket.end();
    await c.run.waitForLog('worker exited', (l) => l.worker_id === holder && l.mode === 'upgrade');
    expect((await status(c.base)).workers.map((w) => w.generation)).toEqual([2, 2]);
    const metrics = await scrape(c.base);
    expect(total(metrics, 'stratum_connection_closes_total')).toBe(1);
    expect(total(metrics, 'stratum_accepted_shares_total')).toBe(2);
  });

  it('leaves no miner hanging when the new worker is killed in the middle of the handover: each relays on or is closed, within seconds', async () => {
    const MINERS = 300;
    // Debug: each adoption is logged, so the test sees the handover under way.
    const c = await startCluster({ LOG_LEVEL: 'debug' });
    const miners: MinerClient[] = [];
    for (let i = 0; i < MINERS; i += 50) {
      miners.push(...(await Promise.all(Array.from({ length: Math.min(50, MINERS - i) }, (_, k) => miner(c.proxyPort, `crowd.${i + k}`)))));
    }
    // Freeze the first new worker once it has adopted a few connections, so the handover is
    // caught halfway: some connections adopted, some in transit, the rest not sent yet.
    let frozen: number | null = null;
    const pids = new Map<number, number>();
    let adopted = 0;
    const watch = (chunk: string | Buffer): void => {
      if (frozen !== null) return;
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('"msg":"worker started"') && line.includes('"generation":2')) {
          const l = JSON.parse(line) as { worker_id: number; worker_pid: number };
          pids.set(l.worker_id, l.worker_pid);
          continue;
        }
        const successor = [...pids.values()][0];
        if (successor === undefined || !line.includes('"msg":"connection adopted from another worker"') || !line.includes(`"pid":${successor},`)) continue;
        if (++adopted < 10) continue;
        frozen = successor;
        process.kill(successor, 'SIGSTOP');
        return;
      }
    };
    c.run.child.stdout.on('data', watch);
    c.run.child.kill('SIGUSR2');
    const pid = await waitFor('the new worker to adopt a few connections', () => frozen ?? undefined);
    const listened = await c.run.waitForLog('worker started', (l) => l.worker_pid === pid);
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();

    // Every miner, within 5 s: answers a submit, or sees its connection closed.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), 5_000);
    });
    const fates = await Promise.all(
      miners.map(async (m, i) => {
        if (!m.socket.destroyed) m.send({ id: 1000 + i, method: 'mining.submit', params: [`crowd.${i}`, 'job', '00000000', '5f5e1000', '12345678'] });
        return Promise.race([m.closed.then(() => 'closed' as const), answered(m, 1000 + i, killedAt + 5_000), deadline]);
      }),
    );
    clearTimeout(timer);
    const boundMs = Date.now() - killedAt;
    const count = (fate: string): number => fates.filter((f) => f === fate).length;
    expect({ hung: count('hung') }).toEqual({ hung: 0 });
    expect(count('relayed') + count('closed')).toBe(MINERS);
    expect(count('relayed')).toBeGreaterThan(0);
    // The ten or more it adopted died with it.
    expect(count('closed')).toBeGreaterThanOrEqual(10);
    // The killed worker's own connections closed with it; those in transit went back to the old worker.
    const outcomes = c.run.logs().filter((l) => l.msg === 'handover: connection not adopted');
    expect(outcomes.every((l) => l.reason === 'successor_gone' && (l.outcome === 'returned' || l.outcome === 'lost'))).toBe(true);
    const back = c.run.logs().filter((l) => l.msg === 'handover: connection came back, relayed here until the drain');
    expect(back.length).toBe(outcomes.filter((l) => l.outcome === 'returned').length);
    // The upgrade goes on: the slot is filled again and the other one replaced.
    await c.run.waitForLog('upgrade complete', (l) => l.generation === 2);
    expect(listened.slot).toBe(1);
    console.log(
      `kill -9 mid-handover: ${count('relayed')} relayed on, ${count('closed')} closed (every miner settled within ${boundMs} ms), ${back.length} returned to the old worker, ${outcomes.filter((l) => l.outcome === 'lost').length} lost in transit`,
    );
  });

  it('ignores SIGUSR2 with a warning when WORKERS=1: one process has nobody to hand its miners to', async () => {
    const pool = await startLoopbackPool();
    const run = runProgram([], { WORKERS: '1', POOL_HOST: '127.0.0.1', POOL_PORT: String(pool.port), PROXY_HOST: '127.0.0.1', PROXY_PORT: '0', METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' });
    const listening = await run.waitForLog('proxy listening');
    const m = await miner((listening.proxy_address as { port: number }).port, 'single.rig');
    run.child.kill('SIGUSR2');
    await run.waitForLog('SIGUSR2 ignored: upgrading in place needs WORKERS > 1; with one process, upgrade by restarting (SIGTERM drains)');
    await submit(m, 'single.rig', 1, 10);
    expect(run.child.exitCode).toBeNull();
  });
});
