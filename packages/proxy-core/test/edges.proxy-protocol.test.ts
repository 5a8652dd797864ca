import * as net from 'node:net';
import { testSeed } from '@stratum-relay/prng';
import { Cleanup } from './helpers/cleanup';
import { connectFrom, connectTls, dribble } from './helpers/edge-client';
import { admission, startEdgeProxy } from './helpers/edge-proxy';
import { edgeTraffic, expectSameBytes } from './helpers/edge-traffic';
import { eventOf, rejections } from './helpers/event-wait';
import { startHeaderBalancer } from './helpers/header-balancer';
import { writeAll } from './helpers/miner-client';
import { startPool } from './helpers/pool-server';
import { encodeProxyV2 } from './helpers/proxy-header';
import { contextOf, makeTestCerts, type TestCerts } from './helpers/test-certs';
import { sleep, waitUntil } from './helpers/wait';

/**
 * PROXY protocol on real sockets: the header is consumed and never reaches the pool, its source
 * becomes the miner's address, and anything that is not a header is refused before a pool is
 * dialled. Replay the random traffic with SRL_EDGES_SEED=<seed printed on failure>.
 */
const SEED = testSeed('SRL_EDGES_SEED');

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.remove());

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const STRATUM = Buffer.concat([
  Buffer.from('{"id":1,"method":"mining.subscribe","params":["bmminer/2.0.0"]}\r\n'),
  Buffer.from('{"id":2,"method":"mining.authorize","params":["acct.w1","x"]}\n'),
  Buffer.from([0xff, 0xc3, 0x0a, 0x80, 0x0d, 0x0a]),
]);
const AF_INET6 = 2;
const TLVS = [
  { type: 0x01, value: Buffer.from('stratum') }, // PP2_TYPE_ALPN
  { type: 0x05, value: Buffer.alloc(128, 0xab) }, // PP2_TYPE_UNIQUE_ID
];
/** The biggest v2 header there is: 16 fixed bytes + 65535, mostly one NOOP TLV. */
const V2_MAX = encodeProxyV2({ sourceAddress: '203.0.113.10', sourcePort: 40010, tlvs: [{ type: 0x04, value: Buffer.alloc(0xffff - 12 - 3, 0x5a) }] });

const HEADERS: Array<[string, Buffer, string, number]> = [
  ['v1 TCP4', Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n'), '203.0.113.7', 51234],
  ['v1 TCP6', Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 51235 3333\r\n'), '2001:db8::7', 51235],
  ['v2 TCP/IPv4 with TLVs', encodeProxyV2({ sourceAddress: '203.0.113.8', sourcePort: 40000, tlvs: TLVS }), '203.0.113.8', 40000],
  ['v2 TCP/IPv6', encodeProxyV2({ family: AF_INET6, sourceAddress: '2001:db8::8', sourcePort: 40001 }), '2001:db8::8', 40001],
  // An IPv4 miner behind a dual-stack balancer: the same per-IP key as a direct IPv4 peer.
  ['v2 TCP/IPv6 carrying a mapped IPv4 source', encodeProxyV2({ family: AF_INET6, sourceAddress: '::ffff:cb00:7109', sourcePort: 40002 }), '203.0.113.9', 40002],
  ['v2 at its 64 KiB maximum length', V2_MAX, '203.0.113.10', 40010],
];

type Delivery = 'in one write with the Stratum bytes' | 'then Stratum in a later write' | 'split over many small writes';
const DELIVERIES: Delivery[] = ['in one write with the Stratum bytes', 'then Stratum in a later write', 'split over many small writes'];

async function send(socket: net.Socket, header: Buffer, delivery: Delivery): Promise<void> {
  if (delivery === 'in one write with the Stratum bytes') {
    socket.write(Buffer.concat([header, STRATUM]));
    return;
  }
  if (delivery === 'then Stratum in a later write') socket.write(header);
  // Byte by byte for the short headers; the 64 KiB one in 1 KiB slices (still 64 segments).
  else await dribble(socket, header, header.length > 1024 ? 1024 : 1, 1);
  await sleep(20);
  socket.write(STRATUM);
}

function proxyProtocol(firstByteTimeoutMs = 2_000): ReturnType<typeof admission> {
  return admission({ proxyProtocol: true, firstByteTimeoutMs });
}

describe('PROXY protocol in front of the relay', () => {
  describe.each(DELIVERIES)('with the header sent %s', (delivery) => {
    it.each(HEADERS)('consumes a %s header, relays exactly the Stratum bytes and reports the header source', async (_name, header, address, port) => {
      const pool = await startPool(cleanup);
      const { port: proxyPort, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: proxyProtocol() });
      const miner = await connectFrom(cleanup, proxyPort);
      await send(miner.socket, header, delivery);

      const upstream = await pool.socket(0);
      await waitUntil(() => upstream.capture.length >= STRATUM.length, 'the Stratum bytes at the pool', 5_000);
      await sleep(20);
      expectSameBytes(upstream.capture.bytes(), STRATUM, 'what the pool received');
      const opened = await eventOf(recorder, 'connection.opened');
      expect({ address: opened.remoteAddress, port: opened.remotePort }).toEqual({ address, port });
      // And the way back is untouched too.
      upstream.socket.write('{"id":1,"result":[[],"00",4],"error":null}\n');
      await waitUntil(() => miner.capture.length > 0, 'the answer at the miner', 5_000);
      expect(miner.capture.text()).toBe('{"id":1,"result":[[],"00",4],"error":null}\n');
      expect(rejections(recorder)).toEqual([]);
    });
  });

  it.each([
    ['a v2 LOCAL header (the balancer health-checking)', encodeProxyV2({ command: 0, family: 0, transport: 0 })],
    ['a v1 UNKNOWN header', Buffer.from('PROXY UNKNOWN\r\n')],
  ])('keeps the socket address for %s', async (_name, header) => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: proxyProtocol() });
    const miner = await connectFrom(cleanup, port, { localAddress: '127.0.0.3' });
    miner.socket.write(Buffer.concat([header, STRATUM]));
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length >= STRATUM.length, 'the Stratum bytes at the pool', 5_000);
    expectSameBytes(upstream.capture.bytes(), STRATUM, 'what the pool received');
    const opened = await eventOf(recorder, 'connection.opened');
    expect({ address: opened.remoteAddress, port: opened.remotePort }).toEqual({ address: '127.0.0.3', port: miner.socket.localPort });
  });

  it.each([
    ['garbage', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x0a])],
    ['plain Stratum without a header', STRATUM],
    ['a TLS ClientHello without a header', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03])],
    ['a v1 header with an impossible address', Buffer.from('PROXY TCP4 203.0.113.300 198.51.100.1 1 2\r\n')],
    ['a v1 header with a lone LF', Buffer.from('PROXY TCP4 203.0.113.3 198.51.100.1 1 2\n')],
    ['a v2 header of version 3', encodeProxyV2({ version: 3 })],
    ['a v2 PROXY header too short for its addresses', encodeProxyV2({ length: 4, addressBlock: Buffer.alloc(4) })],
  ])('refuses %s at once as proxy_protocol, before any pool socket', async (_name, bytes) => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: proxyProtocol(5_000) });
    const client = await connectFrom(cleanup, port);
    const started = Date.now();
    client.socket.write(bytes);
    const rejected = await eventOf(recorder, 'connection.rejected');
    // Decided from the bytes, not by waiting for the 5 s first-byte deadline.
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(rejected).toMatchObject({ reason: 'proxy_protocol', remoteAddress: '127.0.0.1', remotePort: client.socket.localPort });
    await waitUntil(() => client.capture.gone, 'the refused client to be closed', 5_000);
    await sleep(50);
    expect(pool.sockets).toHaveLength(0);
    expect(recorder.ofType('connection.opened')).toHaveLength(0);
    expect(client.capture.length).toBe(0);
  });

  it('refuses a connection that sends nothing within firstByteTimeoutMs as proxy_protocol, before any pool socket', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: proxyProtocol(200) });
    const started = Date.now();
    const client = await connectFrom(cleanup, port);
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'proxy_protocol' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await waitUntil(() => client.capture.gone, 'the silent client to be closed', 5_000);
    expect(pool.sockets).toHaveLength(0);
  });

  it('refuses a header still incomplete at firstByteTimeoutMs, however politely it trickles in', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: proxyProtocol(300) });
    const client = await connectFrom(cleanup, port);
    const header = Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n');
    void dribble(client.socket, header, 1, 20).catch(() => undefined); // ~1 s for the whole header
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'proxy_protocol' });
    await sleep(50);
    expect(pool.sockets).toHaveLength(0);
  });

  it('frees the slot of a peer that hangs up mid-header at once, even with no first-byte deadline', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: proxyProtocol(0), maxConnections: 1 });
    const quitter = await connectFrom(cleanup, port);
    quitter.socket.end('PROXY TCP4 203.0.11');
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'proxy_protocol' });

    const miner = await connectFrom(cleanup, port);
    miner.socket.write(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n'), STRATUM]));
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length >= STRATUM.length, 'the second client relayed', 5_000);
    expect(rejections(recorder)).toEqual(['proxy_protocol']);
  });

  it('forgets a peer that resets mid-header without a refusal, and frees its slot', async () => {
    const pool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: proxyProtocol(300), maxConnections: 1 });
    const quitter = await connectFrom(cleanup, port);
    quitter.socket.write('PROXY TCP4 203.0.11');
    await sleep(30);
    quitter.socket.resetAndDestroy();
    await sleep(50);

    const miner = await connectFrom(cleanup, port);
    miner.socket.write(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n'), STRATUM]));
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length >= STRATUM.length, 'the second client relayed', 5_000);
    // Past the 300 ms deadline the reset peer would have had: no late refusal for it either.
    await sleep(400);
    expect(rejections(recorder)).toEqual([]);
  });

  describe('proxyProtocolFrom', () => {
    const header = Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n');

    it('refuses a valid header from a source outside the list as proxy_protocol', async () => {
      const pool = await startPool(cleanup);
      const { port, recorder } = await startEdgeProxy(cleanup, pool.port, {
        admission: admission({ proxyProtocol: true, proxyProtocolFrom: ['127.0.0.2/32'], firstByteTimeoutMs: 2_000 }),
      });
      const client = await connectFrom(cleanup, port, { localAddress: '127.0.0.1' });
      client.socket.write(Buffer.concat([header, STRATUM]));
      expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'proxy_protocol', remoteAddress: '127.0.0.1' });
      await waitUntil(() => client.capture.gone, 'the refused client to be closed', 5_000);
      await sleep(50);
      expect(pool.sockets).toHaveLength(0);
    });

    it('accepts the header from a listed balancer and uses its source address', async () => {
      const pool = await startPool(cleanup);
      const { port, recorder } = await startEdgeProxy(cleanup, pool.port, {
        admission: admission({ proxyProtocol: true, proxyProtocolFrom: ['127.0.0.2/32'], firstByteTimeoutMs: 2_000 }),
      });
      const client = await connectFrom(cleanup, port, { localAddress: '127.0.0.2' });
      client.socket.write(Buffer.concat([header, STRATUM]));
      const upstream = await pool.socket(0);
      await waitUntil(() => upstream.capture.length >= STRATUM.length, 'the Stratum bytes at the pool', 5_000);
      expectSameBytes(upstream.capture.bytes(), STRATUM, 'what the pool received');
      expect(await eventOf(recorder, 'connection.opened')).toMatchObject({ remoteAddress: '203.0.113.7', remotePort: 51234 });
    });
  });

  describe('in front of TLS on the TLS listener', () => {
    function tlsProxy(poolPort: number): ReturnType<typeof startEdgeProxy> {
      return startEdgeProxy(cleanup, poolPort, {
        admission: proxyProtocol(),
        tls: { host: '127.0.0.1', port: 0, context: contextOf(certs.server) },
      });
    }

    it('reads the header, then does the TLS handshake, then relays', async () => {
      const pool = await startPool(cleanup);
      const { tlsPort, recorder } = await tlsProxy(pool.port);
      const tcp = await connectFrom(cleanup, tlsPort);
      tcp.socket.write('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n');
      await sleep(20); // the header alone first: the handshake starts on a later chunk
      const miner = await connectTls(cleanup, tlsPort, { ca: certs.ca, over: tcp.socket });
      miner.socket.write(STRATUM);
      const upstream = await pool.socket(0);
      await waitUntil(() => upstream.capture.length >= STRATUM.length, 'the Stratum bytes at the pool', 5_000);
      expectSameBytes(upstream.capture.bytes(), STRATUM, 'what the pool received');
      expect(await eventOf(recorder, 'connection.opened')).toMatchObject({ remoteAddress: '203.0.113.7', remotePort: 51234 });
    });

    it('relays byte for byte when the header and the ClientHello arrive in one chunk from a balancer', async () => {
      const pool = await startPool(cleanup);
      const { tlsPort, recorder } = await tlsProxy(pool.port);
      const header = encodeProxyV2({ sourceAddress: '198.51.100.77', sourcePort: 41000, tlvs: TLVS });
      const balancer = await startHeaderBalancer(cleanup, tlsPort, () => header, { localAddress: '127.0.0.2', coalesce: true });
      const miner = await connectTls(cleanup, balancer.port, { ca: certs.ca });

      const up = edgeTraffic(SEED);
      const down = edgeTraffic(SEED + 7);
      // Miners speak first: the pool is dialled on the miner's first byte (firstByteTimeoutMs is on).
      const writingUp = writeAll(miner.socket, up);
      const upstream = await pool.socket(0);
      try {
        await Promise.all([writingUp, writeAll(upstream.socket, down)]);
        await waitUntil(() => upstream.capture.length >= up.length && miner.capture.length >= down.length, 'both directions delivered', 15_000);
        expectSameBytes(upstream.capture.bytes(), up, 'miner→pool behind PROXY + TLS');
        expectSameBytes(miner.capture.bytes(), down, 'pool→miner behind PROXY + TLS');
      } catch (err) {
        (err as Error).message = `[seed ${SEED}; replay with SRL_EDGES_SEED=${SEED}] ${(err as Error).message}`;
        throw err;
      }
      expect(await eventOf(recorder, 'connection.opened')).toMatchObject({ remoteAddress: '198.51.100.77', remotePort: 41000 });

      // Half-close still works through the header's leftover-bytes path.
      miner.socket.end();
      await waitUntil(() => upstream.capture.ended, 'the FIN at the pool', 5_000);
      upstream.socket.end('bye\n');
      await waitUntil(() => miner.capture.gone, 'the miner side finished', 5_000);
      expect(miner.capture.bytes().subarray(down.length).toString()).toBe('bye\n');
    });

    it.each([
      ['in the header\'s chunk', true],
      ['after the header', false],
    ])('frees the slot at once when the client hangs up mid-handshake, its first TLS bytes %s', async (_name, together) => {
      const pool = await startPool(cleanup);
      const { tlsPort, port, recorder } = await startEdgeProxy(cleanup, pool.port, {
        // No first-byte deadline: only the 15 s default would bound the handshake.
        admission: proxyProtocol(0),
        tls: { host: '127.0.0.1', port: 0, context: contextOf(certs.server) },
        maxConnections: 1,
      });
      const client = await connectFrom(cleanup, tlsPort);
      const header = Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n');
      const partialHello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01]);
      if (together) client.socket.write(Buffer.concat([header, partialHello]));
      else {
        client.socket.write(header);
        await sleep(20);
        client.socket.write(partialHello);
      }
      await sleep(20);
      client.socket.end();
      expect(await eventOf(recorder, 'connection.rejected', () => true, 2_000)).toMatchObject({ reason: 'tls_handshake', remoteAddress: '203.0.113.7' });
      expect(await eventOf(recorder, 'tls.handshake_failed')).toMatchObject({ reason: 'reset' });

      const miner = await connectFrom(cleanup, port);
      miner.socket.write(Buffer.concat([header, STRATUM]));
      const upstream = await pool.socket(0);
      await waitUntil(() => upstream.capture.length >= STRATUM.length, 'the next client relayed', 5_000);
      expect(rejections(recorder)).toEqual(['tls_handshake']);
    });

    it('refuses a valid header followed by plain Stratum on the TLS listener as tls_handshake', async () => {
      const pool = await startPool(cleanup);
      const { tlsPort, recorder } = await tlsProxy(pool.port);
      const client = await connectFrom(cleanup, tlsPort);
      client.socket.write(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n'), STRATUM]));
      expect(await eventOf(recorder, 'tls.handshake_failed')).toMatchObject({ remoteAddress: '203.0.113.7' });
      expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'tls_handshake', remoteAddress: '203.0.113.7' });
      await waitUntil(() => client.capture.gone, 'the refused client to be closed', 5_000);
      expect(pool.sockets).toHaveLength(0);
    });
  });
});
