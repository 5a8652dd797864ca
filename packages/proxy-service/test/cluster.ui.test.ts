/**
 * /api/* and /ui with WORKERS=2 on the built program: the primary asks both worker processes and
 * merges — every endpoint, a followed connection's lines over Server-Sent Events (also across an
 * upgrade's handover), a stopped worker named instead of waited for, a killed one replaced.
 */
import { assertBuilt, cleanupAll, cleanupLater, connectMiner, runProgram, startLoopbackPool, waitFor, type MinerClient, type ProgramRun } from './service-test-kit';

beforeAll(assertBuilt);
afterEach(cleanupAll);

const TOKEN = 'cluster-ui-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

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
    METRICS_TOKEN: TOKEN,
    // No probe during the test: every pool socket is a miner's.
    POOL_PROBE_INTERVAL_MS: '600000',
    DRAIN_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'info',
    ...env,
  });
  const http = await run.waitForLog('metrics HTTP server listening');
  const listening = await run.waitForLog('relay workers listening');
  return { run, proxyPort: (listening.proxy_address as { port: number }).port, base: `http://127.0.0.1:${(http.metrics_address as { port: number }).port}` };
}

interface Connection {
  connectionId: number;
  worker: string | null;
  workerId: number;
  closedAt: string | null;
  accepted: number;
}
interface ConnectionsAnswer {
  connections: Connection[];
  missingWorkers: number[];
}
interface TraceAnswer {
  connections: number[];
  entries: Array<{ line: string; session: number; direction: string }>;
  missingWorkers: number[];
  error?: string;
}
interface StatusBody {
  workers: Array<{ workerId: number; pid: number; slot: number }>;
}

async function get<T>(base: string, path: string): Promise<{ status: number; body: T; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${base}${path}`, { headers: AUTH });
  return { status: res.status, body: (await res.json()) as T, ms: Date.now() - started };
}

/** A miner that subscribed, authorized as `worker` (password `secret-<worker>`) and had `shares` submits accepted. */
async function miner(port: number, worker: string, shares: number): Promise<MinerClient> {
  const m = await connectMiner(port);
  m.send({ id: 1, method: 'mining.subscribe', params: ['cluster-ui-test/1.0'] });
  m.send({ id: 2, method: 'mining.authorize', params: [worker, `secret-${worker}`] });
  await m.response(2);
  await submit(m, worker, shares, 100);
  return m;
}

async function submit(m: MinerClient, worker: string, shares: number, firstId: number): Promise<void> {
  for (let i = 0; i < shares; i++) m.send({ id: firstId + i, method: 'mining.submit', params: [worker, 'job', '00000000', '5f5e1000', '12345678'] });
  for (let i = 0; i < shares; i++) expect(await m.response(firstId + i)).toMatchObject({ result: true });
}

/** Six miners spread over both workers; returns them by name with the connection each is. */
async function farm(c: Cluster): Promise<{ miners: Map<string, MinerClient>; byName: Map<string, Connection>; sent: number }> {
  const miners = new Map<string, MinerClient>();
  let sent = 0;
  for (let i = 1; i <= 6; i++) {
    miners.set(`rig${i}`, await miner(c.proxyPort, `rig${i}`, i));
    sent += i;
  }
  const { body } = await get<ConnectionsAnswer>(c.base, '/api/connections');
  const byName = new Map(body.connections.map((conn) => [conn.worker as string, conn]));
  return { miners, byName, sent };
}

/** A Server-Sent Events stream: read() until an event satisfies `match`. */
async function openEvents(base: string, path: string): Promise<{ next(match: (name: string, data: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>> }> {
  const controller = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: AUTH, signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  cleanupLater(async () => {
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });
  const decoder = new TextDecoder();
  let buffer = '';
  // One read at a time, kept across calls: a read that outlived a call's deadline still delivers to the next call.
  let pending: ReturnType<typeof reader.read> | null = null;
  return {
    async next(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name !== undefined && data !== undefined) {
            const parsed = JSON.parse(data) as Record<string, unknown>;
            if (match(name, parsed)) return parsed;
          }
        }
        if (Date.now() > deadline) throw new Error(`no matching event on ${path} within ${timeoutMs} ms`);
        const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), Math.max(1, deadline - Date.now())).unref());
        pending ??= reader.read();
        const chunk = await Promise.race([pending, timer]);
        if (chunk === 'late') continue;
        pending = null;
        if (chunk.done) throw new Error(`${path} ended`);
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
  };
}

type Events = Awaited<ReturnType<typeof openEvents>>;

/**
 * Submits (job `live-<id>`) until one's line comes back as a `trace` event; returns the event's
 * connection id. More than one try only when the stream's watch had not yet reached the worker
 * (it travels on the primary's IPC channel while the submit travels on the miner's socket).
 */
async function submitUntilStreamed(m: MinerClient, worker: string, events: Events, nextId: () => number): Promise<unknown> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = nextId();
    m.send({ id, method: 'mining.submit', params: [worker, `live-${id}`, '00000000', '5f5e1000', 'abcdef01'] });
    expect(await m.response(id)).toMatchObject({ result: true });
    try {
      const event = await events.next((name, data) => name === 'trace' && JSON.stringify(data).includes(`live-${id}`), 3_000);
      return event.connectionId;
    } catch {
      // Not followed yet: the next submit will be.
    }
  }
  throw new Error(`no trace event for ${worker}`);
}

describe('/api and /ui with WORKERS=2', () => {
  it('answers every endpoint for both workers: connections, traces by id and by worker, bundles, the farm over SSE and the page', async () => {
    const c = await startCluster();
    const { byName, sent } = await farm(c);

    const listed = await get<ConnectionsAnswer>(c.base, '/api/connections');
    expect(listed.status).toBe(200);
    expect(listed.body.missingWorkers).toEqual([]);
    expect(listed.body.connections.map((conn) => conn.worker).sort()).toEqual(['rig1', 'rig2', 'rig3', 'rig4', 'rig5', 'rig6']);
    const status = await get<StatusBody>(c.base, '/status');
    const workerIds = status.body.workers.map((w) => w.workerId).sort();
    expect([...new Set(listed.body.connections.map((conn) => conn.workerId))].sort()).toEqual(workerIds);
    for (const conn of listed.body.connections) expect(conn.accepted).toBe(Number(conn.worker?.slice(3)));
    expect((await fetch(`${c.base}/api/connections`)).status).toBe(401);

    // One connection of each worker: its trace, by id and by worker name, and its bundle.
    for (const workerId of workerIds) {
      const conn = listed.body.connections.find((x) => x.workerId === workerId)!;
      const name = conn.worker as string;
      const trace = await get<TraceAnswer>(c.base, `/api/trace?connection=${conn.connectionId}`);
      expect(trace.status).toBe(200);
      expect(trace.body.connections).toEqual([conn.connectionId]);
      const lines = trace.body.entries.map((e) => e.line);
      expect(lines.some((l) => l.includes('"mining.authorize"') && l.includes(name))).toBe(true);
      expect(lines.join('\n')).not.toContain(`secret-${name}`);
      expect(lines.filter((l) => l.includes('"mining.submit"'))).toHaveLength(Number(name.slice(3)));
      expect(trace.body.entries.every((e) => e.session === conn.connectionId)).toBe(true);

      const byWorker = await get<TraceAnswer>(c.base, `/api/trace?worker=${name}&limit=3`);
      expect(byWorker.status).toBe(200);
      expect(byWorker.body.connections).toEqual([conn.connectionId]);
      expect(byWorker.body.entries.map((e) => e.line)).toEqual(lines.slice(-3));

      const bundle = await get<Record<string, unknown>>(c.base, `/api/debug/bundle/${conn.connectionId}`);
      expect(bundle.status).toBe(200);
      expect(bundle.body).toMatchObject({ kind: 'stratum-relay-debug-bundle', workerId, missingWorkers: [], connection: { connectionId: conn.connectionId, worker: name } });
      expect((bundle.body.trace as unknown[]).length).toBe(trace.body.entries.length);
      const accepted = (bundle.body.metrics as string[]).filter((l) => l.startsWith(`stratum_accepted_shares_total{client_id="${name}",`));
      expect(accepted.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))).toEqual([Number(name.slice(3))]);
      expect(JSON.stringify(bundle.body)).not.toContain(TOKEN);
      expect(JSON.stringify(bundle.body)).not.toContain(`secret-${name}`);
    }
    expect((await get<TraceAnswer>(c.base, '/api/trace?connection=999')).status).toBe(404);
    expect((await get<TraceAnswer>(c.base, '/api/debug/bundle/999')).status).toBe(404);
    expect(byName.size).toBe(6);

    // The farm over both workers (merged from their snapshots: it may take a scrape interval).
    const events = await openEvents(c.base, '/api/events');
    const farmEvent = await events.next((name, data) => name === 'farm' && data.accepted === sent);
    expect(farmEvent).toMatchObject({ accepted: sent, rejected: 0, connections: 6 });

    const page = await fetch(`${c.base}/ui`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect((await fetch(`${c.base}/ui/assets/app.js`)).status).toBe(200);
  });

  it("streams a followed connection's new lines from the worker relaying it, and keeps streaming them after an upgrade hands it over", async () => {
    const c = await startCluster();
    const { miners, byName } = await farm(c);
    // One connection of each worker.
    const followed = [...new Map([...byName.values()].map((conn) => [conn.workerId, conn])).values()];
    expect(followed).toHaveLength(2);
    let nextId = 500;
    for (const conn of followed) {
      const events = await openEvents(c.base, `/api/events?connection=${conn.connectionId}`);
      await events.next((event) => event === 'hello');
      expect(await submitUntilStreamed(miners.get(conn.worker as string)!, conn.worker as string, events, () => nextId++)).toBe(conn.connectionId);
    }

    // An upgrade: both workers are replaced, the connection moves with its id.
    const conn = byName.get('rig1')!;
    const m = miners.get('rig1')!;
    const events = await openEvents(c.base, `/api/events?connection=${conn.connectionId}`);
    await events.next((event) => event === 'hello');
    c.run.child.kill('SIGUSR2');
    await c.run.waitForLog('upgrade complete', (l) => l.generation === 2);
    const moved = (await get<ConnectionsAnswer>(c.base, '/api/connections')).body.connections.find((x) => x.connectionId === conn.connectionId)!;
    expect(moved.workerId).not.toBe(conn.workerId);
    expect(await submitUntilStreamed(m, 'rig1', events, () => nextId++)).toBe(conn.connectionId);
    // The successor's trace has the lines since the handover.
    const trace = await get<TraceAnswer>(c.base, `/api/trace?connection=${conn.connectionId}`);
    expect(trace.body.entries.some((e) => e.line.includes('"mining.submit"'))).toBe(true);
  });

  it('answers within the request timeout when a worker is stopped, naming it; after a worker is killed it answers for the rest and the replacement', async () => {
    const c = await startCluster();
    const { byName } = await farm(c);
    const status = (await get<StatusBody>(c.base, '/status')).body;
    const victim = status.workers[0]!;
    const survivor = status.workers[1]!;
    const onVictim = [...byName.values()].find((x) => x.workerId === victim.workerId)!;
    const onSurvivor = [...byName.values()].find((x) => x.workerId === survivor.workerId)!;

    process.kill(victim.pid, 'SIGSTOP');
    let stopped = true;
    cleanupLater(() => {
      if (stopped) process.kill(victim.pid, 'SIGCONT');
    });
    const listed = await get<ConnectionsAnswer>(c.base, '/api/connections');
    expect(listed.status).toBe(200);
    expect(listed.body.missingWorkers).toEqual([victim.workerId]);
    expect(listed.body.connections.every((x) => x.workerId === survivor.workerId)).toBe(true);
    expect(listed.body.connections.length).toBeGreaterThan(0);
    const unavailable = await get<TraceAnswer>(c.base, `/api/trace?connection=${onVictim.connectionId}`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body).toMatchObject({ error: 'workers_unavailable', missingWorkers: [victim.workerId] });
    expect((await get<TraceAnswer>(c.base, `/api/debug/bundle/${onVictim.connectionId}`)).status).toBe(503);
    const partial = await get<TraceAnswer>(c.base, `/api/trace?connection=${onSurvivor.connectionId}`);
    expect(partial.status).toBe(200);
    expect(partial.body.missingWorkers).toEqual([victim.workerId]);
    const events = await openEvents(c.base, '/api/events');
    await events.next((name) => name === 'farm');
    process.kill(victim.pid, 'SIGCONT');
    stopped = false;

    process.kill(victim.pid, 'SIGKILL');
    await c.run.waitForLog('worker exited unexpectedly', (l) => l.worker_id === victim.workerId);
    await waitFor('the replacement worker', () => {
      const listening = c.run.logs().filter((l) => l.msg === 'worker listening' && l.slot === victim.slot);
      return listening.length === 2 ? listening : undefined;
    });
    const after = await get<ConnectionsAnswer>(c.base, '/api/connections');
    expect(after.status).toBe(200);
    expect(after.body.missingWorkers).toEqual([]);
    expect(after.body.connections.filter((x) => x.closedAt === null).every((x) => x.workerId === survivor.workerId)).toBe(true);
    expect((await get<TraceAnswer>(c.base, `/api/trace?connection=${onVictim.connectionId}`)).status).toBe(404);
    expect((await get<TraceAnswer>(c.base, `/api/trace?connection=${onSurvivor.connectionId}`)).status).toBe(200);
    // A miner on the replacement is listed with it.
    const replacementId = (await get<StatusBody>(c.base, '/status')).body.workers.find((w) => w.slot === victim.slot)!.workerId;
    for (let i = 0; i < 8; i++) {
      await miner(c.proxyPort, `late${i}`, 1);
      const now = (await get<ConnectionsAnswer>(c.base, '/api/connections')).body.connections;
      if (now.some((x) => x.workerId === replacementId)) return;
    }
    throw new Error('no miner reached the replacement worker');
  });
});
