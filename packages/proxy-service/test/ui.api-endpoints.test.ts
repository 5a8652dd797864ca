import { Registry } from 'prom-client';
import { startHttpServer, type MetricsHttpServer } from '../src/http-server';
import type { ConnectionDetails } from '../src/trace/connection-details';
import type { TraceEntry } from '../src/trace/connection-trace';
import type { DebugBundle } from '../src/ui/debug-bundle';
import type { FarmSummary } from '../src/ui/farm-summary';
import type { TraceAnswer, TraceQuery } from '../src/ui/process-view';
import type { BundleAnswer, ConnectionList, TraceBatchListener, UiSource, WorkersMissing } from '../src/ui/ui-source';

const TOKEN = 'ui-test-token';

/** The answers' fields the tests read. */
interface Json {
  connections: unknown;
  entries: Array<{ line: string }>;
  error: string;
  kind: string;
}

const details = { connectionId: 5, worker: 'rig.1' } as unknown as ConnectionDetails;
const entry: TraceEntry = { t: 1, direction: 'miner_to_pool', line: '{"id":1,"method":"mining.subscribe","params":[]}', method: 'mining.subscribe', seq: 1 };

/** A UiSource that knows connection 5 of worker rig.1. */
class FakeSource implements UiSource {
  queries: TraceQuery[] = [];
  watchers = new Map<number, TraceBatchListener>();
  /** Worker processes that "did not answer" (a cluster primary's source). */
  missingWorkers: number[] = [];
  connections(): Promise<ConnectionList> {
    return Promise.resolve({ connections: [details], missingWorkers: this.missingWorkers });
  }
  trace(query: TraceQuery): Promise<TraceAnswer & WorkersMissing> {
    this.queries.push(query);
    const known = query.connection === 5 || query.worker === 'rig.1';
    return Promise.resolve({ connections: known ? [5] : [], entries: known ? [{ ...entry, session: 5 }] : [], traceLines: 200, missingWorkers: this.missingWorkers });
  }
  bundle(connectionId: number): Promise<BundleAnswer> {
    const bundle = connectionId === 5 ? ({ kind: 'stratum-relay-debug-bundle', connection: details, trace: [entry] } as unknown as DebugBundle) : null;
    return Promise.resolve({ bundle, missingWorkers: this.missingWorkers });
  }
  farm(): Promise<FarmSummary> {
    return Promise.resolve({ accepted: 3 } as unknown as FarmSummary);
  }
  watch(connectionId: number, listener: TraceBatchListener): () => void {
    this.watchers.set(connectionId, listener);
    return () => this.watchers.delete(connectionId);
  }
}

describe('/api and /ui on the metrics port', () => {
  let http: MetricsHttpServer;
  let base: string;
  let source: FakeSource;
  let token: string | null = null;
  const auth = (): Record<string, string> => ({ Authorization: `Bearer ${TOKEN}` });

  beforeAll(async () => {
    source = new FakeSource();
    http = await startHttpServer({ host: '127.0.0.1', port: 0, registry: new Registry(), readiness: () => ({ ready: true }), status: () => ({}), token: () => token, ui: source });
    base = `http://127.0.0.1:${http.address()?.port}`;
  });
  afterAll(() => http.close());
  beforeEach(() => {
    token = null;
    source.queries = [];
    source.missingWorkers = [];
  });

  it('lists connections', async () => {
    const res = await fetch(`${base}/api/connections`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).connections).toEqual([details]);
  });

  it('answers a trace by connection or by worker with its limit', async () => {
    const byId = await fetch(`${base}/api/trace?connection=5&limit=10`);
    expect(byId.status).toBe(200);
    expect(((await byId.json()) as Json).entries[0]?.line).toBe(entry.line);
    const byWorker = await fetch(`${base}/api/trace?worker=rig.1`);
    expect(byWorker.status).toBe(200);
    expect(source.queries).toEqual([
      { connection: 5, limit: 10 },
      { worker: 'rig.1', limit: 400 },
    ]);
  });

  it.each([
    ['/api/trace', 'neither worker nor connection'],
    ['/api/trace?worker=a&connection=5', 'both'],
    ['/api/trace?connection=abc', 'a connection that is not a number'],
    ['/api/trace?connection=0', 'connection 0'],
    ['/api/trace?connection=5&limit=ten', 'a limit that is not a number'],
    ['/api/trace?connection=5&limit=0', 'limit 0'],
    ['/api/trace?connection=5&limit=10001', 'a limit over 10,000'],
    ['/api/trace?worker=a&worker=b', 'two workers'],
    ['/api/debug/bundle/x', 'a bundle id that is not a number'],
    ['/api/events?connection=-1', 'an events connection that is not an id'],
  ])('answers 400 JSON for %s (%s)', async (path) => {
    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toBe('bad_request');
  });

  it('answers 404 JSON for an unknown connection or worker', async () => {
    for (const path of ['/api/trace?connection=6', '/api/trace?worker=nobody', '/api/debug/bundle/6']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as Json).error).toBe('not_found');
    }
  });

  it('answers 503 JSON naming the workers that did not answer when nothing was found without them, and lists them with what was found', async () => {
    source.missingWorkers = [3];
    for (const path of ['/api/trace?connection=6', '/api/trace?worker=nobody', '/api/debug/bundle/6']) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status]).toEqual([path, 503]);
      expect(await res.json()).toMatchObject({ error: 'workers_unavailable', missingWorkers: [3] });
    }
    const found = await fetch(`${base}/api/trace?connection=5`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ connections: [5], missingWorkers: [3] });
    expect(await (await fetch(`${base}/api/connections`)).json()).toMatchObject({ connections: [details], missingWorkers: [3] });
  });

  it('serves the bundle as a JSON attachment', async () => {
    const res = await fetch(`${base}/api/debug/bundle/5`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="stratum-relay-connection-5.json"');
    expect(((await res.json()) as Json).kind).toBe('stratum-relay-debug-bundle');
  });

  it('answers other methods with 405', async () => {
    for (const path of ['/api/connections', '/api/trace', '/api/debug/bundle/5', '/ui']) {
      const res = await fetch(`${base}${path}`, { method: 'POST' });
      expect(res.status).toBe(405);
    }
  });

  it('streams the farm summary and a followed connection\'s lines as Server-Sent Events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events?connection=5`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const decoder = new TextDecoder();
    const readUntil = async (needle: string): Promise<void> => {
      for (let i = 0; i < 50 && !text.includes(needle); i++) text += decoder.decode((await reader.read()).value);
    };
    await readUntil('event: farm');
    expect(text).toContain('"accepted":3');
    source.watchers.get(5)?.(5, [entry]);
    await readUntil('event: trace');
    expect(text).toContain('"connectionId":5');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    for (let i = 0; i < 50 && source.watchers.has(5); i++) await new Promise((r) => setTimeout(r, 10));
    expect(source.watchers.has(5)).toBe(false);
  });

  it('serves the page and its assets (also the shared trace view) without a token, and every /api path only with it', async () => {
    token = TOKEN;
    for (const path of ['/ui', '/ui/assets/app.js', '/ui/assets/app.css', '/ui/assets/trace-view/trace-view.js', '/ui/assets/trace-view/trace-model.js', '/ui/assets/trace-view/trace-view.css']) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status]).toEqual([path, 200]);
    }
    for (const path of ['/api/connections', '/api/trace?connection=5', '/api/debug/bundle/5', '/api/events']) {
      const refused = await fetch(`${base}${path}`);
      expect([path, refused.status]).toEqual([path, 401]);
      if (path === '/api/events') continue;
      const allowed = await fetch(`${base}${path}`, { headers: auth() });
      expect([path, allowed.status]).toEqual([path, 200]);
    }
  });
});
