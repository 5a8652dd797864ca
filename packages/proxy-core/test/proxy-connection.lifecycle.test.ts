import * as net from 'node:net';
import { ProxyCoreError } from '../src/errors';
import { ProxyServer } from '../src/proxy-server';
import type { UpstreamConnector } from '../src/proxy-server';
import { upstreamFailureReason } from '../src/upstream/failure-reason';
import { Cleanup } from './helpers/cleanup';
import { connectMiner, writeAll } from './helpers/miner-client';
import { closedPort, startPool } from './helpers/pool-server';
import { RecordingObservers, startProxy } from './helpers/proxy';
import { seededBytes } from './helpers/prng';
import { sleep, waitUntil } from './helpers/wait';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A connector whose sockets connect only when the test calls `release()` (deterministic, loopback only). */
function gatedConnector(): { connect: UpstreamConnector; release: () => void; requested: () => number } {
  const waiting: Array<() => void> = [];
  let requested = 0;
  let released = false;
  const connect: UpstreamConnector = (options) => {
    requested++;
    const socket = new net.Socket({ allowHalfOpen: true });
    const go = (): void => {
      socket.connect(options.port, options.host ?? '127.0.0.1');
    };
    if (released) go();
    else waiting.push(go);
    return socket;
  };
  return {
    connect,
    requested: () => requested,
    release: () => {
      released = true;
      for (const go of waiting.splice(0)) go();
    },
  };
}

describe('half-close', () => {
  it('relays data after the miner FIN, propagates the FIN after flushing and closes as end from the miner', async () => {
    const pool = await startPool(cleanup);
    const observers = new RecordingObservers();
    const { proxy, port, recorder } = await startProxy(cleanup, pool.port, { observerFactory: observers.factory });
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();

    const big = seededBytes(1, 3 * 1024 * 1024);
    await writeAll(miner.socket, big);
    miner.socket.end();
    await waitUntil(() => upstream.capture.ended, 'the FIN at the pool');
    expect(upstream.capture.lengthAtEnd).toBe(big.length);
    expect(Buffer.compare(upstream.capture.bytes(), big)).toBe(0);

    // The pool still talks after the miner's FIN: the other direction stays open.
    upstream.socket.write('{"id":null,"method":"mining.notify","params":[]}\n');
    await waitUntil(() => miner.capture.length > 0, 'pool data after the miner FIN');
    expect(proxy.connectionCount).toBe(1);
    expect(recorder.closed()).toHaveLength(0);

    upstream.socket.end('tail-without-newline');
    await waitUntil(() => miner.capture.ended, 'the FIN at the miner');
    expect(miner.capture.text()).toBe('{"id":null,"method":"mining.notify","params":[]}\ntail-without-newline');
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');

    const closed = recorder.closed()[0];
    expect(closed).toMatchObject({ side: 'miner', reason: 'end', error: undefined, bytesMinerToPool: big.length });
    expect(closed?.bytesPoolToMiner).toBe(miner.capture.length);
    expect(closed?.durationMs).toBeGreaterThanOrEqual(0);
    expect(proxy.connectionCount).toBe(0);
    const id = closed?.connectionId ?? -1;
    expect(observers.seen.get(`${id}:miner_to_pool`)?.ended).toBe(true);
    expect(observers.seen.get(`${id}:pool_to_miner`)?.ended).toBe(true);
    expect(Buffer.compare(observers.bytes(id, 'miner_to_pool'), big)).toBe(0);
    recorder.assertWellFormed();
  });

  it('relays data after the pool FIN and closes as end from the pool', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startProxy(cleanup, pool.port);
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();

    const big = seededBytes(2, 2 * 1024 * 1024);
    await writeAll(upstream.socket, big);
    upstream.socket.end();
    await waitUntil(() => miner.capture.ended, 'the FIN at the miner');
    expect(miner.capture.lengthAtEnd).toBe(big.length);
    expect(Buffer.compare(miner.capture.bytes(), big)).toBe(0);

    miner.socket.write('{"id":4,"method":"mining.submit","params":["w","j","0","0","0"]}\r\n');
    await waitUntil(() => upstream.capture.length > 0, 'miner data after the pool FIN');
    miner.socket.end();
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    expect(upstream.capture.ended).toBe(true);
    expect(upstream.capture.text()).toBe('{"id":4,"method":"mining.submit","params":["w","j","0","0","0"]}\r\n');
    expect(recorder.closed()[0]).toMatchObject({ side: 'pool', reason: 'end', bytesPoolToMiner: big.length });
    recorder.assertWellFormed();
  });
});

describe('resets', () => {
  it('destroys the upstream when the miner resets and reports side miner, reason reset', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder, proxy } = await startProxy(cleanup, pool.port);
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    miner.socket.write('hello');
    await waitUntil(() => upstream.capture.length === 5, 'first bytes');

    miner.socket.resetAndDestroy();
    await waitUntil(() => upstream.capture.gone, 'the upstream socket to close');
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    expect(recorder.closed()[0]).toMatchObject({ side: 'miner', reason: 'reset', error: 'ECONNRESET', bytesMinerToPool: 5 });
    expect(proxy.connectionCount).toBe(0);
    recorder.assertWellFormed();
  });

  it('destroys the miner socket when the pool resets and reports side pool, reason reset', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startProxy(cleanup, pool.port);
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    upstream.socket.write('welcome\n');
    await waitUntil(() => miner.capture.length === 8, 'first bytes');

    upstream.socket.resetAndDestroy();
    await waitUntil(() => miner.capture.gone, 'the miner socket to close');
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    expect(recorder.closed()[0]).toMatchObject({ side: 'pool', reason: 'reset', error: 'ECONNRESET', bytesPoolToMiner: 8 });
    recorder.assertWellFormed();
  });
});

describe('upstream connect failures', () => {
  it('closes the miner and reports refused then upstream_failed when the pool port is closed', async () => {
    const { port, recorder, proxy } = await startProxy(cleanup, await closedPort());
    const miner = await connectMiner(cleanup, port);
    miner.socket.write('{"id":1,"method":"mining.subscribe","params":[]}\n');
    await waitUntil(() => miner.capture.gone, 'the miner socket to close');
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');

    const id = recorder.openedIds()[0] ?? -1;
    expect(recorder.sequence(id)).toEqual(['connection.opened', 'upstream.connect_failed', 'connection.closed']);
    expect(recorder.ofType('upstream.connect_failed')[0]).toMatchObject({ reason: 'refused', code: 'ECONNREFUSED', poolHost: '127.0.0.1' });
    expect(recorder.closed()[0]).toMatchObject({ side: 'proxy', reason: 'upstream_failed', error: 'ECONNREFUSED', bytesMinerToPool: 0 });
    expect(proxy.connectionCount).toBe(0);
  });

  it('reports timeout when the upstream does not connect within upstreamConnectTimeoutMs', async () => {
    const never: UpstreamConnector = () => new net.Socket({ allowHalfOpen: true });
    const { port, recorder } = await startProxy(cleanup, 1, { connect: never, upstreamConnectTimeoutMs: 50 });
    const miner = await connectMiner(cleanup, port);
    await waitUntil(() => miner.capture.gone, 'the miner socket to close');
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    const failed = recorder.ofType('upstream.connect_failed')[0];
    expect(failed).toMatchObject({ reason: 'timeout', code: 'ETIMEDOUT' });
    expect(failed?.latencyMs).toBeGreaterThanOrEqual(40);
    expect(recorder.closed()[0]).toMatchObject({ side: 'proxy', reason: 'upstream_failed' });
    recorder.assertWellFormed();
  });

  it('maps an unreachable-host error from the connector to reason unreachable', async () => {
    const unreachable: UpstreamConnector = () => {
      const socket = new net.Socket({ allowHalfOpen: true });
      setImmediate(() => socket.destroy(Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' })));
      return socket;
    };
    const { port, recorder } = await startProxy(cleanup, 1, { connect: unreachable });
    await connectMiner(cleanup, port);
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    expect(recorder.ofType('upstream.connect_failed')[0]).toMatchObject({ reason: 'unreachable', code: 'EHOSTUNREACH' });
  });

  it('reports a connector that throws synchronously as a failed upstream, not a crash', async () => {
    const throwing: UpstreamConnector = () => {
      throw Object.assign(new Error('bad port'), { code: 'ERR_SOCKET_BAD_PORT' });
    };
    const { port, recorder } = await startProxy(cleanup, 1, { connect: throwing });
    const miner = await connectMiner(cleanup, port);
    await waitUntil(() => miner.capture.gone && recorder.closed().length === 1, 'connection.closed');
    expect(recorder.ofType('upstream.connect_failed')[0]).toMatchObject({ reason: 'error', code: 'ERR_SOCKET_BAD_PORT' });
    expect(recorder.closed()[0]).toMatchObject({ side: 'proxy', reason: 'upstream_failed' });
  });

  it('maps errno codes to the bounded set of failure reasons', () => {
    expect(upstreamFailureReason('ECONNREFUSED')).toBe('refused');
    expect(upstreamFailureReason('ETIMEDOUT')).toBe('timeout');
    expect(upstreamFailureReason('ENOTFOUND')).toBe('dns');
    expect(upstreamFailureReason('EAI_AGAIN')).toBe('dns');
    expect(upstreamFailureReason('EHOSTUNREACH')).toBe('unreachable');
    expect(upstreamFailureReason('ENETUNREACH')).toBe('unreachable');
    expect(upstreamFailureReason('ECONNRESET')).toBe('reset');
    expect(upstreamFailureReason('EPERM')).toBe('error');
    expect(upstreamFailureReason(undefined)).toBe('error');
  });
});

describe('pre-connect buffering', () => {
  it('holds miner bytes while the upstream connects, stops reading at the cap and delivers them in order', async () => {
    const pool = await startPool(cleanup);
    const gate = gatedConnector();
    const preConnectBufferBytes = 16 * 1024;
    const { proxy, port, recorder } = await startProxy(cleanup, pool.port, { connect: gate.connect, preConnectBufferBytes });
    const miner = await connectMiner(cleanup, port);
    await waitUntil(() => gate.requested() === 1, 'the upstream connect to start');

    const payload = seededBytes(3, 4 * 1024 * 1024);
    const written = writeAll(miner.socket, payload);
    // The queue fills to the cap, then the proxy stops reading and the miner's writes back up.
    await waitUntil(() => (proxy.connections()[0]?.bufferedToPool ?? 0) >= preConnectBufferBytes, 'the queue to reach its cap');
    await sleep(200);
    expect(miner.socket.writableLength).toBeGreaterThan(0);
    const [snapshot] = proxy.connections();
    expect(snapshot?.upstreamConnected).toBe(false);
    expect(snapshot?.bytesMinerToPool).toBe(0);
    // Queue stops at the cap plus the chunk that crossed it, plus the socket's readable buffer.
    expect(snapshot?.bufferedToPool).toBeGreaterThanOrEqual(preConnectBufferBytes);
    expect(snapshot?.bufferedToPool).toBeLessThan(preConnectBufferBytes + 256 * 1024);
    expect(pool.sockets).toHaveLength(0);

    gate.release();
    await written;
    miner.socket.end();
    const upstream = await pool.socket();
    await waitUntil(() => upstream.capture.ended, 'everything at the pool');
    expect(Buffer.compare(upstream.capture.bytes(), payload)).toBe(0);
    upstream.socket.end();
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    expect(recorder.closed()[0]).toMatchObject({ side: 'miner', reason: 'end', bytesMinerToPool: payload.length });
    recorder.assertWellFormed();
  });

  it('forwards a FIN the miner sent before the upstream connected, after its bytes', async () => {
    const pool = await startPool(cleanup);
    const gate = gatedConnector();
    const { port, recorder } = await startProxy(cleanup, pool.port, { connect: gate.connect }, true);
    const miner = await connectMiner(cleanup, port);
    miner.socket.end('{"id":1,"method":"mining.subscribe","params":[]}\n');
    await sleep(50);
    gate.release();
    const upstream = await pool.socket();
    await waitUntil(() => upstream.capture.ended, 'the FIN at the pool');
    expect(upstream.capture.text()).toBe('{"id":1,"method":"mining.subscribe","params":[]}\n');
    upstream.socket.end();
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    const id = recorder.openedIds()[0] ?? -1;
    expect(recorder.sequence(id)).toEqual(['connection.opened', 'upstream.connected', 'bytes', 'connection.closed']);
  });
});

describe('idle timeout', () => {
  it('closes a connection with no bytes either way for idleTimeoutMs as idle_timeout from the proxy', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startProxy(cleanup, pool.port, { idleTimeoutMs: 150 });
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    miner.socket.write('x');
    await waitUntil(() => miner.capture.gone && upstream.capture.gone, 'both sockets to close');
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    expect(recorder.closed()[0]).toMatchObject({ side: 'proxy', reason: 'idle_timeout', bytesMinerToPool: 1 });
  });

  it('keeps a connection open while the pool keeps sending', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder, proxy } = await startProxy(cleanup, pool.port, { idleTimeoutMs: 1_000 });
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    for (let i = 0; i < 15; i++) {
      upstream.socket.write('{"id":null,"method":"mining.notify","params":[]}\n');
      await sleep(100);
    }
    expect(proxy.connectionCount).toBe(1);
    expect(recorder.closed()).toHaveLength(0);
    expect(miner.capture.gone).toBe(false);
  });
});

describe('limits and shutdown', () => {
  it('rejects connections beyond maxConnections at once without opening them', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder, proxy } = await startProxy(cleanup, pool.port, { maxConnections: 2 });
    const first = await connectMiner(cleanup, port);
    await connectMiner(cleanup, port);
    await waitUntil(() => proxy.connectionCount === 2, 'two open connections');
    const third = await connectMiner(cleanup, port);
    await waitUntil(() => third.capture.gone, 'the excess connection to be closed');
    expect(recorder.ofType('connection.rejected')).toEqual([
      expect.objectContaining({ reason: 'max_connections', remoteAddress: '127.0.0.1', remotePort: third.socket.localPort }),
    ]);
    expect(recorder.openedIds()).toHaveLength(2);
    expect(proxy.connectionCount).toBe(2);

    first.socket.resetAndDestroy();
    await waitUntil(() => proxy.connectionCount === 1, 'a slot to free up');
    await connectMiner(cleanup, port);
    await waitUntil(() => proxy.connectionCount === 2, 'a new connection in the freed slot');
    expect(recorder.openedIds()).toHaveLength(3);
  });

  it('drains: a connection that ends before the deadline counts as drained, one that stays is forced', async () => {
    // The pool answers a FIN with its own FIN, like a real pool closing the session.
    const pool = await startPool(cleanup, (socket) => socket.on('end', () => socket.end()));
    const { port, recorder, proxy } = await startProxy(cleanup, pool.port);
    const leaving = await connectMiner(cleanup, port);
    const staying = await connectMiner(cleanup, port);
    await pool.socket(1);
    await waitUntil(() => recorder.ofType('upstream.connected').length === 2, 'both upstreams');

    const draining = proxy.drain(1_500);
    expect(proxy.listening).toBe(false);
    setTimeout(() => leaving.socket.end(), 100);
    const result = await draining;

    expect(result).toEqual({ drained: 1, forced: 1 });
    expect(proxy.connectionCount).toBe(0);
    await waitUntil(() => staying.capture.gone, 'the forced miner socket to close');
    const byReason = recorder.closed().map((e) => `${e.side}/${e.reason}`).sort();
    expect(byReason).toEqual(['miner/end', 'proxy/drain']);
    await expect(connectMiner(cleanup, port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    recorder.assertWellFormed();
  });

  it('drains at once when nothing is open', async () => {
    const pool = await startPool(cleanup);
    const { proxy } = await startProxy(cleanup, pool.port);
    await expect(proxy.drain(10_000)).resolves.toEqual({ drained: 0, forced: 0 });
    expect(proxy.listening).toBe(false);
  });

  it('close destroys every open connection and reports each closed exactly once', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder, proxy } = await startProxy(cleanup, pool.port);
    const miners = await Promise.all([connectMiner(cleanup, port), connectMiner(cleanup, port), connectMiner(cleanup, port)]);
    await waitUntil(() => recorder.ofType('upstream.connected').length === 3, 'three upstreams');
    await proxy.close();
    expect(proxy.connectionCount).toBe(0);
    expect(recorder.closed().map((e) => e.reason)).toEqual(['drain', 'drain', 'drain']);
    await waitUntil(() => miners.every((m) => m.capture.gone), 'every miner socket to close');
    recorder.assertWellFormed();
  });
});

describe('listen', () => {
  it('resolves with the real port when asked for port 0 and reports listening', async () => {
    const pool = await startPool(cleanup);
    const { proxy, port } = await startProxy(cleanup, pool.port);
    expect(port).toBeGreaterThan(0);
    expect(proxy.listening).toBe(true);
    await proxy.stopAccepting();
    expect(proxy.listening).toBe(false);
  });

  it('rejects with SRL_ERR_ADDRESS_IN_USE when the port is taken', async () => {
    const pool = await startPool(cleanup);
    const proxy = new ProxyServer({
      listenHost: '127.0.0.1',
      listenPort: pool.port,
      poolHost: '127.0.0.1',
      poolPort: pool.port,
      maxConnections: 1,
      idleTimeoutMs: 0,
      upstreamConnectTimeoutMs: 1_000,
      maxLineBytes: 1024,
      preConnectBufferBytes: 1024,
    });
    cleanup.add(() => proxy.close());
    const error = await proxy.listen().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ProxyCoreError);
    expect(error).toMatchObject({ code: 'SRL_ERR_ADDRESS_IN_USE', cause: expect.objectContaining({ code: 'EADDRINUSE' }) });
    expect(proxy.listening).toBe(false);
  });

  it('rejects with SRL_ERR_LISTEN for an address this host does not have', async () => {
    const proxy = new ProxyServer({
      listenHost: '192.0.2.1', // TEST-NET-1: never a local address, so EADDRNOTAVAIL
      listenPort: 0,
      poolHost: '127.0.0.1',
      poolPort: 1,
      maxConnections: 1,
      idleTimeoutMs: 0,
      upstreamConnectTimeoutMs: 1_000,
      maxLineBytes: 1024,
      preConnectBufferBytes: 1024,
    });
    cleanup.add(() => proxy.close());
    await expect(proxy.listen()).rejects.toMatchObject({ code: 'SRL_ERR_LISTEN', cause: expect.anything() });
  });
});

describe('events and observers', () => {
  it('emits opened, upstream.connected, bytes and closed in order with one closed per connection', async () => {
    const pool = await startPool(cleanup, (socket) => {
      socket.on('data', () => socket.write('{"id":1,"result":true,"error":null}\n'));
      socket.on('end', () => socket.end());
    });
    const { port, recorder } = await startProxy(cleanup, pool.port, {}, true);
    for (let i = 0; i < 5; i++) {
      const miner = await connectMiner(cleanup, port);
      miner.socket.write('{"id":1,"method":"mining.authorize","params":["w","x"]}\n');
      await waitUntil(() => miner.capture.length > 0, 'the answer');
      miner.socket.end();
      await waitUntil(() => miner.capture.gone, 'the miner socket to close');
    }
    await waitUntil(() => recorder.closed().length === 5, 'five closed');
    const ids = recorder.openedIds();
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    for (const id of ids) {
      expect(recorder.sequence(id)).toEqual(['connection.opened', 'upstream.connected', 'bytes', 'bytes', 'connection.closed']);
    }
    const connected = recorder.ofType('upstream.connected')[0];
    expect(connected).toMatchObject({ poolHost: '127.0.0.1', poolPort: pool.port });
    expect(connected?.latencyMs).toBeGreaterThanOrEqual(0);
    const opened = recorder.ofType('connection.opened')[0];
    expect(opened?.remoteAddress).toBe('127.0.0.1');
    expect(opened?.wallTime).toBeGreaterThan(0);
    recorder.assertWellFormed();
  });

  it('observes with a StratumParser per direction by default, after relaying', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startProxy(cleanup, pool.port, { observerFactory: undefined });
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    miner.socket.write('{"id":1,"method":"mining.subscribe","params":["cgminer/4.10"]}\n');
    await waitUntil(() => upstream.capture.length > 0 && recorder.ofType('stratum.request').length === 1, 'the request event');
    expect(recorder.ofType('stratum.request')[0]).toMatchObject({ direction: 'miner_to_pool', id: 1, method: 'mining.subscribe' });
  });

  it('keeps relaying when observers and listeners throw, and counts both', async () => {
    const pool = await startPool(cleanup);
    const { port, proxy, recorder } = await startProxy(cleanup, pool.port, {
      observerFactory: () => ({
        push() {
          throw new Error('parser bug');
        },
        end() {
          throw new Error('parser bug');
        },
      }),
    });
    proxy.events.subscribe(() => {
      throw new Error('metrics bug');
    });
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    miner.socket.end('abc\n');
    await waitUntil(() => upstream.capture.ended, 'the bytes and FIN at the pool');
    upstream.socket.end('def\n');
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed');
    expect(upstream.capture.text()).toBe('abc\n');
    expect(miner.capture.text()).toBe('def\n');
    expect(proxy.events.observerErrors).toBe(4);
    expect(proxy.events.listenerErrors).toBeGreaterThanOrEqual(4);
  });

  it('keeps relaying when the observer factory throws', async () => {
    const pool = await startPool(cleanup);
    const { port, proxy } = await startProxy(cleanup, pool.port, {
      observerFactory: () => {
        throw new Error('factory bug');
      },
    });
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    miner.socket.write('still relayed\n');
    await waitUntil(() => upstream.capture.length === 14, 'the bytes at the pool');
    expect(proxy.events.observerErrors).toBe(2);
  });

  it('snapshots open connections with their byte counts', async () => {
    const pool = await startPool(cleanup);
    const { port, proxy } = await startProxy(cleanup, pool.port);
    const miner = await connectMiner(cleanup, port);
    const upstream = await pool.socket();
    miner.socket.write('12345');
    upstream.socket.write('abc');
    await waitUntil(() => upstream.capture.length === 5 && miner.capture.length === 3, 'bytes both ways');
    expect(proxy.connections()).toEqual([
      expect.objectContaining({
        remoteAddress: '127.0.0.1',
        remotePort: miner.socket.localPort,
        upstreamConnected: true,
        bytesMinerToPool: 5,
        bytesPoolToMiner: 3,
        bufferedToPool: 0,
        bufferedToMiner: 0,
      }),
    ]);
    expect(proxy.connections()[0]?.connectedAt).toBeLessThanOrEqual(Date.now());
  });
});
