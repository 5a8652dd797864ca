import * as net from 'node:net';
import type { PoolSpec } from '@stratum-relay/shared-types';
import { ProxyCoreError } from '../src/errors';
import type { ConnectionExport } from '../src/handover/connection-export';
import { Cleanup } from './helpers/cleanup';
import { admission } from './helpers/edge-proxy';
import { handOverAll } from './helpers/handover-traffic';
import { connectMiner } from './helpers/miner-client';
import { startPool } from './helpers/pool-server';
import { startProxy } from './helpers/proxy';
import { sleep, waitUntil } from './helpers/wait';

/** The adopting side of a handover: ids, events, limits and deadlines of a connection that moved in. */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SUBMIT = Buffer.from('{"id":4,"method":"mining.submit","params":["w","j","00000000","5f5e1000","00000000"]}\n');
const ACCEPTED = Buffer.from('{"id":4,"result":true,"error":null}\n');
const REAL_PARSER = { observerFactory: undefined };

async function relayedMiner(port: number, pool: Awaited<ReturnType<typeof startPool>>, index: number) {
  const miner = await connectMiner(cleanup, port);
  const upstream = await pool.socket(index);
  miner.socket.write(SUBMIT);
  await waitUntil(() => upstream.capture.length >= SUBMIT.length, 'the submit at the pool', 5_000);
  upstream.socket.write(ACCEPTED);
  await waitUntil(() => miner.capture.length >= ACCEPTED.length, 'the answer at the miner', 5_000);
  return { miner, upstream };
}

describe('adopting a connection', () => {
  it('keeps its id, announces it with connection.adopted, and reports the whole connection when it closes', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port);
    const { miner, upstream } = await relayedMiner(a.port, pool, 0);
    const [before] = a.proxy.connections();
    await sleep(20);

    const moved = await handOverAll(a.proxy, b.proxy);
    const state = moved.handedOver[0]?.state as ConnectionExport;
    expect(state).toMatchObject({ connectionId: before?.connectionId, remotePort: miner.socket.localPort, bytesMinerToPool: SUBMIT.length, bytesPoolToMiner: ACCEPTED.length });
    expect(state.pool).toMatchObject({ scheme: 'tcp', host: '127.0.0.1', port: pool.port });
    expect(b.proxy.connections()).toEqual([expect.objectContaining({ connectionId: before?.connectionId, connectedAt: before?.connectedAt, upstreamConnected: true })]);
    expect(a.recorder.ofType('connection.closed')).toEqual([]);
    expect(b.recorder.ofType('connection.opened')).toEqual([]);
    expect(b.recorder.ofType('connection.adopted')).toEqual([
      expect.objectContaining({
        connectionId: before?.connectionId,
        remoteAddress: '127.0.0.1',
        remotePort: miner.socket.localPort,
        wallTime: before?.connectedAt,
        poolName: `127.0.0.1:${pool.port}`,
        bytesMinerToPool: SUBMIT.length,
        bytesPoolToMiner: ACCEPTED.length,
      }),
    ]);
    expect(b.proxy.upstreams.pools[0]?.miners).toBe(1);
    expect(a.proxy.upstreams.pools[0]?.miners).toBe(0);

    miner.socket.end();
    await waitUntil(() => upstream.capture.ended, 'the FIN at the pool', 5_000);
    upstream.socket.end();
    await waitUntil(() => b.recorder.closed().length === 1, 'connection.closed on B', 5_000);
    const closed = b.recorder.closed()[0];
    expect(closed).toMatchObject({ connectionId: before?.connectionId, reason: 'end', bytesMinerToPool: SUBMIT.length, bytesPoolToMiner: ACCEPTED.length });
    // Counted from the accept on A, not from the adoption.
    expect(closed?.durationMs).toBeGreaterThanOrEqual(Date.now() - (before?.connectedAt ?? 0) - 50);
    expect(a.recorder.closed()).toEqual([]);
  });

  it('makes new ids above an adopted one, and above connectionIdBase', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port, { connectionIdBase: 1_000_000 });
    await relayedMiner(a.port, pool, 0);
    const adoptedId = a.proxy.connections()[0]?.connectionId as number;
    expect(adoptedId).toBeGreaterThan(1_000_000);
    const b = await startProxy(cleanup, pool.port);
    await handOverAll(a.proxy, b.proxy);
    await relayedMiner(b.port, pool, 1);
    const ids = b.proxy.connections().map((c) => c.connectionId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBeGreaterThan(adoptedId);
  });

  it('refuses a state it cannot use, and an id open here already, with coded errors and the sockets untouched', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port);
    const { miner, upstream } = await relayedMiner(a.port, pool, 0);
    const moved = await handOverAll(a.proxy, a.proxy); // onto itself: back on A
    expect(moved.handedOver).toHaveLength(1);
    const result = await a.proxy.exportConnections();
    const handover = result.handedOver[0];
    if (handover === undefined) throw new Error('nothing handed over');

    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return err instanceof ProxyCoreError ? err.code : `not a ProxyCoreError: ${String(err)}`;
      }
      return undefined;
    };
    const broken: unknown[] = [
      null,
      { ...handover.state, version: 2 },
      { ...handover.state, connectionId: -1 },
      { ...handover.state, pool: { ...handover.state.pool, scheme: 'tls' } },
      { ...handover.state, observers: { minerToPool: { held: 1 }, poolToMiner: null } },
    ];
    for (const state of broken) expect(codeOf(() => b.proxy.adoptConnection(state as ConnectionExport, handover.miner, handover.pool))).toBe('SRL_ERR_HANDOVER_STATE');
    expect(b.proxy.connectionCount).toBe(0);
    expect(handover.miner.destroyed || handover.pool.destroyed).toBe(false);

    b.proxy.adoptConnection(handover.state, handover.miner, handover.pool);
    expect(codeOf(() => b.proxy.adoptConnection(handover.state, new net.Socket(), new net.Socket()))).toBe('SRL_ERR_HANDOVER_ID');
    expect(b.proxy.connectionCount).toBe(1);
    // The adopted connection relays on after the refusals.
    miner.socket.write(SUBMIT);
    await waitUntil(() => upstream.capture.length === 2 * SUBMIT.length, 'the second submit at the pool', 5_000);
  });

  it('exports one connection by id, reports an id not open here as closed, and survives a throwing onHandedOver', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port);
    const first = await relayedMiner(a.port, pool, 0);
    const second = await relayedMiner(a.port, pool, 1);
    const [one, two] = a.proxy.connections().map((c) => c.connectionId);
    expect(await a.proxy.exportConnection(123_456_789)).toEqual({ connectionId: 123_456_789, reason: 'closed' });

    const single = await a.proxy.exportConnection(one as number);
    if (!('state' in single)) throw new Error(`connection ${one} kept: ${single.reason}`);
    b.proxy.adoptConnection(single.state, single.miner, single.pool);
    expect(a.proxy.connections().map((c) => c.connectionId)).toEqual([two]);

    const boom = new Error('the callback failed');
    const rest = await a.proxy.exportConnections({
      onHandedOver: () => {
        throw boom;
      },
    });
    expect(rest.callbackErrors).toEqual([boom]);
    expect(rest.handedOver.map((h) => h.state.connectionId)).toEqual([two]);
    for (const h of rest.handedOver) b.proxy.adoptConnection(h.state, h.miner, h.pool);
    for (const { miner, upstream } of [first, second]) {
      const at = upstream.capture.length;
      miner.socket.write(SUBMIT);
      await waitUntil(() => upstream.capture.length === at + SUBMIT.length, 'a submit through B', 5_000);
    }
  });

  it('counts an adopted miner against the per-IP limit of the new server', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port, { admission: admission({ maxConnectionsPerIp: 1 }) });
    await relayedMiner(a.port, pool, 0);
    await handOverAll(a.proxy, b.proxy);
    const second = await connectMiner(cleanup, b.port);
    await waitUntil(() => second.capture.gone, 'the second miner from the same address to be refused', 5_000);
    expect(b.recorder.ofType('connection.rejected')).toEqual([expect.objectContaining({ reason: 'per_ip' })]);
  });

  it('carries the authorize deadline: a miner that never authorized is closed by the new server, one that did is not', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port, { ...REAL_PARSER, authorizeTimeoutMs: 60_000 });
    const b = await startProxy(cleanup, pool.port, { ...REAL_PARSER, authorizeTimeoutMs: 200 });
    const silent = await relayedMiner(a.port, pool, 0);
    const authorized = await connectMiner(cleanup, a.port);
    const authorizedUpstream = await pool.socket(1);
    authorized.socket.write('{"id":2,"method":"mining.authorize","params":["rig.1","x"]}\n');
    await waitUntil(() => authorizedUpstream.capture.length > 0, 'the authorize at the pool', 5_000);

    const moved = await handOverAll(a.proxy, b.proxy);
    expect(moved.handedOver.map((h) => [h.state.remotePort, h.state.awaitingAuthorize])).toEqual(
      expect.arrayContaining([
        [silent.miner.socket.localPort, true],
        [authorized.socket.localPort, false],
      ]),
    );
    await waitUntil(() => silent.miner.capture.gone, 'the silent miner to be closed by B', 5_000);
    await sleep(300);
    expect(authorized.capture.gone).toBe(false);
    expect(b.recorder.ofType('connection.rejected')).toEqual([expect.objectContaining({ reason: 'authorize_timeout', remotePort: silent.miner.socket.localPort })]);
  });

  it('moves the account rewrite mid-line: an authorize cut by the handover reaches the pool rewritten, once', async () => {
    const pool = await startPool(cleanup);
    const spec: PoolSpec = { name: 'acct-pool', scheme: 'tcp', host: '127.0.0.1', port: pool.port, account: 'acctB', password: null };
    const a = await startProxy(cleanup, 1, { pools: [spec] });
    const b = await startProxy(cleanup, 1, { pools: [spec] });
    const miner = await connectMiner(cleanup, a.port);
    const upstream = await pool.socket(0);
    const line = '{"id":2,"method":"mining.authorize","params":["minerA.rig1","x"]}\n';
    const cut = 30;
    miner.socket.write(line.slice(0, cut));
    await waitUntil(() => a.proxy.connections()[0]?.bytesMinerToPool === cut, 'the first half relayed (and held by the rewrite)', 5_000);
    expect(upstream.capture.length).toBe(0);

    const moved = await handOverAll(a.proxy, b.proxy);
    expect(moved.handedOver[0]?.state.accountRewrite).toEqual({ held: Buffer.from(line.slice(0, cut)).toString('base64'), skipping: false });
    miner.socket.write(line.slice(cut));
    await waitUntil(() => upstream.capture.text().endsWith('\n'), 'the whole line at the pool', 5_000);
    expect(upstream.capture.text()).toBe('{"id":2,"method":"mining.authorize","params":["acctB.rig1","x"]}\n');
    expect(b.proxy.upstreams.pools[0]?.rewrites).toEqual({ rewritten: 1, unsafe: 0 });
  });

  it('passes a line cut by the handover unchanged, never dropped, when it is over the new server\'s cap', async () => {
    const pool = await startPool(cleanup);
    const spec: PoolSpec = { name: 'acct-pool', scheme: 'tcp', host: '127.0.0.1', port: pool.port, account: 'acctB', password: null };
    const a = await startProxy(cleanup, 1, { ...REAL_PARSER, pools: [spec] });
    const b = await startProxy(cleanup, 1, { ...REAL_PARSER, pools: [spec], maxLineBytes: 16 });
    const miner = await connectMiner(cleanup, a.port);
    const upstream = await pool.socket(0);
    const line = '{"id":2,"method":"mining.authorize","params":["minerA.rig1","x"]}\n';
    const cut = 30;
    miner.socket.write(line.slice(0, cut));
    await waitUntil(() => a.proxy.connections()[0]?.bytesMinerToPool === cut, 'the first half relayed (and held by the rewrite)', 5_000);
    await handOverAll(a.proxy, b.proxy);
    miner.socket.write(line.slice(cut));
    await waitUntil(() => upstream.capture.text().endsWith('\n'), 'the whole line at the pool', 5_000);
    expect(upstream.capture.text()).toBe(line);
    expect(b.proxy.upstreams.pools[0]?.rewrites).toEqual({ rewritten: 0, unsafe: 1 });
    expect(b.recorder.ofType('line.oversized')).toEqual([expect.objectContaining({ direction: 'miner_to_pool', bytes: line.length - 1, limit: 16 })]);
    expect(b.proxy.events.observerErrors).toBe(0);
  });
});
