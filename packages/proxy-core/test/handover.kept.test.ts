import * as net from 'node:net';
import type { PoolSpec } from '@stratum-relay/shared-types';
import type { UpstreamConnector } from '../src/proxy-server';
import type { ByteCapture } from './helpers/byte-capture';
import { Cleanup } from './helpers/cleanup';
import { connectFrom, connectTls } from './helpers/edge-client';
import { startEdgeProxy } from './helpers/edge-proxy';
import { handOverAll } from './helpers/handover-traffic';
import { startPool } from './helpers/pool-server';
import { startProxy } from './helpers/proxy';
import { contextOf, makeTestCerts, type TestCerts } from './helpers/test-certs';
import { startTlsPool } from './helpers/tls-pool';
import { sleep, waitUntil } from './helpers/wait';

/**
 * What cannot move stays: it is reported `kept` with the reason, the new server gets nothing,
 * and the connection relays on the old server as if nothing had been tried.
 */
let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.remove());

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SUBSCRIBE = Buffer.from('{"id":1,"method":"mining.subscribe","params":["cgminer/4.12"]}\n');
const ANSWER = Buffer.from('{"id":1,"result":[[["mining.notify","ae6812eb4cd7735a"]],"08000002",4],"error":null}\n');
const SUBMIT = Buffer.from('{"id":4,"method":"mining.submit","params":["w","j","00000000","5f5e1000","00000000"]}\n');
const ACCEPTED = Buffer.from('{"id":4,"result":true,"error":null}\n');

interface End {
  readonly socket: net.Socket;
  readonly capture: ByteCapture;
}

/** One request and its answer through the relay, after what each side already received. */
async function roundTrip(miner: End, pool: End, what: string): Promise<void> {
  const atPool = pool.capture.length;
  const atMiner = miner.capture.length;
  miner.socket.write(SUBMIT);
  await waitUntil(() => pool.capture.length === atPool + SUBMIT.length, `${what}: the submit at the pool`, 5_000);
  pool.socket.write(ACCEPTED);
  await waitUntil(() => miner.capture.length === atMiner + ACCEPTED.length, `${what}: the answer at the miner`, 5_000);
  expect(pool.capture.bytes().subarray(atPool)).toEqual(SUBMIT);
  expect(miner.capture.bytes().subarray(atMiner)).toEqual(ACCEPTED);
}

/** A connector whose sockets connect only when the test says so. */
function gatedConnector(): { connect: UpstreamConnector; release: () => void } {
  const waiting: Array<() => void> = [];
  return {
    connect: (options) => {
      const socket = new net.Socket({ allowHalfOpen: true });
      waiting.push(() => socket.connect(options.port, options.host ?? '127.0.0.1'));
      return socket;
    },
    release: () => {
      for (const go of waiting.splice(0)) go();
    },
  };
}

describe('connections that cannot be handed over', () => {
  it('keeps a TLS miner (tls_miner) and relays on; the plain miner beside it moves', async () => {
    const pool = await startPool(cleanup);
    const a = await startEdgeProxy(cleanup, pool.port, { tls: { host: '127.0.0.1', port: 0, context: contextOf(certs.server) } });
    const b = await startProxy(cleanup, pool.port);
    const tlsMiner = await connectTls(cleanup, a.tlsPort, { ca: certs.ca });
    tlsMiner.socket.write(SUBSCRIBE);
    const tlsUpstream = await pool.socket(0);
    await waitUntil(() => tlsUpstream.capture.length === SUBSCRIBE.length, 'the TLS miner at the pool', 5_000);
    const plain = await connectFrom(cleanup, a.port);
    const plainUpstream = await pool.socket(1);
    await roundTrip(plain, plainUpstream, 'plain, before');
    const tlsId = a.proxy.connections().find((c) => c.remotePort === tlsMiner.socket.localPort)?.connectionId;

    const moved = await handOverAll(a.proxy, b.proxy);
    expect(moved.kept).toEqual([{ connectionId: tlsId, reason: 'tls_miner' }]);
    expect(moved.handedOver).toHaveLength(1);
    expect(a.proxy.connectionCount).toBe(1);
    expect(b.proxy.connectionCount).toBe(1);
    await roundTrip(tlsMiner, tlsUpstream, 'TLS miner, kept on A');
    await roundTrip(plain, plainUpstream, 'plain miner, moved to B');
  });

  it('keeps a connection to a TLS pool (tls_pool) and relays on', async () => {
    const pool = await startTlsPool(cleanup, certs.server);
    const spec: PoolSpec = { name: 'tls-pool', scheme: 'tls', host: 'localhost', port: pool.port, account: null, password: null };
    const a = await startProxy(cleanup, 1, { pools: [spec], poolTls: { ca: certs.ca, insecure: false } });
    const b = await startProxy(cleanup, 1, { pools: [spec], poolTls: { ca: certs.ca, insecure: false } });
    const miner = await connectFrom(cleanup, a.port);
    miner.socket.write(SUBSCRIBE);
    const upstream = await pool.socket(0);
    upstream.socket.write(ANSWER);
    await waitUntil(() => miner.capture.length === ANSWER.length, 'the answer at the miner', 5_000);

    const moved = await handOverAll(a.proxy, b.proxy);
    expect(moved.kept).toEqual([{ connectionId: a.proxy.connections()[0]?.connectionId, reason: 'tls_pool' }]);
    expect(b.proxy.connectionCount).toBe(0);
    await roundTrip(miner, upstream, 'TLS pool, kept on A');
  });

  it('keeps a connection whose pool is still connecting (not_relaying), which then relays on here', async () => {
    const pool = await startPool(cleanup);
    const gate = gatedConnector();
    const a = await startProxy(cleanup, pool.port, { connect: gate.connect });
    const b = await startProxy(cleanup, pool.port);
    const miner = await connectFrom(cleanup, a.port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => a.proxy.connections()[0]?.bufferedToPool === SUBSCRIBE.length, 'the subscribe held while connecting', 5_000);

    const moved = await handOverAll(a.proxy, b.proxy);
    expect(moved.kept).toEqual([{ connectionId: a.proxy.connections()[0]?.connectionId, reason: 'not_relaying' }]);
    expect(b.proxy.connectionCount).toBe(0);
    gate.release();
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the held subscribe at the pool', 5_000);
    await roundTrip(miner, upstream, 'connected after the attempt');
  });

  it('keeps a half-closed connection (half_closed): the pool still answers a miner that sent its FIN', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port);
    const miner = await connectFrom(cleanup, a.port);
    const upstream = await pool.socket(0);
    miner.socket.end(SUBMIT);
    await waitUntil(() => upstream.capture.ended, 'the FIN at the pool', 5_000);

    const moved = await handOverAll(a.proxy, b.proxy);
    expect(moved.kept).toEqual([{ connectionId: a.proxy.connections()[0]?.connectionId, reason: 'half_closed' }]);
    upstream.socket.end(ACCEPTED);
    await waitUntil(() => miner.capture.ended, 'the answer and the FIN at the miner', 5_000);
    expect(upstream.capture.bytes()).toEqual(SUBMIT);
    expect(miner.capture.bytes()).toEqual(ACCEPTED);
    await waitUntil(() => a.proxy.connectionCount === 0, 'the connection to close on A', 5_000);
    expect(a.recorder.closed()).toEqual([expect.objectContaining({ reason: 'end' })]);
  });

  it('keeps a connection whose FIN was read behind bytes not relayed yet, and relays the bytes, then the FIN', async () => {
    const pool = await startPool(cleanup);
    let proxyPoolSocket: net.Socket | null = null;
    const connect: UpstreamConnector = (options) => (proxyPoolSocket = net.connect(options));
    const a = await startProxy(cleanup, pool.port, { connect });
    const b = await startProxy(cleanup, pool.port);
    const miner = await connectFrom(cleanup, a.port);
    const upstream = await pool.socket(0);
    await roundTrip(miner, upstream, 'before');
    // As under backpressure: the relay's pool socket stops emitting, and the answer and the pool's
    // FIN wait in its buffer, read from the descriptor but not relayed.
    const held = proxyPoolSocket as unknown as net.Socket;
    held.pause();
    upstream.socket.end(ACCEPTED);
    await waitUntil(() => held.readableLength === ACCEPTED.length, 'the answer read but not relayed', 5_000);
    await sleep(50); // the FIN right behind it

    const moved = await handOverAll(a.proxy, b.proxy);
    expect(moved.kept).toEqual([{ connectionId: a.proxy.connections()[0]?.connectionId, reason: 'half_closed' }]);
    expect(b.proxy.connectionCount).toBe(0);
    await waitUntil(() => miner.capture.ended, 'the FIN at the miner', 5_000);
    expect(miner.capture.bytes()).toEqual(Buffer.concat([ACCEPTED, ACCEPTED]));
    expect(miner.capture.lengthAtEnd).toBe(2 * ACCEPTED.length);
  });
});
