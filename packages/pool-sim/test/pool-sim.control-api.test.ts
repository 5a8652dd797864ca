import { parseNotifyParams } from '@stratum-relay/work';
import type { PoolSim, PoolState } from '../src/pool-sim';
import type { DebugBundle } from '../src/debug-bundle';
import type { TraceEntryJson } from '../src/trace-json';
import { useFixture } from './helpers/fixture';
import { findNonce, type StratumTestClient } from './helpers/stratum-test-client';

interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function http(port: number, method: string, path: string): Promise<HttpAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

interface TracesAnswer {
  enabled: boolean;
  capacity: number;
  size: number;
  lastSeq: number;
  traces: TraceEntryJson[];
}

async function traces(port: number, query = ''): Promise<TracesAnswer> {
  const a = await http(port, 'GET', `/api/traces${query}`);
  expect(a.status).toBe(200);
  return a.body as unknown as TracesAnswer;
}

/** Subscribe and authorize with a password the trace must never show, then submit one good share. */
async function mineOneShare(c: StratumTestClient, worker: string): Promise<void> {
  const sub = await c.request('mining.subscribe', ['test/1'], 1);
  const extranonce1 = (sub.result as [unknown, string])[1];
  const auth = await c.request('mining.authorize', [worker, 'hunter2-secret'], 2);
  expect(auth.result).toBe(true);
  const job = parseNotifyParams((await c.nextNotification('mining.notify')).params ?? []);
  if (job === null) throw new Error('the pool sent a notify the parser refuses');
  const nonce = findNonce(job, extranonce1, '00000001', 0.00001);
  const answer = await c.request('mining.submit', [worker, job.jobId, '00000001', job.ntime, nonce], 3);
  expect(answer.result).toBe(true);
}

/** Waits (bounded) until the pool has seen `n` sessions close. */
async function closedSessions(pool: PoolSim, n: number): Promise<void> {
  for (let i = 0; i < 200 && pool.stats().sessions.total - pool.stats().sessions.open < n; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(pool.stats().sessions.total - pool.stats().sessions.open).toBe(n);
}

describe('pool-sim control API: traces, state, debug bundle, profile', () => {
  const fx = useFixture();

  it('traces both directions of every line, answers carrying the method they answer, and never the password', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    await mineOneShare(c, 'alice.rig1');

    const all = await traces(control.port, '?limit=1000');
    expect(all.enabled).toBe(true);
    expect(all.capacity).toBe(10_000);
    expect(JSON.stringify(all)).not.toContain('hunter2');
    const summary = all.traces.map((t) => `${t.direction} ${t.method ?? '-'} ${t.meta.kind}`);
    expect(summary).toEqual([
      'miner_to_pool mining.subscribe request',
      'pool_to_miner mining.subscribe response',
      'miner_to_pool mining.authorize request',
      'pool_to_miner mining.authorize response',
      'pool_to_miner mining.set_difficulty notification',
      'pool_to_miner mining.notify notification',
      'miner_to_pool mining.submit request',
      'pool_to_miner mining.submit response',
    ]);
    const authorize = all.traces[2];
    expect(authorize?.parsed).toEqual({ id: 2, method: 'mining.authorize', params: ['alice.rig1', '***'] });
    expect(authorize?.meta.masked).toBe(true);
    const answer = all.traces[7];
    expect(answer?.line).toBe('{"id":3,"result":true,"error":null}');
    expect(answer?.meta).toMatchObject({ kind: 'response', id: 3, worker: 'alice.rig1', verdict: 'accepted', bytes: answer!.line.length + 1 });
    expect(all.traces.every((t) => t.session === 0 && typeof t.time === 'string')).toBe(true);
    expect(all.traces.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(all.lastSeq).toBe(8);

    // The filters of the issue, and `since` for pollers.
    const submits = await traces(control.port, '?method=mining.submit&direction=miner_to_pool');
    expect(submits.traces.map((t) => t.meta.kind)).toEqual(['request']);
    expect((await traces(control.port, '?session=0&limit=2')).traces.map((t) => t.seq)).toEqual([7, 8]);
    expect((await traces(control.port, '?session=1')).traces).toEqual([]);
    expect((await traces(control.port, '?since=6')).traces.map((t) => t.seq)).toEqual([7, 8]);
  });

  it('keeps malformed lines in the trace as they came, and withholds a broken authorize', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    c.sendRaw('this is not json\n');
    c.sendRaw('{"id":9,"method":"mining.authorize","params":["u","hunter2"\n');
    c.sendRaw('{"id":5,"method":"mining.subscribe","params":[]}\n');
    await c.nextResponse();
    const t = (await traces(control.port)).traces;
    expect(t.map((e) => [e.meta.kind, e.parsed === null])).toEqual([
      ['malformed', true],
      ['malformed', true],
      ['request', false],
      ['response', false],
    ]);
    expect(t[0]?.line).toBe('this is not json');
    expect(t[1]?.line).toMatch(/^\[withheld: \d+ bytes mentioning "authorize"/);
    expect(JSON.stringify(t)).not.toContain('hunter2');
  });

  it('refuses bad trace queries with 400 and a stable code', async () => {
    const { pool } = await fx.pool();
    const control = await pool.controlListen(0);
    for (const query of ['?session=x', '?direction=up', '?limit=0', '?limit=20000', '?since=-1', '?sesion=1', '?method=']) {
      const a = await http(control.port, 'GET', `/api/traces${query}`);
      expect({ query, status: a.status, code: a.body.code }).toEqual({ query, status: 400, code: 'SRL_ERR_POOL_SIM_BAD_REQUEST' });
      expect(typeof a.body.error).toBe('string');
    }
    expect((await http(control.port, 'POST', '/api/traces')).status).toBe(405);
  });

  it('answers an empty, disabled trace when tracing is off', async () => {
    const { pool, port } = await fx.pool({ traceEntries: 0 });
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    await c.handshake('bob');
    expect(await traces(control.port)).toEqual({ enabled: false, capacity: 0, size: 0, lastSeq: 0, traces: [] });
    expect(((await http(control.port, 'GET', '/api/state')).body as unknown as PoolState).trace).toBeNull();
  });

  it('bounds the trace to traceEntries lines', async () => {
    const { pool, port } = await fx.pool({ traceEntries: 3 });
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    await c.handshake('bob');
    const t = await traces(control.port, '?limit=100');
    expect(t.size).toBe(3);
    expect(t.traces.map((e) => e.seq)).toEqual([4, 5, 6]);
  });

  it('shows the chain tip, the current job, open and closed sessions and the stats in GET /api/state', async () => {
    const { pool, port } = await fx.pool({ name: 'primary' });
    const control = await pool.controlListen(0);
    const c1 = await fx.client(port);
    await mineOneShare(c1, 'alice.rig1');
    const c2 = await fx.client(port);
    await c2.handshake('bob');
    await c2.close();
    await closedSessions(pool, 1);

    const state = (await http(control.port, 'GET', '/api/state')).body as unknown as PoolState;
    expect(state.name).toBe('primary');
    expect(state.profile).toBe('easy');
    expect(state.profiles).toEqual(['easy', 'realistic', 'chaos']);
    expect(state.tip).toEqual(pool.stats().tip);
    expect(state.job).toMatchObject({ id: pool.stats().jobs.current, height: state.tip.height, clean: true, nbits: '1d00ffff', merkleBranchLength: 3 });
    expect(state.stats.totals.accepted).toBe(1);
    expect(state.sessions).toHaveLength(1);
    expect(state.sessions[0]).toMatchObject({ id: 0, open: true, subscribed: true, active: true, workers: ['alice.rig1'], difficulty: 0.00001 });
    expect(state.sessions[0]?.shares.accepted).toBe(1);
    expect(state.sessions[0]?.lines).toEqual({ received: 3, sent: 5 });
    expect(state.sessions[0]?.remote?.address).toBe('127.0.0.1');
    expect(state.sessionsOmitted).toBe(0);
    expect(state.closedSessions).toHaveLength(1);
    expect(state.closedSessions[0]).toMatchObject({ id: 1, open: false, workers: ['bob'] });
    expect(typeof state.closedSessions[0]?.closedAt).toBe('number');
    expect(state.trace).toEqual({ capacity: 10_000, size: 14, recorded: 14 });
  });

  it('builds the debug bundle of an open or a recently closed session, password masked', async () => {
    const { pool, port } = await fx.pool({ password: 'hunter2-secret' });
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    await mineOneShare(c, 'alice.rig1');

    const a = await http(control.port, 'GET', '/api/debug/bundle/0');
    expect(a.status).toBe(200);
    expect(a.headers.get('content-disposition')).toBe('attachment; filename="pool-sim-session-0.json"');
    const b = a.body as unknown as DebugBundle;
    expect(b.kind).toBe('pool-sim-debug-bundle');
    expect(b.pool).toMatchObject({ version: '0.1.0', profile: 'easy', name: null });
    expect(b.pool.options.password).toBe('***');
    expect(b.pool.tip).toEqual(pool.stats().tip);
    expect(b.session).toMatchObject({ id: 0, workers: ['alice.rig1'], open: true });
    expect(b.stats.session.accepted).toBe(1);
    expect(b.stats.workers['alice.rig1']?.accepted).toBe(1);
    expect(b.trace.enabled).toBe(true);
    expect(b.trace.entries).toHaveLength(8);
    expect(typeof b.trace.windowStart).toBe('number');
    expect(JSON.stringify(b)).not.toContain('hunter2');

    await c.close();
    await closedSessions(pool, 1);
    const closed = (await http(control.port, 'GET', '/api/debug/bundle/0')).body as unknown as DebugBundle;
    expect(closed.session.open).toBe(false);
    expect(closed.trace.entries).toHaveLength(8);
  });

  it('answers 400 for a bundle id that is not a number, 404 for an unknown session, 405 for POST', async () => {
    const { pool } = await fx.pool();
    const control = await pool.controlListen(0);
    const bad = await http(control.port, 'GET', '/api/debug/bundle/abc');
    expect([bad.status, bad.body.code]).toEqual([400, 'SRL_ERR_POOL_SIM_BAD_REQUEST']);
    expect((await http(control.port, 'GET', '/api/debug/bundle/')).status).toBe(400);
    const unknown = await http(control.port, 'GET', '/api/debug/bundle/42');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'SRL_ERR_POOL_SIM_UNKNOWN_SESSION']);
    expect((await http(control.port, 'POST', '/api/debug/bundle/0')).status).toBe(405);
  });

  it('switches the profile at run time: new difficulty and a fresh job to every session, state follows', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    const h = await c.handshake('carol');
    expect(h.difficulty).toBe(0.00001);

    const a = await http(control.port, 'POST', '/profile?name=realistic');
    expect(a).toMatchObject({ status: 200, body: { ok: true, profile: 'realistic', difficulty: 0.001, vardiff: true, chaos: false } });
    expect((await c.nextNotification('mining.set_difficulty')).params).toEqual([0.001]);
    const notify = await c.nextNotification('mining.notify');
    expect(notify.params?.[6]).toBe('17034219');
    const state = (await http(control.port, 'GET', '/api/state')).body as unknown as PoolState;
    expect(state.profile).toBe('realistic');
    expect(state.sessions[0]).toMatchObject({ difficulty: 0.001, vardiff: true, chaos: false });
    expect(pool.options).toMatchObject({ profile: 'realistic', jobIntervalMs: 30_000, tipIntervalMs: 600_000, traceEntries: 10_000 });

    expect((await http(control.port, 'POST', '/profile?name=chaos')).body).toMatchObject({ profile: 'chaos', chaos: true });
    expect(((await http(control.port, 'GET', '/api/state')).body as unknown as PoolState).sessions[0]?.chaos).toBe(true);
  });

  it('refuses an unknown or missing profile with 400 and the list of profiles, and GET with 405', async () => {
    const { pool } = await fx.pool();
    const control = await pool.controlListen(0);
    const unknown = await http(control.port, 'POST', '/profile?name=hard');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'SRL_ERR_POOL_SIM_UNKNOWN_PROFILE', known: ['easy', 'realistic', 'chaos'] });
    const proto = await http(control.port, 'POST', '/profile?name=toString');
    expect(proto.body.code).toBe('SRL_ERR_POOL_SIM_UNKNOWN_PROFILE');
    const missing = await http(control.port, 'POST', '/profile');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'SRL_ERR_POOL_SIM_BAD_REQUEST', known: ['easy', 'realistic', 'chaos'] });
    expect((await http(control.port, 'GET', '/profile?name=easy')).status).toBe(405);
    expect(pool.options.profile).toBe('easy');
  });

  it('serves its page and the trace-view assets with a strict content policy, and 404s the rest', async () => {
    const { pool } = await fx.pool();
    const control = await pool.controlListen(0);
    const base = `http://127.0.0.1:${control.port}`;
    for (const [path, type] of [
      ['/ui', 'text/html'],
      ['/ui/', 'text/html'],
      ['/ui/pool-sim-ui.js', 'text/javascript'],
      ['/ui/pool-sim-ui.css', 'text/css'],
      ['/ui/trace-view/trace-view.js', 'text/javascript'],
      ['/ui/trace-view/trace-model.js', 'text/javascript'],
      ['/ui/trace-view/trace-view.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect((await res.text()).length).toBeGreaterThan(0);
    }
    for (const path of ['/ui/../package.json', '/ui/trace-view/trace-model.d.ts', '/ui/nope.js', '/api/nope']) {
      const a = await http(control.port, 'GET', path);
      expect({ path, status: a.status, code: a.body.code }).toEqual({ path, status: 404, code: 'SRL_ERR_POOL_SIM_NOT_FOUND' });
    }
    expect((await http(control.port, 'POST', '/ui')).status).toBe(405);
    expect((await http(control.port, 'POST', '/api/state')).status).toBe(405);
  });
});
