import type { AdmissionSettings } from '../src/admission/admission-gate';
import { Cleanup } from './helpers/cleanup';
import { connectFrom, type EdgeClient } from './helpers/edge-client';
import { admission, startEdgeProxy } from './helpers/edge-proxy';
import { eventOf, rejectedCount, rejections } from './helpers/event-wait';
import { startPool, type ScriptedPool } from './helpers/pool-server';
import { sleep, waitUntil } from './helpers/wait';

/** setAdmission (a config reload): new rules for new connections, established ones untouched. */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SUBSCRIBE = Buffer.from('{"id":1,"method":"mining.subscribe","params":[]}\n');

async function admitted(port: number, pool: ScriptedPool, poolIndex: number, from = '127.0.0.1'): Promise<EdgeClient> {
  const miner = await connectFrom(cleanup, port, { localAddress: from });
  miner.socket.write(SUBSCRIBE);
  const upstream = await pool.socket(poolIndex);
  await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, `the subscribe of ${from} at the pool`, 5_000);
  return miner;
}

/** The established connection still relays a line each way. */
async function stillRelays(miner: EdgeClient, pool: ScriptedPool, poolIndex: number): Promise<void> {
  const upstream = await pool.socket(poolIndex);
  const line = Buffer.from('{"id":9,"method":"mining.submit","params":["w","j","00","5f","00"]}\n');
  const before = upstream.capture.length;
  miner.socket.write(line);
  await waitUntil(() => upstream.capture.length === before + line.length, 'the line at the pool', 5_000);
  const answer = '{"id":9,"result":true,"error":null}\n';
  const got = miner.capture.length;
  upstream.socket.write(answer);
  await waitUntil(() => miner.capture.length === got + answer.length, 'the answer at the miner', 5_000);
  expect(miner.capture.gone).toBe(false);
}

describe('setAdmission', () => {
  it.each<[string, AdmissionSettings]>([
    ['no rules at all', admission()],
    ['an allow-list of all loopback', admission({ allowFrom: ['127.0.0.0/8'] })],
  ])('applies a new allow-list to new connections and leaves an established one open (starting from %s)', async (_name, initial) => {
    const pool = await startPool(cleanup);
    const { port, proxy, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: initial });
    const established = await admitted(port, pool, 0, '127.0.0.1');

    proxy.setAdmission(admission({ allowFrom: ['127.0.0.2/32'] }), 0);
    const refusedClient = await connectFrom(cleanup, port, { localAddress: '127.0.0.1' });
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'not_allowed', remotePort: refusedClient.socket.localPort });
    await admitted(port, pool, 1, '127.0.0.2');
    await stillRelays(established, pool, 0);
    expect(pool.sockets).toHaveLength(2);

    // And back: the old address is welcome again.
    proxy.setAdmission(initial, 0);
    await admitted(port, pool, 2, '127.0.0.1');
    expect(rejections(recorder)).toEqual(['not_allowed']);
  });

  it('keeps counting open connections when the per-IP cap is lowered, without closing any', async () => {
    const pool = await startPool(cleanup);
    const { port, proxy, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: admission({ maxConnectionsPerIp: 3 }) });
    const first = await admitted(port, pool, 0);
    const second = await admitted(port, pool, 1);

    proxy.setAdmission(admission({ maxConnectionsPerIp: 1 }), 0);
    await connectFrom(cleanup, port);
    expect(await rejectedCount(recorder, 1)).toEqual(['per_ip']);
    await stillRelays(first, pool, 0);
    await stillRelays(second, pool, 1);

    // Both gone: the address is under the new cap again.
    first.socket.resetAndDestroy();
    second.socket.resetAndDestroy();
    await waitUntil(() => recorder.closed().length === 2, 'both closed', 5_000);
    await admitted(port, pool, 2);
    expect(rejections(recorder)).toEqual(['per_ip']);
  });

  it('requires a PROXY header from new connections once turned on, while an established plain one keeps relaying', async () => {
    const pool = await startPool(cleanup);
    const { port, proxy, recorder } = await startEdgeProxy(cleanup, pool.port, { admission: admission() });
    const established = await admitted(port, pool, 0);

    proxy.setAdmission(admission({ proxyProtocol: true, firstByteTimeoutMs: 2_000 }), 0);
    const plain = await connectFrom(cleanup, port);
    plain.socket.write(SUBSCRIBE);
    expect(await eventOf(recorder, 'connection.rejected')).toMatchObject({ reason: 'proxy_protocol' });
    const proxied = await connectFrom(cleanup, port);
    proxied.socket.write(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51234 3333\r\n'), SUBSCRIBE]));
    const upstream = await pool.socket(1);
    await waitUntil(() => upstream.capture.length === SUBSCRIBE.length, 'the proxied miner relayed', 5_000);
    expect(upstream.capture.bytes()).toEqual(SUBSCRIBE);
    await stillRelays(established, pool, 0);
    await sleep(20);
    expect(pool.sockets).toHaveLength(2);
  });
});
