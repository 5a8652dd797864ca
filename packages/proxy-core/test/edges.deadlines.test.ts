import * as net from 'node:net';
import type { PoolDialer } from '../src/upstream/pool-dialer';
import { Cleanup } from './helpers/cleanup';
import { connectFrom, connectTls } from './helpers/edge-client';
import { admission, startEdgeProxy } from './helpers/edge-proxy';
import { expectSameBytes } from './helpers/edge-traffic';
import { eventOf, rejections } from './helpers/event-wait';
import { startPool } from './helpers/pool-server';
import { seededBytes } from './helpers/prng';
import { contextOf, makeTestCerts, type TestCerts } from './helpers/test-certs';
import { sleep, waitUntil } from './helpers/wait';

/**
 * The first-byte deadline (before any pool is dialled) and the authorize deadline (after), on real
 * sockets and real timers: these are the deadlines' wall-clock behaviour, bounded generously.
 */
let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.remove());

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SUBSCRIBE = Buffer.from('{"id":1,"method":"mining.subscribe","params":["cgminer/4.12"]}\n');
const AUTHORIZE = Buffer.from('{"id":2,"method":"mining.authorize","params":["acct.w1","x"]}\n');

/** The real Stratum observer (the authorize deadline listens to what it reports). */
const REAL_PARSER = { observerFactory: undefined };

describe('first-byte deadline', () => {
  it('closes a silent connection at firstByteTimeoutMs as first_byte_timeout, and the pool never sees a socket', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: admission({ firstByteTimeoutMs: 200 }) });
    const started = Date.now();
    const client = await connectFrom(cleanup, port);
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({
      reason: 'first_byte_timeout',
      remoteAddress: '127.0.0.1',
      remotePort: client.socket.localPort,
    });
    await waitUntil(() => client.capture.gone, 'the silent client to be closed', 5_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(3_000);
    expect(pool.sockets).toHaveLength(0);
    expect(recorder.ofType('connection.opened')).toHaveLength(0);
  });

  it('relays a connection that talks at once, its first bytes intact and in order, more than the pre-connect buffer included', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: admission({ firstByteTimeoutMs: 200 }) });
    const miner = await connectFrom(cleanup, port);
    // Several writes back to back while the gate holds the first chunk; 600 KiB is over the
    // 256 KiB the relay holds before the pool is connected.
    const parts = [SUBSCRIBE, AUTHORIZE, seededBytes(0xf1257, 600 * 1024), Buffer.from('{"id":3,"method":"mining.submit","params":[]}\r\n')];
    for (const part of parts) miner.socket.write(part);
    const expected = Buffer.concat(parts);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length >= expected.length, 'everything at the pool', 10_000);
    expectSameBytes(upstream.capture.bytes(), expected, 'the first bytes at the pool');
    // Well past the deadline, it is still open and relaying.
    await sleep(300);
    upstream.socket.write('{"id":1,"result":true,"error":null}\n');
    await waitUntil(() => miner.capture.length > 0, 'the answer at the miner', 5_000);
    expect(rejections(recorder)).toEqual([]);
    expect(miner.capture.gone).toBe(false);
  });

  it('starts the first-byte deadline again after the TLS handshake: a TLS miner that then says nothing is closed', async () => {
    const pool = await startPool(cleanup);
    const { tlsPort, recorder } = await startEdgeProxy(cleanup, pool.port, {
      admission: admission({ firstByteTimeoutMs: 200 }),
      tls: { host: '127.0.0.1', port: 0, context: contextOf(certs.server) },
    });
    const miner = await connectTls(cleanup, tlsPort, { ca: certs.ca });
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'first_byte_timeout' });
    await waitUntil(() => miner.capture.gone, 'the silent TLS miner to be closed', 5_000);
    expect(recorder.ofType('tls.handshake_failed')).toEqual([]);
    expect(pool.sockets).toHaveLength(0);
  });
});

describe('authorize deadline', () => {
  it('closes a connection that sent mining.subscribe but no mining.authorize after authorizeTimeoutMs', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { ...REAL_PARSER, authorizeTimeoutMs: 300 });
    const started = Date.now();
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the subscribe at the pool', 5_000);

    expect(await eventOf(recorder, 'connection.rejected', () => true, 5_000)).toMatchObject({
      reason: 'authorize_timeout',
      remoteAddress: '127.0.0.1',
      remotePort: miner.socket.localPort,
    });
    expect(await eventOf(recorder, 'connection.closed')).toMatchObject({ side: 'proxy', reason: 'limit' });
    await waitUntil(() => miner.capture.gone && upstream.capture.gone, 'both sockets closed', 5_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
  });

  it.each([
    ['in one write', [AUTHORIZE]],
    ['split inside its method name', [AUTHORIZE.subarray(0, 20), AUTHORIZE.subarray(20)]],
  ])('keeps a connection that sent mining.authorize in time (%s) open past the deadline', async (_name, authorizeParts) => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { ...REAL_PARSER, authorizeTimeoutMs: 300 });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await sleep(50);
    for (const part of authorizeParts) {
      miner.socket.write(part);
      await sleep(20);
    }
    await sleep(900);
    expect(rejections(recorder)).toEqual([]);
    expect(recorder.closed()).toEqual([]);
    const upstream = await pool.socket(0);
    upstream.socket.write('{"id":2,"result":true,"error":null}\n');
    await waitUntil(() => miner.capture.length > 0, 'the answer at the miner', 5_000);
    expect(miner.capture.gone).toBe(false);
    expectSameBytes(upstream.capture.bytes(), Buffer.concat([SUBSCRIBE, AUTHORIZE]), 'what the pool received');
  });

  it('applies a lowered authorizeTimeoutMs from setAdmission to a new connection while an older one is still waiting', async () => {
    const pool = await startPool(cleanup);
    const { port, proxy, recorder } = await startEdgeProxy(cleanup, pool.port, { ...REAL_PARSER, authorizeTimeoutMs: 30_000 });
    const older = await connectFrom(cleanup, port);
    older.socket.write(SUBSCRIBE);
    await pool.socket(0);

    proxy.setAdmission(admission(), 300);
    const started = Date.now();
    const newer = await connectFrom(cleanup, port);
    newer.socket.write(SUBSCRIBE);
    await pool.socket(1);
    const rejected = await eventOf(recorder, 'connection.rejected', () => true, 5_000);
    expect(rejected).toMatchObject({ reason: 'authorize_timeout', remotePort: newer.socket.localPort });
    expect(Date.now() - started).toBeLessThan(3_000);
    // The older connection keeps the deadline it was given (30 s): a reload is for new connections.
    await sleep(300);
    expect(rejections(recorder)).toEqual(['authorize_timeout']);
    expect(older.capture.gone).toBe(false);
  });

  /** Dials like the real dialer, but only after `delayMs` (a pool slower to connect than the deadline). */
  function slowDial(delayMs: number): PoolDialer {
    return (spec) => {
      const socket = new net.Socket({ allowHalfOpen: true });
      const timer = setTimeout(() => socket.connect({ host: spec.host, port: spec.port }), delayMs);
      socket.once('close', () => clearTimeout(timer));
      return { socket, readyEvent: 'connect' };
    };
  }

  it('does not close a miner that sent mining.authorize at once while its pool is still connecting', async () => {
    const pool = await startPool(cleanup);
    // The pool takes 800 ms to connect, longer than the 300 ms authorize deadline.
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { ...REAL_PARSER, authorizeTimeoutMs: 300, dial: slowDial(800) });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(Buffer.concat([SUBSCRIBE, AUTHORIZE]));
    await sleep(1_300);
    expect(rejections(recorder)).toEqual([]);
    const upstream = await pool.socket(0);
    expectSameBytes(upstream.capture.bytes(), Buffer.concat([SUBSCRIBE, AUTHORIZE]), 'what the pool received');
    expect(miner.capture.gone).toBe(false);
  });

  it('closes a miner that never authorized once its slow pool has connected and its held bytes were seen', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { ...REAL_PARSER, authorizeTimeoutMs: 300, dial: slowDial(800) });
    const started = Date.now();
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    expect(await eventOf(recorder, 'connection.rejected', () => true, 5_000)).toMatchObject({ reason: 'authorize_timeout' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(4_000);
    // It was closed after its bytes reached the pool, not before.
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.gone && miner.capture.gone, 'both sides closed', 5_000);
    expectSameBytes(upstream.capture.bytes(), SUBSCRIBE, 'what the pool received');
  });
});
