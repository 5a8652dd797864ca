import { performance } from 'node:perf_hooks';
import type { ConnectionExport } from '../src/handover/connection-export';
import type { ByteCapture } from './helpers/byte-capture';
import { Cleanup } from './helpers/cleanup';
import { connectMiner } from './helpers/miner-client';
import { startPool } from './helpers/pool-server';
import { startProxy } from './helpers/proxy';
import { waitUntil } from './helpers/wait';

/**
 * 1,000 relayed connections move from one server to another in one process. How long each
 * connection is paused (from the moment the old server stops reading it to the moment the new
 * one reads it again, JSON round trip included) is printed; every connection must relay both
 * ways afterwards.
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const CONNECTIONS = 1_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

describe('handover at scale', () => {
  it('moves 1,000 connections and each relays both ways afterwards; prints the pause per connection', async () => {
    // An echo pool: what a miner sends comes back, through the relay both ways.
    const pool = await startPool(cleanup, (socket) => socket.on('data', (chunk: Buffer) => socket.write(chunk)));
    const a = await startProxy(cleanup, pool.port, { maxConnections: 2 * CONNECTIONS });
    const b = await startProxy(cleanup, pool.port, { maxConnections: 2 * CONNECTIONS });
    const miners: Array<{ socket: import('node:net').Socket; capture: ByteCapture }> = [];
    for (let i = 0; i < CONNECTIONS; i += 100) {
      miners.push(...(await Promise.all(Array.from({ length: Math.min(100, CONNECTIONS - i) }, () => connectMiner(cleanup, a.port)))));
    }
    await waitUntil(() => pool.sockets.length === CONNECTIONS && a.proxy.connectionCount === CONNECTIONS, 'every miner relayed', 30_000);
    const hello = (i: number, round: number): Buffer => Buffer.from(`{"id":${i},"method":"mining.extranonce.subscribe","params":[${round}]}\n`);
    miners.forEach((m, i) => m.socket.write(hello(i, 1)));
    await waitUntil(() => miners.every((m, i) => m.capture.length === hello(i, 1).length), 'every echo before the move', 30_000);

    const pauses: number[] = [];
    const started = performance.now();
    const result = await a.proxy.exportConnections({
      onHandedOver: ({ state, miner, pool: upstream }) => {
        b.proxy.adoptConnection(JSON.parse(JSON.stringify(state)) as ConnectionExport, miner, upstream);
        pauses.push(performance.timeOrigin + performance.now() - state.pausedAt);
      },
    });
    const totalMs = performance.now() - started;
    expect(result.kept).toEqual([]);
    expect(result.handedOver).toHaveLength(CONNECTIONS);
    expect(a.proxy.connectionCount).toBe(0);
    expect(b.proxy.connectionCount).toBe(CONNECTIONS);

    pauses.sort((x, y) => x - y);
    const fmt = (ms: number): string => ms.toFixed(2);
    console.log(
      `handover of ${CONNECTIONS.toLocaleString('en-US')} connections in one process: pause per connection p50 ${fmt(percentile(pauses, 50))} ms, ` +
        `p99 ${fmt(percentile(pauses, 99))} ms, max ${fmt(pauses[pauses.length - 1] as number)} ms; all exported and adopted in ${fmt(totalMs)} ms`,
    );

    miners.forEach((m, i) => m.socket.write(hello(i, 2)));
    await waitUntil(
      () => miners.every((m, i) => m.capture.length === hello(i, 1).length + hello(i, 2).length),
      'every echo after the move',
      30_000,
    );
    miners.forEach((m, i) => expect(m.capture.bytes()).toEqual(Buffer.concat([hello(i, 1), hello(i, 2)])));
  });
});
