import type { Socket } from 'node:net';
import type { PoolStats } from '../src';
import { useFixture } from './helpers/fixture';
import type { StratumTestClient } from './helpers/stratum-test-client';

async function post(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function getStats(port: number): Promise<PoolStats> {
  return (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as PoolStats;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function closed(c: StratumTestClient): Promise<void> {
  return new Promise((resolve) => (c.closed ? resolve() : c.socket.once('close', () => resolve())));
}

/** Bytes received so far, to show that nothing at all arrived during a window. */
const received = (c: StratumTestClient): number => c.receivedBytes.length;

/** True when 'drain' fires within `ms`. */
function drainsWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      socket.off('drain', onDrain);
      resolve(false);
    }, ms);
    const onDrain = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    socket.once('drain', onDrain);
  });
}

/**
 * Write 1 MiB chunks until the socket stops draining: the peer no longer reads and the kernel
 * buffers on both sides are full. Bounded so a pool that keeps reading fails the test instead
 * of filling memory. Returns the bytes handed to the socket.
 */
async function writeUntilBackpressure(socket: Socket): Promise<number> {
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  let written = 0;
  while (written < 512 * 1024 * 1024) {
    // write() is true when the kernel took the whole chunk at once: no drain is coming then.
    const took = socket.write(chunk);
    written += chunk.length;
    if (!took && !(await drainsWithin(socket, 250))) return written;
  }
  throw new Error('the pool kept reading 512 MiB: no backpressure');
}

describe('pool-sim faults for failover tests', () => {
  const fx = useFixture();

  it('drops every open session at once on POST /sessions/kill and accepts new miners right after', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const miners = await Promise.all([fx.client(port), fx.client(port), fx.client(port)]);
    await Promise.all(miners.map((c, i) => c.handshake(`w${i}`)));
    expect(pool.stats().sessions.open).toBe(3);

    expect(await post(control.port, '/sessions/kill')).toEqual({ status: 200, body: { ok: true, killed: 3 } });
    await Promise.all(miners.map(closed));
    expect(pool.stats().sessions).toEqual({ open: 0, total: 3 });

    const again = await fx.client(port);
    await again.handshake('w0');
    expect(pool.killSessions()).toBe(1);
    await closed(again);
    expect(await post(control.port, '/sessions/kill')).toEqual({ status: 200, body: { ok: true, killed: 0 } });
  });

  it('accepts TCP but answers nothing while blackholed, to new and existing sessions, and answers again once lifted', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const existing = await fx.client(port);
    await existing.handshake('old');

    expect(await post(control.port, '/blackhole?on=true')).toEqual({ status: 200, body: { ok: true, blackhole: true } });
    expect((await getStats(control.port)).faults).toEqual({ blackhole: true, pausedReading: false });
    // The connect succeeds: a blackholed pool is up as far as TCP can tell.
    const fresh = await fx.client(port);
    const before = received(existing);
    fresh.send({ id: 1, method: 'mining.subscribe', params: ['test/1.0'] });
    existing.send({ id: 7, method: 'mining.extranonce.subscribe', params: [] });
    pool.advanceTip();
    pool.rotateJob();
    await sleep(400);
    expect(received(fresh)).toBe(0);
    expect(received(existing)).toBe(before);
    expect(fresh.closed || existing.closed).toBe(false);
    expect(pool.stats().sessions.open).toBe(2);

    expect(await post(control.port, '/blackhole?on=false')).toEqual({ status: 200, body: { ok: true, blackhole: false } });
    const h = await fresh.handshake('new');
    expect(h.extranonce1).toMatch(/^[0-9a-f]{8}$/);
    expect((await existing.request('mining.extranonce.subscribe', [], 8)).result).toBe(true);
    pool.advanceTip();
    expect((await existing.nextNotification('mining.notify')).params?.[8]).toBe(true);
  });

  it('stops reading while pause-reading is on, so a writer sees backpressure, and drains once it is off', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const writer = await fx.client(port);
    await writer.handshake('w');

    expect(await post(control.port, '/pause-reading?on=true')).toEqual({ status: 200, body: { ok: true, pausedReading: true } });
    const late = await fx.client(port);
    late.send({ id: 1, method: 'mining.subscribe', params: [] });
    const written = await writeUntilBackpressure(writer.socket);
    expect(writer.socket.writableLength).toBeGreaterThan(0);
    const readMidway = pool.stats().bytes.received;
    await sleep(300);
    expect(pool.stats().bytes.received).toBe(readMidway);
    expect(readMidway).toBeLessThan(written);
    // A session that connected during the pause is paused too.
    expect(received(late)).toBe(0);

    const drained = drainsWithin(writer.socket, 30_000);
    expect(await post(control.port, '/pause-reading?on=false')).toEqual({ status: 200, body: { ok: true, pausedReading: false } });
    expect(await drained).toBe(true);
    // The filler was one long line without a newline: it ends here, skipped as oversized.
    writer.sendRaw('\n');
    expect((await writer.request('mining.extranonce.subscribe', [], 9)).result).toBe(true);
    expect(pool.stats().oversizedLines).toBe(1);
    expect(Array.isArray((await late.nextResponse()).result)).toBe(true);
  });

  it.each([
    ['/blackhole?on=yes'],
    ['/blackhole'],
    ['/pause-reading?on=1'],
    ['/pause-reading?on=TRUE'],
  ])('answers 400 with an error for POST %s and changes nothing', async (path) => {
    const { pool } = await fx.pool();
    const control = await pool.controlListen(0);
    const res = await post(control.port, path);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe('string');
    expect(pool.stats().faults).toEqual({ blackhole: false, pausedReading: false });
  });

  it('answers 405 for a fault route called with GET', async () => {
    const { pool } = await fx.pool();
    const control = await pool.controlListen(0);
    for (const path of ['/sessions/kill', '/blackhole?on=true', '/pause-reading?on=true']) {
      expect((await fetch(`http://127.0.0.1:${control.port}${path}`)).status).toBe(405);
    }
    expect(pool.stats().faults).toEqual({ blackhole: false, pausedReading: false });
  });

  it('reports its name in the stats so tests tell pools apart', async () => {
    const { pool } = await fx.pool({ name: 'backup' });
    const control = await pool.controlListen(0);
    expect((await getStats(control.port)).name).toBe('backup');
    const { pool: unnamed } = await fx.pool();
    expect(unnamed.stats().name).toBeNull();
  });
});
