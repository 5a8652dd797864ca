import { Registry } from 'prom-client';
import type { UpstreamPool } from '@stratum-relay/proxy-core';
import { startHttpServer } from '../src/http-server';
import type { MetricsHttpServer, Readiness } from '../src/http-server';
import type { Observability } from '../src/observability';
import { fakeServer, startWithFakeServer, testConfig } from './helpers/metrics-observability-fixture';
import type { FakeServer } from './helpers/metrics-observability-fixture';

describe('HTTP endpoints of the bare server', () => {
  let http: MetricsHttpServer;
  let base: string;
  let statusImpl: () => unknown;
  let readiness: Readiness;
  const errors: object[] = [];

  beforeAll(async () => {
    http = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      readiness: () => readiness,
      status: () => statusImpl(),
      logger: { error: (obj) => errors.push(obj) },
    });
    base = `http://127.0.0.1:${http.address()?.port}`;
  });
  afterAll(() => http.close());
  beforeEach(() => {
    readiness = { ready: true };
    statusImpl = () => ({ ok: true });
  });

  it('answers /healthz with 200 {status:"ok"}', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown paths with a 404 JSON naming the path', async () => {
    const res = await fetch(`${base}/nope/here?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: 'not_found', path: '/nope/here' });
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s on /metrics with a 405 JSON and an Allow header', async (method) => {
    const res = await fetch(`${base}/metrics`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.json()).toMatchObject({ error: 'method_not_allowed' });
  });

  it('answers 405 for a POST on /status, /healthz and /readyz too', async () => {
    for (const path of ['/status', '/healthz', '/readyz']) {
      expect((await fetch(`${base}${path}`, { method: 'POST', body: '{}' })).status).toBe(405);
    }
  });

  it('turns a throwing handler into a 500 JSON, logs it, and keeps serving', async () => {
    statusImpl = () => {
      throw new Error('boom');
    };
    const res = await fetch(`${base}/status`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal_error' });
    expect(errors).toHaveLength(1);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers /readyz 503 with the reason when not ready', async () => {
    readiness = { ready: false, reason: 'pool down: ECONNREFUSED' };
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not_ready', reason: 'pool down: ECONNREFUSED' });
  });

  it('serves /metrics with the registry content type', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('startObservability', () => {
  let obs: Observability | null = null;
  let other: Observability | null = null;
  let server: FakeServer;
  let base: string;

  beforeEach(async () => {
    ({ obs, server, base } = await startWithFakeServer());
  });
  afterEach(async () => {
    await obs?.close();
    await other?.close();
    obs = null;
    other = null;
  });

  it('turns /readyz 503 before any pool answered, when not listening, while no pool is up, and once closing', async () => {
    const ready = async (): Promise<[number, unknown]> => {
      const res = await fetch(`${base}/readyz`);
      return [res.status, await res.json()];
    };
    expect(await ready()).toEqual([503, { status: 'not_ready', reason: 'no pool has answered a probe yet' }]);
    const pool = server.upstreams.pools[0] as UpstreamPool;
    server.upstreams.reportUp(pool);
    expect(await ready()).toEqual([200, { status: 'ready' }]);
    server.listening = false;
    expect(await ready()).toEqual([503, { status: 'not_ready', reason: 'not listening' }]);
    server.listening = true;
    server.upstreams.reportDown(pool, 'refused', 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:3333');
    expect(await ready()).toEqual([503, { status: 'not_ready', reason: 'no pool is up (127.0.0.1:3333: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:3333)' }]);
    server.upstreams.reportUp(pool);
    expect(await ready()).toEqual([200, { status: 'ready' }]);
    obs?.markClosing();
    expect(await ready()).toEqual([503, { status: 'not_ready', reason: 'closing' }]);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('is ready while any pool is up, and names each pool that is not', async () => {
    await obs?.close();
    ({ obs, server, base } = await startWithFakeServer(testConfig({ POOLS: 'stratum+tcp://10.0.0.1:3333,stratum+tcp://10.0.0.2:3333' })));
    const [primary, backup] = server.upstreams.pools as [UpstreamPool, UpstreamPool];
    server.upstreams.reportDown(primary, 'timeout', 'ETIMEDOUT: no connection within 10000 ms');
    const notReady = await fetch(`${base}/readyz`);
    expect([notReady.status, await notReady.json()]).toEqual([
      503,
      { status: 'not_ready', reason: 'no pool is up (10.0.0.1:3333: ETIMEDOUT: no connection within 10000 ms; 10.0.0.2:3333: not probed yet)' },
    ]);
    server.upstreams.reportUp(backup);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('describes every pool, the config and every open connection with its pool on /status', async () => {
    const e = server.events;
    const wall = Date.UTC(2024, 4, 1, 12, 0, 0);
    server.upstreams.reportUp(server.upstreams.pools[0] as UpstreamPool);
    e.emit({ type: 'connection.opened', connectionId: 7, t: 10, remoteAddress: '10.0.0.9', remotePort: 5555, wallTime: wall });
    e.emit({ type: 'upstream.connected', connectionId: 7, t: 11, poolName: '127.0.0.1:3333', poolHost: '127.0.0.1', poolPort: 3333, poolPriority: 0, attempt: 0, latencyMs: 1 });
    e.emit({ type: 'stratum.request', connectionId: 7, t: 12, direction: 'miner_to_pool', id: 1, method: 'mining.authorize', params: ['rig7', 'x'] });
    e.emit({ type: 'stratum.notification', connectionId: 7, t: 13, direction: 'pool_to_miner', method: 'mining.set_difficulty', params: [64] });
    e.emit({ type: 'bytes', connectionId: 7, t: 13, direction: 'miner_to_pool', bytes: 120 });
    e.emit({ type: 'bytes', connectionId: 7, t: 13, direction: 'pool_to_miner', bytes: 80 });
    e.emit({ type: 'stratum.request', connectionId: 7, t: 14, direction: 'miner_to_pool', id: 2, method: 'mining.submit', params: ['rig7', 'j', '00', '00000000', '00000000'] });
    e.emit({ type: 'stratum.response', connectionId: 7, t: 15, direction: 'pool_to_miner', id: 2, result: true, error: null });
    e.emit({ type: 'connection.opened', connectionId: 8, t: 16, remoteAddress: '10.0.0.10', remotePort: 5556, wallTime: wall });
    const res = await fetch(`${base}/status`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(body).toMatchObject({
      version: '9.9.9-test',
      pools: [
        {
          name: '127.0.0.1:3333',
          host: '127.0.0.1',
          port: 3333,
          scheme: 'tcp',
          priority: 0,
          state: 'up',
          since: iso,
          miners: 0,
          lastError: null,
          lastErrorAt: null,
          accountRewrite: false,
        },
      ],
      connections: [
        {
          connectionId: 7,
          worker: 'rig7',
          pool: '127.0.0.1:3333',
          remoteAddress: '10.0.0.9',
          connectedSince: '2024-05-01T12:00:00.000Z',
          bytesSent: 120,
          bytesReceived: 80,
          submits: 1,
          accepted: 1,
          rejected: 0,
          currentDifficulty: 64,
          lastShareAt: iso,
        },
        { connectionId: 8, worker: null, pool: null },
      ],
    });
    expect(typeof body['uptimeSeconds']).toBe('number');
    expect(body['config']).toMatchObject({ poolHost: '127.0.0.1', metricsPort: 0, shareAudit: true });
  });

  it('leaves secrets out of the config shown on /status', async () => {
    await obs?.close();
    const config = {
      ...testConfig({ POOLS: 'stratum+tcp://acct:s3cr3t-pw@127.0.0.1:3333,stratum+tcp://127.0.0.1:3334' }),
      poolPassword: 'hunter2',
      apiToken: 't',
      nested: { clientSecret: 's', fine: 1 },
      list: [{ password: 'in-an-array', fine: 2 }, [{ secretKey: 'deeper' }], 'plain'],
    };
    ({ obs, server, base } = await startWithFakeServer(config as never));
    const text = await (await fetch(`${base}/status`)).text();
    expect(text).not.toMatch(/hunter2|apiToken|poolPassword|clientSecret|s3cr3t|password|in-an-array|deeper/);
    const body = JSON.parse(text) as { config: Record<string, unknown> };
    expect(body.config['nested']).toEqual({ fine: 1 });
    expect(body.config['list']).toEqual([{ fine: 2 }, [{}], 'plain']);
    expect(body.config['pools']).toEqual([
      { name: '127.0.0.1:3333', scheme: 'tcp', host: '127.0.0.1', port: 3333, account: 'acct' },
      { name: '127.0.0.1:3334', scheme: 'tcp', host: '127.0.0.1', port: 3334, account: null },
    ]);
  });

  it('fails with SRL_ERR_METRICS_ADDRESS_IN_USE when the metrics port is taken, leaving nothing attached', async () => {
    const port = obs?.httpAddress()?.port as number;
    const config = testConfig({ METRICS_PORT: String(port) });
    const second: FakeServer = fakeServer(config);
    const taken = startWithFakeServer(config, second);
    await expect(taken).rejects.toMatchObject({ code: 'SRL_ERR_METRICS_ADDRESS_IN_USE' });
    expect(second.events.listenerCount).toBe(0);
  });

  it('detaches the collector and the trace store and stops serving on close()', async () => {
    expect(server.events.listenerCount).toBe(2);
    await obs?.close();
    expect(server.events.listenerCount).toBe(0);
    expect(obs?.httpAddress()).toBeNull();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
