import * as net from 'node:net';
import { mulberry32, randInt, testSeed } from '@stratum-relay/prng';
import type { ConnectionClosedEvent } from '@stratum-relay/shared-types';
import { clientReconnectLine } from '../src/drain/drain-reconnect';
import type { UpstreamConnector } from '../src/proxy-server';
import { Cleanup } from './helpers/cleanup';
import { connectMiner } from './helpers/miner-client';
import { startPool } from './helpers/pool-server';
import { noopObserverFactory, startProxy } from './helpers/proxy';
import { waitUntil } from './helpers/wait';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const RECONNECT = clientReconnectLine(null).toString('latin1');
const SUBSCRIBE = '{"id":1,"method":"mining.subscribe","params":[]}\n';
const ANSWER = '{"id":1,"result":[[],"08000002",4],"error":null}\n';
/** The relay's own line parser sees where the pool's lines end (the default observer). */
const LINE_AWARE = { observerFactory: undefined };

/** The pool side closes when the miner's FIN reaches it, as a pool ends a session. */
const endOnEnd = (socket: net.Socket): void => {
  socket.on('end', () => socket.end());
};

/** A miner and its upstream, relaying (the pool has spoken). */
async function relayingPair(port: number, pool: Awaited<ReturnType<typeof startPool>>, index: number) {
  const miner = await connectMiner(cleanup, port);
  miner.socket.write(SUBSCRIBE);
  const upstream = await pool.socket(index);
  await waitUntil(() => upstream.capture.text() === SUBSCRIBE, 'the subscribe at the pool');
  upstream.socket.write(ANSWER);
  await waitUntil(() => miner.capture.text() === ANSWER, 'the answer at the miner');
  return { miner, upstream };
}

describe('drain with client.reconnect', () => {
  it('writes client.reconnect at once between two pool lines, and the pool bytes stay exactly the pool bytes', async () => {
    const pool = await startPool(cleanup, endOnEnd);
    const { proxy, port, recorder } = await startProxy(cleanup, pool.port, LINE_AWARE);
    const { miner, upstream } = await relayingPair(port, pool, 0);

    const draining = proxy.drain(10_000, { reconnect: { target: null, withinMs: 0 } });
    await waitUntil(() => miner.capture.text() === ANSWER + RECONNECT, 'client.reconnect at the miner');
    const notify = '{"id":null,"method":"mining.notify","params":["1"]}\n';
    upstream.socket.write(notify);
    await waitUntil(() => miner.capture.text().endsWith(notify), 'the next pool line');
    miner.socket.end(); // a miner that honours client.reconnect leaves
    const result = await draining;

    expect(miner.capture.text()).toBe(ANSWER + RECONNECT + notify);
    expect(result).toEqual({ drained: 1, forced: 0, reconnects: { sent: 1, afterLine: 0, skipped: 0 } });
    const [closed] = recorder.closed() as ConnectionClosedEvent[];
    expect(closed?.bytesPoolToMiner).toBe(ANSWER.length + notify.length);
  });

  it('waits for the end of the line the pool is in the middle of, and never cuts it', async () => {
    const pool = await startPool(cleanup, endOnEnd);
    const { proxy, port } = await startProxy(cleanup, pool.port, LINE_AWARE);
    const { miner, upstream } = await relayingPair(port, pool, 0);
    upstream.socket.write('{"id":2,"result":');
    await waitUntil(() => miner.capture.text().endsWith('"result":'), 'half a line at the miner');

    const draining = proxy.drain(10_000, { reconnect: { target: { host: 'relay2.example', port: 3334 }, withinMs: 0 } });
    const rest = 'true,"error":null}\n{"id":null,"method":"mining.set_difficulty","params":[2]}\n';
    upstream.socket.write(rest);
    const reconnect = clientReconnectLine({ host: 'relay2.example', port: 3334 }).toString();
    await waitUntil(() => miner.capture.text().includes('set_difficulty'), 'the rest at the miner');
    miner.socket.end();
    const result = await draining;

    expect(miner.capture.text()).toBe(`${ANSWER}{"id":2,"result":true,"error":null}\n${reconnect}{"id":null,"method":"mining.set_difficulty","params":[2]}\n`);
    expect(result.reconnects).toEqual({ sent: 0, afterLine: 1, skipped: 0 });
  });

  it('with an observer that cannot tell where lines end, waits for the next newline rather than guess', async () => {
    const pool = await startPool(cleanup, endOnEnd);
    const { proxy, port } = await startProxy(cleanup, pool.port, { observerFactory: noopObserverFactory });
    const { miner, upstream } = await relayingPair(port, pool, 0);
    const draining = proxy.drain(10_000, { reconnect: { target: null, withinMs: 0 } });
    const line = '{"id":null,"method":"mining.notify","params":["2"]}\n';
    upstream.socket.write(line + line);
    await waitUntil(() => miner.capture.length === ANSWER.length + RECONNECT.length + 2 * line.length, 'both lines and the reconnect');
    miner.socket.end();
    await draining;
    expect(miner.capture.text()).toBe(ANSWER + line + RECONNECT + line);
  });

  it('never splits a pool line arriving at the same moment (seeded: pieces of random size, many miners)', async () => {
    const seed = testSeed();
    const rng = mulberry32(seed);
    const miners = 12;
    const pool = await startPool(cleanup, endOnEnd);
    const { proxy, port } = await startProxy(cleanup, pool.port, LINE_AWARE);
    const pairs = [];
    for (let i = 0; i < miners; i++) pairs.push(await relayingPair(port, pool, i));

    // Every pool streams lines in random pieces (a line's pieces often land in different chunks)
    // until its miner leaves; each miner leaves when it reads client.reconnect, as a miner does.
    const sent = pairs.map(() => [ANSWER]);
    let streaming = true;
    for (const [i, { upstream }] of pairs.entries()) {
      let n = 0;
      const pump = (): void => {
        if (!streaming || upstream.socket.writableEnded || upstream.socket.destroyed) return;
        const line = `{"id":null,"method":"mining.notify","params":["${i}-${n++}","${'ab'.repeat(randInt(rng, 0, 300))}"]}\n`;
        let at = 0;
        while (at < line.length) {
          const piece = line.slice(at, (at += randInt(rng, 1, 120)));
          upstream.socket.write(piece);
          (sent[i] as string[]).push(piece);
        }
        setImmediate(pump);
      };
      setImmediate(pump);
    }
    for (const { miner } of pairs) {
      miner.socket.on('data', () => {
        if (miner.capture.text().includes('client.reconnect')) miner.socket.end();
      });
    }

    const result = await proxy.drain(15_000, { reconnect: { target: null, withinMs: 200 } });
    streaming = false;
    try {
      expect(result).toMatchObject({ drained: miners, forced: 0 });
      expect((result.reconnects?.sent ?? 0) + (result.reconnects?.afterLine ?? 0)).toBe(miners);
      for (const [i, { miner }] of pairs.entries()) {
        const got = miner.capture.text();
        const at = got.indexOf(RECONNECT);
        expect(at).toBeGreaterThan(0);
        expect(got[at - 1]).toBe('\n');
        // Without the injected line, what the miner got is a prefix of what its pool sent, byte for byte.
        const poolBytes = (sent[i] as string[]).join('');
        const relayed = got.slice(0, at) + got.slice(at + RECONNECT.length);
        expect(poolBytes.startsWith(relayed)).toBe(true);
      }
    } catch (error) {
      throw new Error(`seed ${seed} (replay with SRL_TEST_SEED=${seed}): ${(error as Error).message}`);
    }
  });

  it('skips a miner whose pool connection is still opening; the deadline closes it', async () => {
    const pool = await startPool(cleanup);
    // The upstream socket never connects: the miner is not relaying yet.
    let dialled = 0;
    const connect: UpstreamConnector = () => {
      dialled++;
      return new net.Socket({ allowHalfOpen: true });
    };
    const { proxy, port } = await startProxy(cleanup, pool.port, { ...LINE_AWARE, connect });
    const miner = await connectMiner(cleanup, port);
    miner.socket.write(SUBSCRIBE);
    await waitUntil(() => dialled === 1, 'the upstream dial');
    const result = await proxy.drain(200, { reconnect: { target: null, withinMs: 0 } });
    expect(result).toEqual({ drained: 0, forced: 1, reconnects: { sent: 0, afterLine: 0, skipped: 1 } });
    expect(miner.capture.text()).toBe('');
  });
});

describe('drain counts', () => {
  it('counts connections closed by a second signal (close during the drain) as forced, not drained', async () => {
    const pool = await startPool(cleanup);
    const { proxy, port, recorder } = await startProxy(cleanup, pool.port, LINE_AWARE);
    await relayingPair(port, pool, 0);
    await relayingPair(port, pool, 1);
    const draining = proxy.drain(60_000);
    await proxy.close();
    await expect(draining).resolves.toEqual({ drained: 0, forced: 2 });
    expect(recorder.closed().map((e) => `${e.side}/${e.reason}`)).toEqual(['proxy/drain', 'proxy/drain']);
  });

  it('counts one that left by itself before the second signal as drained', async () => {
    const pool = await startPool(cleanup, (socket) => socket.on('end', () => socket.end()));
    const { proxy, port, recorder } = await startProxy(cleanup, pool.port, LINE_AWARE);
    const leaving = await relayingPair(port, pool, 0);
    await relayingPair(port, pool, 1);
    const draining = proxy.drain(60_000);
    leaving.miner.socket.end();
    await waitUntil(() => recorder.closed().length === 1, 'the first miner to leave');
    await proxy.close();
    await expect(draining).resolves.toEqual({ drained: 1, forced: 1 });
  });
});
