/**
 * /readyz and /status against a real ProxyServer whose background Stratum probes talk to real
 * pools on loopback: readiness follows what the probes learn, /status lists every configured pool.
 */
import { ProxyServer } from '@stratum-relay/proxy-core';
import { startObservability } from '../src/observability';
import { closedPort } from './service-test-kit';
import { silentLogger, testConfig } from './helpers/metrics-observability-fixture';
import { parseExposition, sampleValue } from './helpers/metrics-exposition';
import { ScriptedMiner, ScriptedPool, eventually } from './helpers/metrics-scripted-peers';
import type { ScriptedPoolConnection } from './helpers/metrics-scripted-peers';

const PROBE_INTERVAL_MS = 100;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function subscribeAnswer(id: unknown, extranonce1: string): object {
  return { id, result: [[['mining.notify', 'sub-1']], extranonce1, 4], error: null };
}

/** A pool that answers subscribe and authorize at once. */
async function answeringPool(port = 0): Promise<{ pool: ScriptedPool; port: number }> {
  const pool = new ScriptedPool((msg, conn) => {
    if (msg['method'] === 'mining.subscribe') conn.send(subscribeAnswer(msg['id'], 'aaaa0001'));
    else if (msg['method'] === 'mining.authorize') conn.send({ id: msg['id'], result: true, error: null });
  });
  const bound = await pool.listen(port);
  cleanups.push(() => pool.close());
  return { pool, port: bound };
}

/** A pool that accepts connections but keeps its answers to mining.subscribe until `release()`. */
async function heldPool(): Promise<{ pool: ScriptedPool; port: number; held: () => number; release(): void }> {
  let waiting: Array<[ScriptedPoolConnection, unknown]> = [];
  let released = false;
  const pool = new ScriptedPool((msg, conn) => {
    if (msg['method'] !== 'mining.subscribe') return;
    if (released) conn.send(subscribeAnswer(msg['id'], 'bbbb0001'));
    else waiting.push([conn, msg['id']]);
  });
  const port = await pool.listen();
  cleanups.push(() => pool.close());
  return {
    pool,
    port,
    held: () => waiting.length,
    release() {
      released = true;
      for (const [conn, id] of waiting) conn.send(subscribeAnswer(id, 'bbbb0001'));
      waiting = [];
    },
  };
}

/** A ProxyServer probing `poolUrls` every 100 ms, with observability attached; probes start with listen(). */
async function startStack(poolUrls: string[]): Promise<{ base: string; proxyPort: number }> {
  const config = testConfig({ POOLS: poolUrls.join(','), POOL_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS), UPSTREAM_CONNECT_TIMEOUT_MS: '5000' });
  const proxy = new ProxyServer({
    listenHost: '127.0.0.1',
    listenPort: 0,
    pools: config.pools,
    poolProbeIntervalMs: config.poolProbeIntervalMs,
    failbackDelayMs: null,
    maxConnections: 10,
    idleTimeoutMs: 0,
    upstreamConnectTimeoutMs: config.upstreamConnectTimeoutMs,
    maxLineBytes: config.maxLineBytes,
    preConnectBufferBytes: config.preConnectBufferBytes,
  });
  cleanups.push(() => proxy.close());
  const obs = await startObservability({ config, server: proxy, logger: silentLogger, version: 'test', collectDefaultMetrics: false });
  cleanups.push(() => obs.close());
  const { port } = await proxy.listen();
  return { base: `http://127.0.0.1:${obs.httpAddress()?.port}`, proxyPort: port };
}

async function readyz(base: string): Promise<{ status: number; reason?: string }> {
  const res = await fetch(`${base}/readyz`);
  const body = (await res.json()) as { reason?: string };
  return { status: res.status, ...(body.reason !== undefined ? { reason: body.reason } : {}) };
}

describe('/readyz from the pool probes', () => {
  it('answers 503 until a pool answers a probe, 200 while one is up, and 503 naming each pool once all are down', async () => {
    const a = await heldPool();
    const b = await heldPool();
    const { base } = await startStack([`stratum+tcp://127.0.0.1:${a.port}`, `stratum+tcp://127.0.0.1:${b.port}`]);
    await eventually(() => a.held() === 1 && b.held() === 1, 'both probes to wait for their answer');
    expect(await readyz(base)).toEqual({ status: 503, reason: 'no pool has answered a probe yet' });

    a.release();
    await eventually(async () => (await readyz(base)).status === 200, '/readyz 200 after the first answer');

    await a.pool.close();
    await b.pool.close();
    await eventually(async () => (await readyz(base)).status === 503, '/readyz 503 once both pools are gone');
    const { reason } = await readyz(base);
    expect(reason).toMatch(new RegExp(`^no pool is up \\(127\\.0\\.0\\.1:${a.port}: .+; 127\\.0\\.0\\.1:${b.port}: .+\\)$`));
  });

  it('names the refused pool while it is down, and turns 200 when a pool starts listening on its port', async () => {
    const port = await closedPort();
    const { base } = await startStack([`stratum+tcp://127.0.0.1:${port}`]);
    await eventually(async () => (await readyz(base)).reason !== 'no pool has answered a probe yet', 'the first probe');
    expect(await readyz(base)).toEqual({ status: 503, reason: expect.stringMatching(new RegExp(`^no pool is up \\(127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`)) });
    await answeringPool(port);
    await eventually(async () => (await readyz(base)).status === 200, '/readyz 200 once the pool listens');
  });
});

describe('/status with a pool list', () => {
  it('lists every configured pool with its state and miners, and never shows a pool password', async () => {
    const up = await answeringPool();
    const downPort = await closedPort();
    const upName = `127.0.0.1:${up.port}`;
    const downName = `127.0.0.1:${downPort}`;
    const { base, proxyPort } = await startStack([`stratum+tcp://acct:s3cr3t-pw@${upName}`, `stratum+tcp://${downName}`]);
    const miner = await ScriptedMiner.connect(proxyPort);
    cleanups.push(() => miner.destroy());
    await miner.request(1, 'mining.subscribe', ['test-miner/1.0']);
    await miner.request(2, 'mining.authorize', ['rig1', 'x']);

    let text = '';
    let body: { pools: Array<Record<string, unknown>>; connections: Array<Record<string, unknown>>; config: Record<string, unknown> } | undefined;
    await eventually(async () => {
      text = await (await fetch(`${base}/status`)).text();
      body = JSON.parse(text) as typeof body;
      return body?.pools[1]?.['state'] === 'down' && body.connections[0]?.['worker'] === 'rig1';
    }, 'the down pool and the authorized miner on /status');
    if (body === undefined) throw new Error('no /status body');

    expect(body.pools).toEqual([
      {
        name: upName,
        host: '127.0.0.1',
        port: up.port,
        scheme: 'tcp',
        priority: 0,
        state: 'up',
        since: expect.stringMatching(ISO),
        miners: 1,
        lastError: null,
        lastErrorAt: null,
        accountRewrite: true,
      },
      {
        name: downName,
        host: '127.0.0.1',
        port: downPort,
        scheme: 'tcp',
        priority: 1,
        state: 'down',
        since: expect.stringMatching(ISO),
        miners: 0,
        lastError: expect.stringContaining('ECONNREFUSED'),
        lastErrorAt: expect.stringMatching(ISO),
        accountRewrite: false,
      },
    ]);
    expect(body.connections).toEqual([expect.objectContaining({ worker: 'rig1', pool: upName, remoteAddress: '127.0.0.1' })]);
    expect(body.config['pools']).toEqual([
      { name: upName, scheme: 'tcp', host: '127.0.0.1', port: up.port, account: 'acct' },
      { name: downName, scheme: 'tcp', host: '127.0.0.1', port: downPort, account: null },
    ]);
    expect(text).not.toContain('s3cr3t-pw');
    expect(text).not.toMatch(/password/i);

    const exp = parseExposition(await (await fetch(`${base}/metrics`)).text());
    expect(sampleValue(exp, 'stratum_pool_miners', { pool_host: upName })).toBe(1);
    expect(sampleValue(exp, 'stratum_pool_up', { pool_host: upName })).toBe(1);
    expect(sampleValue(exp, 'stratum_pool_up', { pool_host: downName })).toBe(0);
    expect(sampleValue(exp, 'stratum_pool_priority', { pool_host: downName })).toBe(1);
    expect(sampleValue(exp, 'stratum_pool_probe_seconds_count', { pool_host: upName })).toBeGreaterThanOrEqual(1);
  });
});
