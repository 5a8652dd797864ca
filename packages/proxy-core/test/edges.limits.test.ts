import { Cleanup } from './helpers/cleanup';
import { connectFrom, type EdgeClient } from './helpers/edge-client';
import { admission, startEdgeProxy } from './helpers/edge-proxy';
import { eventOf, rejectedCount, rejections } from './helpers/event-wait';
import type { EventRecorder } from './helpers/event-recorder';
import { closedPort, startPool, type ScriptedPool } from './helpers/pool-server';
import { encodeProxyV2 } from './helpers/proxy-header';
import { sleep, waitUntil } from './helpers/wait';

/**
 * Allow-list, per-IP connection cap, per-IP rate and the global cap on real sockets, with
 * 127.0.0.2, 127.0.0.3 … standing for other machines. Every refusal must come before an upstream
 * socket exists: the pool's accept count is checked after each one.
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SUBSCRIBE = Buffer.from('{"id":1,"method":"mining.subscribe","params":[]}\n');

/** Connects from `from` and waits until the pool has accepted connection number `poolIndex` for it. */
async function admitted(port: number, pool: ScriptedPool, poolIndex: number, from = '127.0.0.1'): Promise<EdgeClient> {
  const miner = await connectFrom(cleanup, port, { localAddress: from });
  miner.socket.write(SUBSCRIBE);
  const upstream = await pool.socket(poolIndex);
  await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, `the subscribe of ${from} at the pool`, 5_000);
  return miner;
}

/** Connects from `from`, expects the refusal `reason` (the n-th overall), the socket closed, and no new pool socket. */
async function refused(port: number, pool: ScriptedPool, recorder: EventRecorder, reason: string, from = '127.0.0.1'): Promise<void> {
  const before = rejections(recorder).length;
  const poolSockets = pool.sockets.length;
  const client = await connectFrom(cleanup, port, { localAddress: from });
  client.socket.write(SUBSCRIBE);
  const reasons = await rejectedCount(recorder, before + 1);
  expect(reasons[before]).toBe(reason);
  const event = recorder.ofType('connection.rejected')[before];
  expect(event).toMatchObject({ remoteAddress: from, remotePort: client.socket.localPort });
  await waitUntil(() => client.capture.gone, `the refused client from ${from} to be closed`, 5_000);
  await sleep(30);
  expect(pool.sockets.length).toBe(poolSockets);
}

/** The miner resets its connection (a FIN alone would leave it half-open, relayed as such). */
async function hangUp(miner: EdgeClient, recorder: EventRecorder, closedBefore: number): Promise<void> {
  miner.socket.resetAndDestroy();
  await waitUntil(() => recorder.closed().length > closedBefore, 'connection.closed of the hung-up miner', 5_000);
}

describe('admission limits on real sockets', () => {
  it('admits an address in allowFrom and refuses one outside it as not_allowed', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: admission({ allowFrom: ['127.0.0.2/32'] }) });
    await admitted(port, pool, 0, '127.0.0.2');
    await refused(port, pool, recorder, 'not_allowed', '127.0.0.1');
    expect(recorder.ofType('connection.opened').map((e) => e.remoteAddress)).toEqual(['127.0.0.2']);
  });

  it('caps open connections per address, admits other addresses, and admits again once one closes', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: admission({ maxConnectionsPerIp: 2 }) });
    const first = await admitted(port, pool, 0);
    await admitted(port, pool, 1);
    await refused(port, pool, recorder, 'per_ip');
    await admitted(port, pool, 2, '127.0.0.3');

    await hangUp(first, recorder, 0);
    await admitted(port, pool, 3);
    await refused(port, pool, recorder, 'per_ip');
    expect(rejections(recorder)).toEqual(['per_ip', 'per_ip']);
  });

  it('gives the per-IP slot back when the connection ends because every pool failed', async () => {
    const deadPool = await closedPort();
    const pool = await startPool(cleanup); // only to count: nothing may reach it
    const { port, recorder } = await startEdgeProxy(cleanup, deadPool, { admission: admission({ maxConnectionsPerIp: 1 }) });
    for (let i = 0; i < 3; i++) {
      const miner = await connectFrom(cleanup, port);
      await waitUntil(() => recorder.closed().length === i + 1, `connection ${i + 1} closed by the failed pool`, 5_000);
      expect(recorder.closed()[i]).toMatchObject({ reason: 'upstream_failed' });
      await waitUntil(() => miner.capture.gone, 'the miner closed', 5_000);
    }
    expect(rejections(recorder)).toEqual([]);
    expect(pool.sockets).toHaveLength(0);
  });

  it('limits new connections per second per address: a burst of 2 at 1/s, then one more after a second', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: admission({ connectionsPerSecondPerIp: 1 }) });
    await admitted(port, pool, 0);
    await admitted(port, pool, 1);
    const burstSpent = Date.now();
    await refused(port, pool, recorder, 'rate');
    // Another address has its own bucket.
    await admitted(port, pool, 2, '127.0.0.3');
    // The refusal took no token: one second after the burst there is one again.
    await sleep(Math.max(0, burstSpent + 1_100 - Date.now()));
    await admitted(port, pool, 3);
    await refused(port, pool, recorder, 'rate');
    expect(rejections(recorder)).toEqual(['rate', 'rate']);
  });

  it('still refuses past maxConnections as max_connections with admission rules on, counting connections still in admission', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, {
      maxConnections: 2,
      admission: admission({ allowFrom: ['127.0.0.0/8'], firstByteTimeoutMs: 5_000 }),
    });
    const first = await admitted(port, pool, 0);
    // Connected, not yet speaking: held by the first-byte wait, it holds a descriptor all the same.
    await connectFrom(cleanup, port, { localAddress: '127.0.0.2' });
    await sleep(30);
    await refused(port, pool, recorder, 'max_connections', '127.0.0.3');

    await hangUp(first, recorder, 0);
    await admitted(port, pool, 1, '127.0.0.3');
  });

  it('applies the per-IP limits and the allow-list to the PROXY header source, not the balancer address', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, {
      admission: admission({ proxyProtocol: true, allowFrom: ['203.0.113.0/24'], maxConnectionsPerIp: 1, firstByteTimeoutMs: 2_000 }),
    });
    // Everything comes from one balancer, 127.0.0.2 (itself outside allowFrom).
    const viaBalancer = async (header: Buffer): Promise<EdgeClient> => {
      const client = await connectFrom(cleanup, port, { localAddress: '127.0.0.2' });
      client.socket.write(Buffer.concat([header, SUBSCRIBE]));
      return client;
    };
    await viaBalancer(Buffer.from('PROXY TCP4 203.0.113.5 198.51.100.1 40000 3333\r\n'));
    await pool.socket(0);
    // The same miner again, announced as IPv4-mapped IPv6 by a dual-stack balancer: the same key.
    await viaBalancer(encodeProxyV2({ family: 2, sourceAddress: '::ffff:cb00:7105', sourcePort: 40001 }));
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'per_ip', remoteAddress: '203.0.113.5', remotePort: 40001 });
    await viaBalancer(Buffer.from('PROXY TCP4 203.0.113.6 198.51.100.1 40002 3333\r\n'));
    await pool.socket(1);
    await viaBalancer(Buffer.from('PROXY TCP4 198.51.100.9 198.51.100.1 40003 3333\r\n'));
    await rejectedCount(recorder, 2);
    expect(recorder.ofType('connection.rejected')[1]).toMatchObject({ reason: 'not_allowed', remoteAddress: '198.51.100.9' });
    await sleep(30);
    expect(pool.sockets).toHaveLength(2);
    expect(recorder.ofType('connection.opened').map((e) => e.remoteAddress)).toEqual(['203.0.113.5', '203.0.113.6']);
  });

  it('gives the per-IP slot back when a silent connection is closed at the first-byte deadline', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, {
      admission: admission({ maxConnectionsPerIp: 1, firstByteTimeoutMs: 200 }),
    });
    await connectFrom(cleanup, port);
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'first_byte_timeout' });
    await admitted(port, pool, 0);
    expect(rejections(recorder)).toEqual(['first_byte_timeout']);
  });
});
