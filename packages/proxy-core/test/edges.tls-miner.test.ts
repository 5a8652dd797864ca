import { testSeed } from '@stratum-relay/prng';
import { Cleanup } from './helpers/cleanup';
import { connectFrom, connectTls, failedTls } from './helpers/edge-client';
import { admission, startEdgeProxy } from './helpers/edge-proxy';
import { edgeTraffic, expectSameBytes } from './helpers/edge-traffic';
import { eventOf, rejections } from './helpers/event-wait';
import { writeAll } from './helpers/miner-client';
import { startPool } from './helpers/pool-server';
import { contextOf, makeTestCerts, type TestCerts } from './helpers/test-certs';
import { sleep, waitUntil } from './helpers/wait';

/**
 * The TLS listener for miners: byte-exact relay of the decrypted stream, refusals that never reach
 * the pool, and certificate rotation. Certificates are made by the openssl CLI for this file.
 * Replay the random traffic with SRL_EDGES_SEED=<seed printed on failure>.
 */
const SEED = testSeed('SRL_EDGES_SEED');

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.remove());

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SUBSCRIBE = Buffer.from('{"id":1,"method":"mining.subscribe","params":["cgminer/4.12"]}\n');

function tlsListener(): { host: string; port: number; context: ReturnType<typeof contextOf> } {
  return { host: '127.0.0.1', port: 0, context: contextOf(certs.server) };
}

describe('TLS listener for miners', () => {
  it('relays a TLS miner byte for byte both ways to a plain pool, 1 MiB blocks, CRLF and invalid UTF-8 included', async () => {
    const pool = await startPool(cleanup);
    const { tlsPort, recorder } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener() });
    const miner = await connectTls(cleanup, tlsPort, { ca: certs.ca });
    const upstream = await pool.socket(0);

    const up = edgeTraffic(SEED);
    const down = edgeTraffic(SEED + 1);
    try {
      await Promise.all([writeAll(miner.socket, up), writeAll(upstream.socket, down)]);
      await waitUntil(() => upstream.capture.length >= up.length && miner.capture.length >= down.length, 'both directions delivered', 15_000);
      expectSameBytes(upstream.capture.bytes(), up, 'miner→pool over TLS');
      expectSameBytes(miner.capture.bytes(), down, 'pool→miner over TLS');
    } catch (err) {
      (err as Error).message = `[seed ${SEED}; replay with SRL_EDGES_SEED=${SEED}] ${(err as Error).message}`;
      throw err;
    }
    const opened = await eventOf(recorder, 'connection.opened');
    expect(opened.remoteAddress).toBe('127.0.0.1');
    expect(opened.remotePort).toBe(miner.socket.localPort);
    expect(rejections(recorder)).toEqual([]);
  });

  it('passes a TLS miner half-close on: the pool gets the FIN after the bytes and can still answer', async () => {
    const pool = await startPool(cleanup);
    const { tlsPort } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener() });
    const miner = await connectTls(cleanup, tlsPort, { ca: certs.ca });
    const upstream = await pool.socket(0);

    miner.socket.end(SUBSCRIBE);
    await waitUntil(() => upstream.capture.ended, 'the FIN at the pool', 5_000);
    expect(upstream.capture.lengthAtEnd).toBe(SUBSCRIBE.length);
    const answer = Buffer.from('{"id":1,"result":[[],"08000002",4],"error":null}\n');
    upstream.socket.end(answer);
    await waitUntil(() => miner.capture.gone, 'the miner side to finish', 5_000);
    expect(miner.capture.bytes()).toEqual(answer);
  });

  it('passes a pool half-close on to a TLS miner, which can still send to the pool', async () => {
    const pool = await startPool(cleanup);
    const { tlsPort, recorder } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener() });
    const miner = await connectTls(cleanup, tlsPort, { ca: certs.ca });
    miner.socket.write(SUBSCRIBE);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the subscribe at the pool', 5_000);
    const answer = Buffer.from('{"id":1,"result":[[],"08000002",4],"error":null}\n');
    upstream.socket.end(answer);
    await waitUntil(() => miner.capture.ended, 'the FIN at the TLS miner', 5_000);
    expect(miner.capture.lengthAtEnd).toBe(answer.length);

    const submit = Buffer.from('{"id":4,"method":"mining.submit","params":["w","j","0","0","0"]}\r\n');
    miner.socket.end(submit);
    await eventOf(recorder, 'connection.closed');
    expect(upstream.capture.bytes()).toEqual(Buffer.concat([SUBSCRIBE, submit]));
    expect(recorder.closed()[0]).toMatchObject({ side: 'pool', reason: 'end' });
  });

  it('serves a plain miner and a TLS miner on the same server at the same time', async () => {
    const pool = await startPool(cleanup);
    const { port, tlsPort, recorder } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener() });
    const [plain, secure] = await Promise.all([connectFrom(cleanup, port), connectTls(cleanup, tlsPort, { ca: certs.ca })]);
    plain.socket.write('{"id":1,"method":"mining.subscribe","params":["plain"]}\n');
    secure.socket.write('{"id":1,"method":"mining.subscribe","params":["tls"]}\n');
    await waitUntil(() => pool.captures.length === 2 && pool.captures.every((c) => c.length > 0), 'two pool connections with bytes', 5_000);

    // Answer each pool socket with what it was sent, so each miner must get its own line back.
    for (const [i, capture] of pool.captures.entries()) (pool.sockets[i] as (typeof pool.sockets)[number]).write(capture.bytes());
    await waitUntil(() => plain.capture.length > 0 && secure.capture.length > 0, 'both answers', 5_000);
    expect(plain.capture.text()).toBe('{"id":1,"method":"mining.subscribe","params":["plain"]}\n');
    expect(secure.capture.text()).toBe('{"id":1,"method":"mining.subscribe","params":["tls"]}\n');
    expect(recorder.ofType('connection.opened')).toHaveLength(2);
  });

  it('refuses a client speaking plain Stratum to the TLS port as tls_handshake, and never dials the pool', async () => {
    const pool = await startPool(cleanup);
    const { tlsPort, recorder } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener() });
    const client = await connectFrom(cleanup, tlsPort);
    client.socket.write(SUBSCRIBE);

    const failed = await eventOf(recorder, 'tls.handshake_failed');
    expect(failed).toMatchObject({ remoteAddress: '127.0.0.1', reason: 'protocol' });
    const rejected = await eventOf(recorder, 'connection.rejected');
    expect(rejected).toMatchObject({ reason: 'tls_handshake', remoteAddress: '127.0.0.1', remotePort: client.socket.localPort });
    await waitUntil(() => client.capture.gone, 'the refused client to be closed', 5_000);
    await sleep(100);
    expect(pool.sockets).toHaveLength(0);
    expect(recorder.ofType('connection.opened')).toHaveLength(0);
  });

  it('refuses a client that rejects the server certificate as tls_handshake at once, and never dials the pool', async () => {
    const pool = await startPool(cleanup);
    // maxConnections 1: the refused client must give its slot back for the next miner to get in.
    const { port, tlsPort, recorder } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener(), maxConnections: 1 });
    const started = Date.now();
    const code = await failedTls(cleanup, tlsPort, { ca: certs.unrelated.cert });
    expect(code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');

    // Node's client hangs up (TLS 1.3: before its Finished) without an alert, so the server sees
    // the handshake cut short. Noticed at once, not at the 15 s handshake deadline.
    const failed = await eventOf(recorder, 'tls.handshake_failed', () => true, 2_000);
    expect(['reset', 'certificate', 'protocol']).toContain(failed.reason);
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'tls_handshake', remoteAddress: '127.0.0.1' });
    expect(Date.now() - started).toBeLessThan(2_000);
    await sleep(100);
    expect(pool.sockets).toHaveLength(0);
    expect(recorder.ofType('connection.opened')).toHaveLength(0);

    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the next miner relayed', 5_000);
    expect(rejections(recorder)).toEqual(['tls_handshake']);
  });

  it('refuses a TLS client that never starts its handshake as tls_handshake (timeout) at the first-byte deadline', async () => {
    const pool = await startPool(cleanup);
    const { tlsPort, recorder } = await startEdgeProxy(cleanup, pool.port, {
      tls: tlsListener(),
      admission: admission({ firstByteTimeoutMs: 200 }),
    });
    const started = Date.now();
    const client = await connectFrom(cleanup, tlsPort);
    expect(await eventOf(recorder, 'tls.handshake_failed')).toMatchObject({ reason: 'timeout' });
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'tls_handshake' });
    await waitUntil(() => client.capture.gone, 'the silent client to be closed', 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(pool.sockets).toHaveLength(0);
  });

  it('presents a rotated certificate to new clients while an established TLS connection keeps relaying', async () => {
    const pool = await startPool(cleanup);
    const { proxy, tlsPort } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener() });
    const before = await connectTls(cleanup, tlsPort, { ca: certs.ca });
    expect(before.socket.getPeerCertificate().fingerprint256).toBe(certs.server.fingerprint256);
    before.socket.write(SUBSCRIBE);
    const first = await pool.socket(0);
    await waitUntil(() => first.capture.length === SUBSCRIBE.length, 'the first line at the pool', 5_000);

    proxy.setTlsContext(contextOf(certs.rotated));
    const after = await connectTls(cleanup, tlsPort, { ca: certs.ca });
    expect(after.socket.getPeerCertificate().fingerprint256).toBe(certs.rotated.fingerprint256);

    // The connection made before the rotation still relays both ways, on its old certificate.
    const authorize = Buffer.from('{"id":2,"method":"mining.authorize","params":["w","x"]}\n');
    before.socket.write(authorize);
    await waitUntil(() => first.capture.length === SUBSCRIBE.length + authorize.length, 'the second line at the pool', 5_000);
    expect(first.capture.bytes()).toEqual(Buffer.concat([SUBSCRIBE, authorize]));
    first.socket.write('{"id":2,"result":true,"error":null}\n');
    await waitUntil(() => before.capture.length > 0, 'the answer at the old miner', 5_000);
    expect(before.capture.text()).toBe('{"id":2,"result":true,"error":null}\n');
    expect(before.socket.getPeerCertificate().fingerprint256).toBe(certs.server.fingerprint256);
    expect(before.capture.gone).toBe(false);
  });

  it('counts a TLS client still in its handshake once against maxConnections, not twice', async () => {
    const pool = await startPool(cleanup);
    const { port, tlsPort, proxy, recorder } = await startEdgeProxy(cleanup, pool.port, { tls: tlsListener(), maxConnections: 2 });
    // Connected to the TLS port, handshake not started: one descriptor, one slot.
    await connectFrom(cleanup, tlsPort);
    await sleep(50);
    expect(proxy.connectionCount).toBe(0);
    const plain = await connectFrom(cleanup, port);
    plain.socket.write(SUBSCRIBE);
    await eventOf(recorder, 'connection.opened');
    expect(rejections(recorder)).toEqual([]);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the plain miner relayed', 5_000);
  });
});
