import type { PoolSpec } from '@stratum-relay/shared-types';
import { testSeed } from '@stratum-relay/prng';
import { Cleanup } from './helpers/cleanup';
import { connectFrom } from './helpers/edge-client';
import { startEdgeProxy } from './helpers/edge-proxy';
import { edgeTraffic, expectSameBytes } from './helpers/edge-traffic';
import { eventOf } from './helpers/event-wait';
import { writeAll } from './helpers/miner-client';
import { startPool } from './helpers/pool-server';
import { makeTestCerts, type TestCerts } from './helpers/test-certs';
import { startTlsPool } from './helpers/tls-pool';
import { sleep, waitUntil } from './helpers/wait';

/**
 * Pools reached over TLS (`stratum+ssl`): verification against an operator CA, SNI, the `tls`
 * failure reason, failover to the next pool inside the same miner connection, and `insecure`.
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
const ANSWER = Buffer.from('{"id":1,"result":[[["mining.notify","ae6812eb4cd7735a"]],"08000002",4],"error":null}\n');

function tlsPoolSpec(port: number, host = 'localhost', name = 'tls-pool'): PoolSpec {
  return { name, scheme: 'tls', host, port, account: null, password: null };
}

function tcpPoolSpec(port: number, name = 'plain-pool'): PoolSpec {
  return { name, scheme: 'tcp', host: '127.0.0.1', port, account: null, password: null };
}

describe('TLS to the pool', () => {
  it('relays byte for byte to a pool verified against poolTls.ca, sending SNI localhost', async () => {
    const pool = await startTlsPool(cleanup, certs.server);
    const { port, recorder } = await startEdgeProxy(cleanup, 1, {
      pools: [tlsPoolSpec(pool.port)],
      poolTls: { ca: certs.ca, insecure: false },
    });
    const miner = await connectFrom(cleanup, port);
    const up = edgeTraffic(SEED);
    const down = edgeTraffic(SEED + 3);
    const writingUp = writeAll(miner.socket, up);
    const upstream = await pool.socket(0);
    try {
      await Promise.all([writingUp, writeAll(upstream.socket, down)]);
      await waitUntil(() => upstream.capture.length >= up.length && miner.capture.length >= down.length, 'both directions delivered', 15_000);
      expectSameBytes(upstream.capture.bytes(), up, 'miner→TLS pool');
      expectSameBytes(miner.capture.bytes(), down, 'TLS pool→miner');
    } catch (err) {
      (err as Error).message = `[seed ${SEED}; replay with SRL_EDGES_SEED=${SEED}] ${(err as Error).message}`;
      throw err;
    }
    expect(pool.servernames).toEqual(['localhost']);
    expect(await eventOf(recorder, 'upstream.connected')).toMatchObject({ poolName: 'tls-pool', poolHost: 'localhost', attempt: 0 });
    expect(recorder.ofType('upstream.connect_failed')).toEqual([]);
  });

  it('verifies a pool given by IP literal against the IP in its certificate, without SNI', async () => {
    const pool = await startTlsPool(cleanup, certs.server);
    const { port } = await startEdgeProxy(cleanup, 1, {
      pools: [tlsPoolSpec(pool.port, '127.0.0.1')],
      poolTls: { ca: certs.ca, insecure: false },
    });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the subscribe at the pool', 5_000);
    expect(pool.servernames).toEqual([false]); // RFC 6066: no IP literals in SNI
    upstream.socket.write(ANSWER);
    await waitUntil(() => miner.capture.length === ANSWER.length, 'the answer at the miner', 5_000);
    expect(miner.capture.bytes()).toEqual(ANSWER);
  });

  it('fails with reason tls when only the system roots are trusted, and closes the miner when no pool is left', async () => {
    const pool = await startTlsPool(cleanup, certs.server);
    const { port, recorder } = await startEdgeProxy(cleanup, 1, { pools: [tlsPoolSpec(pool.port)] });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    const failed = await eventOf(recorder, 'upstream.connect_failed');
    expect(failed).toMatchObject({ poolName: 'tls-pool', reason: 'tls', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', failover: false });
    expect(await eventOf(recorder, 'connection.closed')).toMatchObject({ reason: 'upstream_failed', side: 'proxy' });
    await waitUntil(() => miner.capture.gone, 'the miner to be closed', 5_000);
    expect(miner.capture.length).toBe(0);
    // The proxy hung up after the handshake: the pool never got a byte of the miner's.
    expect(pool.captures.every((c) => c.length === 0)).toBe(true);
  });

  it('fails over from an unverifiable TLS pool to a plain pool inside the same miner connection', async () => {
    const tlsPool = await startTlsPool(cleanup, certs.server);
    const plainPool = await startPool(cleanup);
    const { port, recorder } = await startEdgeProxy(cleanup, 1, {
      pools: [tlsPoolSpec(tlsPool.port), tcpPoolSpec(plainPool.port)],
    });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);

    const upstream = await plainPool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the subscribe at the second pool', 5_000);
    expect(upstream.capture.bytes()).toEqual(SUBSCRIBE);
    upstream.socket.write(ANSWER);
    await waitUntil(() => miner.capture.length === ANSWER.length, 'the answer at the miner', 5_000);
    expect(miner.capture.bytes()).toEqual(ANSWER);

    const opened = recorder.ofType('connection.opened');
    expect(opened).toHaveLength(1);
    const id = (opened[0] as (typeof opened)[number]).connectionId;
    expect(recorder.ofType('upstream.connect_failed')).toEqual([
      expect.objectContaining({ connectionId: id, poolName: 'tls-pool', reason: 'tls', failover: true }),
    ]);
    expect(await eventOf(recorder, 'upstream.connected')).toMatchObject({ connectionId: id, poolName: 'plain-pool', attempt: 1 });
    expect(miner.capture.gone).toBe(false);
  });

  it('fails with reason tls when the certificate names another host, even with the CA trusted', async () => {
    // The pool listens on 127.0.0.2; the certificate is for localhost and 127.0.0.1 only.
    const pool = await startTlsPool(cleanup, certs.server, undefined, '127.0.0.2');
    const { port, recorder } = await startEdgeProxy(cleanup, 1, {
      pools: [tlsPoolSpec(pool.port, '127.0.0.2')],
      poolTls: { ca: certs.ca, insecure: false },
    });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    expect(await eventOf(recorder, 'upstream.connect_failed')).toMatchObject({ reason: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await waitUntil(() => miner.capture.gone, 'the miner to be closed', 5_000);
  });

  it('connects to a pool with an unrelated self-signed certificate when insecure is true', async () => {
    const pool = await startTlsPool(cleanup, certs.unrelated);
    const { port, recorder } = await startEdgeProxy(cleanup, 1, {
      pools: [tlsPoolSpec(pool.port)],
      poolTls: { ca: null, insecure: true },
    });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the subscribe at the pool', 5_000);
    expect(upstream.capture.bytes()).toEqual(SUBSCRIBE);
    upstream.socket.write(ANSWER);
    await waitUntil(() => miner.capture.length === ANSWER.length, 'the answer at the miner', 5_000);
    expect(miner.capture.bytes()).toEqual(ANSWER);
    expect(recorder.ofType('upstream.connect_failed')).toEqual([]);
  });

  it('refuses a self-signed pool certificate that poolTls.ca did not sign', async () => {
    const pool = await startTlsPool(cleanup, certs.unrelated);
    const { port, recorder } = await startEdgeProxy(cleanup, 1, {
      pools: [tlsPoolSpec(pool.port)],
      poolTls: { ca: certs.ca, insecure: false },
    });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    expect(await eventOf(recorder, 'upstream.connect_failed')).toMatchObject({ reason: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await sleep(20);
    expect(pool.captures.every((c) => c.length === 0)).toBe(true);
  });

  it('relays miner data after a TLS pool half-closes, as it does for a plain pool', async () => {
    const pool = await startTlsPool(cleanup, certs.server);
    const { port, recorder } = await startEdgeProxy(cleanup, 1, {
      pools: [tlsPoolSpec(pool.port)],
      poolTls: { ca: certs.ca, insecure: false },
    });
    const miner = await connectFrom(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    const upstream = await pool.socket(0);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the subscribe at the pool', 5_000);
    upstream.socket.end(ANSWER);
    await waitUntil(() => miner.capture.ended, 'the FIN at the miner', 5_000);
    expect(miner.capture.bytes()).toEqual(ANSWER);

    const submit = Buffer.from('{"id":4,"method":"mining.submit","params":["w","j","0","0","0"]}\r\n');
    miner.socket.write(submit);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length + submit.length || upstream.capture.gone, 'the submit at the pool', 5_000);
    miner.socket.end();
    await eventOf(recorder, 'connection.closed');
    expect(upstream.capture.bytes()).toEqual(Buffer.concat([SUBSCRIBE, submit]));
    expect(recorder.closed()[0]).toMatchObject({ side: 'pool', reason: 'end' });
  });
});
