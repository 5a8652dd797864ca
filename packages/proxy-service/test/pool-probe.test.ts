import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ProxyEventBus } from '@stratum-relay/proxy-core';
import type { ProxyServer } from '@stratum-relay/proxy-core';
import { PoolProbe } from '../src/pool-probe';
import type { PoolProbeResult } from '../src/pool-probe';
import { startObservability } from '../src/observability';
import type { Observability } from '../src/observability';
import { silentLogger, testConfig } from './helpers/metrics-observability-fixture';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
const close = (server: net.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

async function closedPort(): Promise<number> {
  const s = await listen();
  const port = (s.address() as net.AddressInfo).port;
  await close(s);
  return port;
}

function probeOnce(probe: PoolProbe): Promise<PoolProbeResult> {
  return new Promise((resolve) => probe.probe(resolve));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('PoolProbe', () => {
  it('reports a listening pool as reachable', async () => {
    const pool = await listen();
    cleanups.push(() => close(pool));
    const probe = new PoolProbe({ host: '127.0.0.1', port: (pool.address() as net.AddressInfo).port, timeoutMs: 5000 });
    await expect(probeOnce(probe)).resolves.toEqual({ ok: true });
    expect(probe.inFlight).toBe(false);
  });

  it('reports a refused connect with its errno code', async () => {
    const probe = new PoolProbe({ host: '127.0.0.1', port: await closedPort(), timeoutMs: 5000 });
    const result = await probeOnce(probe);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toMatch(/^ECONNREFUSED: /);
  });

  it('gives up after the timeout when the pool never answers', async () => {
    const silent = new net.Socket(); // never connects
    const probe = new PoolProbe({ host: '127.0.0.1', port: 1, timeoutMs: 50, connect: () => silent });
    const started = performance.now();
    await expect(probeOnce(probe)).resolves.toEqual({ ok: false, error: 'ETIMEDOUT: no answer within 50 ms' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(silent.destroyed).toBe(true);
  });

  it('reports a connector that throws instead of throwing', async () => {
    const probe = new PoolProbe({ host: '127.0.0.1', port: 1, timeoutMs: 50, connect: () => { throw new RangeError('bad port'); } });
    await expect(probeOnce(probe)).resolves.toEqual({ ok: false, error: 'bad port' });
  });

  it('runs one probe at a time and reports each exactly once', async () => {
    const silent = new net.Socket();
    let connects = 0;
    const probe = new PoolProbe({ host: '127.0.0.1', port: 1, timeoutMs: 50, connect: () => (connects++, silent) });
    const results: PoolProbeResult[] = [];
    probe.probe((r) => results.push(r));
    probe.probe((r) => results.push(r));
    await new Promise((r) => setTimeout(r, 150));
    expect(connects).toBe(1);
    expect(results).toHaveLength(1);
  });
});

describe('readiness after the pool comes back', () => {
  it('turns /readyz back to 200 and stratum_pool_up to 1 without any new miner connection', async () => {
    const poolPort = await closedPort();
    const config = testConfig({ poolPort, upstreamConnectTimeoutMs: 1000 });
    const bus = new ProxyEventBus();
    const server = { events: bus, listening: true } as unknown as ProxyServer;
    const obs: Observability = await startObservability({
      config,
      server,
      logger: silentLogger,
      version: 'test',
      collectDefaultMetrics: false,
      poolProbeIntervalMs: 50,
    });
    cleanups.push(() => obs.close());
    const base = `http://127.0.0.1:${obs.httpAddress()?.port}`;

    // A miner's upstream connect failed (as proxy-core reports it).
    bus.emit({ type: 'connection.opened', connectionId: 1, t: 0, remoteAddress: '127.0.0.1', remotePort: 5000, wallTime: Date.now() });
    bus.emit({ type: 'upstream.connect_failed', connectionId: 1, t: 1, poolHost: '127.0.0.1', poolPort, reason: 'refused', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', latencyMs: 1 });
    bus.emit({ type: 'connection.closed', connectionId: 1, t: 2, durationMs: 2, bytesMinerToPool: 0, bytesPoolToMiner: 0, side: 'proxy', reason: 'upstream_failed', error: 'ECONNREFUSED' });
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'not_ready', reason: expect.stringMatching(/^pool down: /) });

    // The pool comes back; no miner connects.
    const pool = await listen(poolPort);
    cleanups.push(() => close(pool));
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 10_000);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^stratum_pool_up\{pool_host="127\.0\.0\.1"\} 1$/m);
    const status = (await (await fetch(`${base}/status`)).json()) as { pools: Array<{ up: boolean | null }> };
    expect(status.pools[0]?.up).toBe(true);
  });
});
