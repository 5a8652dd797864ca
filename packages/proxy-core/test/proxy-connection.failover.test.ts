import * as net from 'node:net';
import type { PoolSpec } from '@stratum-relay/shared-types';
import type { ProxyServerOptions } from '../src/proxy-server';
import { Cleanup } from './helpers/cleanup';
import { connectMiner } from './helpers/miner-client';
import { closedPort, startPool, type ScriptedPool } from './helpers/pool-server';
import { RecordingObservers, startProxy } from './helpers/proxy';
import { sleep, waitUntil } from './helpers/wait';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function spec(port: number, extra: Partial<PoolSpec> = {}): PoolSpec {
  return { name: `127.0.0.1:${port}`, scheme: 'tcp', host: '127.0.0.1', port, account: null, password: null, ...extra };
}

const SUBSCRIBE = '{"id":1,"method":"mining.subscribe","params":["test/1"]}\n';
const AUTHORIZE = '{"id":2,"method":"mining.authorize","params":["farm.rig1","secret"]}\n';

/** A pool that answers every line with `{"id":N,"result":true,"error":null}` (id taken from the line). */
function answering(socket: net.Socket): void {
  let tail = '';
  socket.on('data', (chunk: Buffer) => {
    const parts = (tail + chunk.toString('latin1')).split('\n');
    tail = parts.pop() ?? '';
    for (const line of parts) {
      const id = /"id":\s*(\d+)/.exec(line)?.[1] ?? 'null';
      socket.write(`{"id":${id},"result":true,"error":null}\n`);
    }
  });
}

async function proxyOver(pools: readonly PoolSpec[], overrides: Partial<ProxyServerOptions> = {}) {
  return startProxy(cleanup, 0, { pools, ...overrides }, true);
}

describe('failover inside the miner connection', () => {
  it('tries the next pool when the first refuses, and the miner gets its answer on the same connection', async () => {
    const refused = await closedPort();
    const backup = await startPool(cleanup, answering);
    const { port, recorder, proxy } = await proxyOver([spec(refused), spec(backup.port)]);
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE + AUTHORIZE);
    await waitUntil(() => miner.capture.text().split('\n').length > 2, 'both answers from the backup');
    const upstream = await backup.socket();
    expect(upstream.capture.text()).toBe(SUBSCRIBE + AUTHORIZE);
    expect(miner.capture.ended).toBe(false);
    const failed = recorder.ofType('upstream.connect_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ poolName: `127.0.0.1:${refused}`, reason: 'refused', failover: true });
    expect(recorder.ofType('upstream.connected')[0]).toMatchObject({ poolName: `127.0.0.1:${backup.port}`, attempt: 1, poolPriority: 1 });
    expect(proxy.upstreams.pools[0]?.health.up).toBe(false);
    expect(proxy.upstreams.pools[1]?.miners).toBe(1);
  });

  it('delivers the same bytes in order to the next pool when the first closes before saying anything', async () => {
    // Accepts, reads the subscribe, hangs up without a byte: the miner has seen nothing from it.
    const dropping = await startPool(cleanup, (socket) => socket.once('data', () => socket.destroy()));
    const backup = await startPool(cleanup, answering);
    const observers = new RecordingObservers();
    const { port, recorder } = await proxyOver([spec(dropping.port), spec(backup.port)], { observerFactory: observers.factory });
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => miner.capture.text().includes('"id":1'), 'the subscribe answer from the backup');
    miner.socket.write(AUTHORIZE);
    await waitUntil(() => miner.capture.text().includes('"id":2'), 'the authorize answer');
    expect((await backup.socket()).capture.text()).toBe(SUBSCRIBE + AUTHORIZE);
    expect(recorder.ofType('upstream.connect_failed')[0]).toMatchObject({ reason: 'reset', failover: true });
    // The observer saw each miner byte once, though the pools got the subscribe twice between them.
    const id = recorder.openedIds()[0] ?? -1;
    expect(observers.bytes(id, 'miner_to_pool').toString()).toBe(SUBSCRIBE + AUTHORIZE);
  });

  it('leaves a pool that accepts but never answers after the connect timeout, without marking it down', async () => {
    const blackHole = await startPool(cleanup, (socket) => socket.resume());
    const backup = await startPool(cleanup, answering);
    const { port, recorder, proxy } = await proxyOver([spec(blackHole.port), spec(backup.port)], { upstreamConnectTimeoutMs: 300 });
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => miner.capture.text().includes('"id":1'), 'the answer from the backup');
    expect(recorder.ofType('upstream.connect_failed')[0]).toMatchObject({ reason: 'no_answer', failover: true });
    expect((await backup.socket()).capture.text()).toBe(SUBSCRIBE);
    // One silent exchange does not condemn a pool: the probes judge black holes.
    expect(proxy.upstreams.pools[0]?.health.up).not.toBe(false);
  });

  it('goes on to the next pool when the first pool’s host name does not resolve', async () => {
    const backup = await startPool(cleanup, answering);
    // .invalid never resolves (RFC 2606); this machine answers that at once.
    const { port, recorder } = await proxyOver([spec(3333, { name: 'nowhere', host: 'pool.does-not-exist.invalid' }), spec(backup.port)]);
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => miner.capture.text().includes('"id":1'), 'the answer from the backup');
    expect(recorder.ofType('upstream.connect_failed')[0]).toMatchObject({ poolName: 'nowhere', reason: 'dns', failover: true });
  });

  it('closes the miner with upstream_failed only when every pool failed', async () => {
    const a = await closedPort();
    const b = await closedPort();
    const { port, recorder } = await proxyOver([spec(a), spec(b)]);
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => recorder.closed().length === 1, 'the close');
    expect(recorder.ofType('upstream.connect_failed').map((e) => e.failover)).toEqual([true, false]);
    expect(recorder.closed()[0]).toMatchObject({ side: 'proxy', reason: 'upstream_failed', poolName: null });
    recorder.assertWellFormed();
  });

  it('relays a silent last pool as a single-pool relay does: no answer deadline, no failover', async () => {
    const silent = await startPool(cleanup, (socket) => socket.resume());
    const { port, recorder } = await proxyOver([spec(silent.port)], { upstreamConnectTimeoutMs: 100 });
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await sleep(400);
    expect(recorder.ofType('upstream.connect_failed')).toHaveLength(0);
    expect(recorder.closed()).toHaveLength(0);
    expect((await silent.socket()).capture.text()).toBe(SUBSCRIBE);
  });

  it('is bound to a pool once it spoke: a later drop closes the miner instead of moving it', async () => {
    let first: net.Socket | undefined;
    const primary = await startPool(cleanup, (socket) => {
      first = socket;
      answering(socket);
    });
    const backup = await startPool(cleanup, answering);
    const { port, recorder } = await proxyOver([spec(primary.port), spec(backup.port)]);
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => miner.capture.text().includes('"id":1'), 'the answer');
    first?.destroy();
    // The pool's FIN reaches the miner (no move to the backup); the miner then closes its side.
    await waitUntil(() => miner.capture.ended, 'the FIN at the miner');
    miner.socket.end();
    await waitUntil(() => recorder.closed().length === 1, 'the close');
    expect(recorder.closed()[0]).toMatchObject({ side: 'pool', reason: 'end', poolName: `127.0.0.1:${primary.port}` });
    expect(backup.sockets).toHaveLength(0);
  });
});

describe('failback', () => {
  it('moves miners on a backup back once the primary has been up for the delay, at the configured rate', async () => {
    const primary = await startPool(cleanup, answering);
    const backup = await startPool(cleanup, answering);
    const { port, recorder, proxy } = await proxyOver([spec(primary.port), spec(backup.port)], { failbackDelayMs: 300, failbackRate: 10 });
    // The primary is marked down (as after an outage) so new miners land on the backup.
    const [first] = proxy.upstreams.pools;
    proxy.upstreams.reportDown(first as NonNullable<typeof first>, 'refused', 'test outage');
    const plan = proxy.upstreams.plan().map((p) => p.priority);
    expect(plan).toEqual([1, 0]);
    const miners: Array<Awaited<ReturnType<typeof connectMiner>>> = [];
    for (let i = 0; i < 4; i++) {
      const miner = await connectMiner(cleanup, port);
      miner.socket.write(SUBSCRIBE);
      miners.push(miner);
    }
    await waitUntil(() => backup.sockets.length === 4 && miners.every((m) => m.capture.length > 0), 'four miners on the backup');
    const upAt = Date.now();
    proxy.upstreams.reportUp(first as NonNullable<typeof first>);
    await waitUntil(() => recorder.closed().length === 4, 'four failbacks', 5_000);
    const span = Date.now() - upAt;
    expect(recorder.closed().every((c) => c.reason === 'failback' && c.side === 'proxy')).toBe(true);
    // 300 ms delay, then 10 per second: the 4th close comes no sooner than ~0.3 s + 3 × 0.1 s.
    expect(span).toBeGreaterThanOrEqual(550);
    expect(proxy.upstreams.pools[1]?.miners).toBe(0);
  });

  it('never moves miners back when the delay is none', async () => {
    const primary = await startPool(cleanup, answering);
    const backup: ScriptedPool = await startPool(cleanup, answering);
    const { port, recorder, proxy } = await proxyOver([spec(primary.port), spec(backup.port)], { failbackDelayMs: null });
    const [first] = proxy.upstreams.pools;
    proxy.upstreams.reportDown(first as NonNullable<typeof first>, 'refused', 'test outage');
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => miner.capture.length > 0, 'the answer from the backup');
    proxy.upstreams.reportUp(first as NonNullable<typeof first>);
    await sleep(400);
    expect(recorder.closed()).toHaveLength(0);
  });
});

describe('the per-pool account (the one opt-in rewrite)', () => {
  it('rewrites the account of authorize and submit for the pool that has one; the observer sees the miner’s own bytes', async () => {
    const pool = await startPool(cleanup, answering);
    const observers = new RecordingObservers();
    const { port, recorder, proxy } = await proxyOver([spec(pool.port, { account: 'acctB', password: 'pw' })], { observerFactory: observers.factory });
    const miner = await connectMiner(cleanup, port);
    const submit = '{"params":["farm.rig1","job1","00000000","5f5e1000","00000000"],"id":3,"method":"mining.submit"}\r\n';
    miner.socket.write(SUBSCRIBE + AUTHORIZE + submit);
    await waitUntil(() => miner.capture.text().includes('"id":3'), 'three answers');
    expect((await pool.socket()).capture.text()).toBe(
      SUBSCRIBE +
        '{"id":2,"method":"mining.authorize","params":["acctB.rig1","pw"]}\n' +
        '{"params":["acctB.rig1","job1","00000000","5f5e1000","00000000"],"id":3,"method":"mining.submit"}\r\n',
    );
    const id = recorder.openedIds()[0] ?? -1;
    expect(observers.bytes(id, 'miner_to_pool').toString()).toBe(SUBSCRIBE + AUTHORIZE + submit);
    expect(proxy.upstreams.states()[0]?.rewrites).toEqual({ rewritten: 2, unsafe: 0 });
  });
});
