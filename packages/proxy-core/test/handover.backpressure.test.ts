import { testSeed } from '@stratum-relay/prng';
import { Cleanup } from './helpers/cleanup';
import { expectSameBytes } from './helpers/edge-traffic';
import { handOverAll } from './helpers/handover-traffic';
import { connectMiner, writeAll } from './helpers/miner-client';
import { startPool } from './helpers/pool-server';
import { seededBytes } from './helpers/prng';
import { startProxy } from './helpers/proxy';
import { sleep, waitUntil } from './helpers/wait';

/**
 * Handover of a connection whose miner reads slowly: the old server has bytes it read from the
 * pool and could not relay yet (the pool socket is paused, Node keeps filling its buffer), and
 * bytes it wrote that the kernel has not taken. Replay with SRL_HANDOVER_SEED=<seed>.
 */
const SEED = testSeed('SRL_HANDOVER_SEED');

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('handover under backpressure', () => {
  it('carries the bytes read from the pool but not relayed to a slow miner, and the new server relays them first', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port);
    const miner = await connectMiner(cleanup, a.port);
    const upstream = await pool.socket();
    miner.socket.pause(); // the miner stops reading: the proxy's writes to it back up, then it pauses the pool

    const down = seededBytes(SEED, 8 * 1024 * 1024);
    const written = writeAll(upstream.socket, down);
    await waitUntil(() => (a.proxy.connections()[0]?.bufferedToMiner ?? 0) > 0 && upstream.socket.writableLength > 0, 'the pool side to back up');
    await sleep(100);

    // The miner reads again a moment after the pause began: the flush completes within the deadline.
    setTimeout(() => miner.socket.resume(), 50);
    const moved = await handOverAll(a.proxy, b.proxy, 10_000);
    expect(moved.kept).toEqual([]);
    expect(moved.handedOver).toHaveLength(1);
    const carried = Buffer.from(moved.handedOver[0]?.state.unrelayedToMiner ?? '', 'base64');
    expect(carried.length).toBeGreaterThan(0);

    await written;
    upstream.socket.end();
    await waitUntil(() => miner.capture.ended, 'the pool FIN at the miner', 30_000);
    try {
      expectSameBytes(miner.capture.bytes(), down, 'pool→miner across a handover under backpressure');
    } catch (err) {
      (err as Error).message = `[seed ${SEED}; replay with SRL_HANDOVER_SEED=${SEED}] ${(err as Error).message}`;
      throw err;
    }
    const after = b.proxy.connections()[0];
    expect(after?.bytesPoolToMiner).toBe(down.length);
  });

  it('moves a connection backed up both ways 3 times in a row: the bytes read but not relayed go first, each time, both ways', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port);
    const miner = await connectMiner(cleanup, a.port);
    const upstream = await pool.socket();
    // Enough that neither side has written everything before the third move (loopback moves
    // ~10 MiB in the moment each move lets the readers read).
    const down = seededBytes(SEED + 3, 48 * 1024 * 1024);
    const up = seededBytes(SEED + 4, 48 * 1024 * 1024);
    miner.socket.pause();
    upstream.socket.pause();
    const writing = Promise.all([writeAll(upstream.socket, down), writeAll(miner.socket, up)]);

    let from = a.proxy;
    let to = b.proxy;
    let carriedDown = 0;
    let carriedUp = 0;
    try {
      for (let round = 0; round < 3; round++) {
        await waitUntil(() => upstream.socket.writableLength > 0 && miner.socket.writableLength > 0, `round ${round}: both sides backed up`, 15_000);
        await sleep(50);
        // Both ends read again a moment after the pause began, so the flushes complete.
        setTimeout(() => {
          miner.socket.resume();
          upstream.socket.resume();
        }, 30);
        const moved = await handOverAll(from, to, 10_000);
        expect(moved.kept).toEqual([]);
        const state = moved.handedOver[0]?.state;
        carriedDown += Buffer.from(state?.unrelayedToMiner ?? '', 'base64').length;
        carriedUp += Buffer.from(state?.unrelayedToPool ?? '', 'base64').length;
        miner.socket.pause();
        upstream.socket.pause();
        [from, to] = [to, from];
      }
      miner.socket.resume();
      upstream.socket.resume();
      await writing;
      upstream.socket.end();
      miner.socket.end();
      await waitUntil(() => miner.capture.ended && upstream.capture.ended, 'both FINs', 30_000);
      expectSameBytes(miner.capture.bytes(), down, 'pool→miner across three moves under backpressure');
      expectSameBytes(upstream.capture.bytes(), up, 'miner→pool across three moves under backpressure');
    } catch (err) {
      (err as Error).message = `[seed ${SEED}; replay with SRL_HANDOVER_SEED=${SEED}] ${(err as Error).message}`;
      throw err;
    }
    // How much each move finds read but not relayed depends on timing (about 1 run in 6 found
    // none in one direction): the first test pins the carried path; this one pins exactness
    // across three moves, whatever was in flight.
    console.log(`three moves under backpressure carried ${carriedDown} B to the miner and ${carriedUp} B to the pool`);
  });

  it('keeps a connection whose miner stopped reading past the flush deadline, and it relays on here once the miner reads', async () => {
    const pool = await startPool(cleanup);
    const a = await startProxy(cleanup, pool.port);
    const b = await startProxy(cleanup, pool.port);
    const miner = await connectMiner(cleanup, a.port);
    const upstream = await pool.socket();
    miner.socket.pause();

    const down = seededBytes(SEED + 1, 8 * 1024 * 1024);
    const up = seededBytes(SEED + 2, 64 * 1024);
    const written = writeAll(upstream.socket, down);
    await waitUntil(() => upstream.socket.writableLength > 0, 'the pool side to back up');
    await sleep(100);

    const moved = await handOverAll(a.proxy, b.proxy, 100);
    expect(moved.handedOver).toEqual([]);
    expect(moved.kept).toEqual([{ connectionId: a.proxy.connections()[0]?.connectionId, reason: 'flush_timeout' }]);
    expect(b.proxy.connectionCount).toBe(0);

    miner.socket.resume();
    await writeAll(miner.socket, up);
    await written;
    upstream.socket.end();
    miner.socket.end();
    await waitUntil(() => miner.capture.ended && upstream.capture.ended, 'both FINs', 30_000);
    expectSameBytes(miner.capture.bytes(), down, 'pool→miner after a kept handover');
    expectSameBytes(upstream.capture.bytes(), up, 'miner→pool after a kept handover');
  });
});
