import { ExtranonceAllocator } from '../src/extranonce-allocator';
import { useFixture } from './helpers/fixture';
import type { StratumTestClient } from './helpers/stratum-test-client';

describe('extranonce1 allocation', () => {
  const fx = useFixture();

  it('gives 1000 concurrently open sessions 1000 different extranonce1 values', async () => {
    const { pool, port } = await fx.pool();
    const seen = new Set<string>();
    const open: StratumTestClient[] = [];
    // Batches keep the 2-core machine responsive; all 1000 stay open until the end.
    for (let batch = 0; batch < 10; batch++) {
      const clients = await Promise.all(Array.from({ length: 100 }, () => fx.client(port)));
      open.push(...clients);
      const answers = await Promise.all(clients.map((c) => c.request('mining.subscribe', [])));
      for (const a of answers) seen.add((a.result as [unknown, string])[1]);
    }
    expect(seen.size).toBe(1000);
    expect(pool.stats().sessions).toEqual({ open: 1000, total: 1000 });
    for (const v of seen) expect(v).toMatch(/^[0-9a-f]{8}$/);
  });

  it.each([1, 2, 4, 8])('never repeats a %i-byte value before the space is exhausted', (size) => {
    const seed = 0x5eed + size;
    const alloc = new ExtranonceAllocator(size, seed);
    const n = Math.min(2 ** (8 * size), 100_000);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const v = alloc.next();
      if (v.length !== size * 2) throw new Error(`bad length ${v} (seed ${seed})`);
      seen.add(v);
    }
    if (seen.size !== n) throw new Error(`duplicate extranonce1 (seed ${seed})`);
    expect(seen.size).toBe(n);
  });

  it('depends on the seed, so two pools with different seeds start apart', () => {
    expect(new ExtranonceAllocator(4, 1).next()).not.toBe(new ExtranonceAllocator(4, 2).next());
  });

  it('starts every value with the configured prefix and still never repeats one before the free space is exhausted', () => {
    const seed = 0x5eed;
    const alloc = new ExtranonceAllocator(3, seed, 'B');
    const seen = new Set<string>();
    for (let i = 0; i < 16 ** 5; i++) {
      const v = alloc.next();
      if (!/^b[0-9a-f]{5}$/.test(v)) throw new Error(`bad value ${v} (seed ${seed})`);
      seen.add(v);
    }
    expect(seen.size).toBe(16 ** 5);
  });

  it('hands out the same values as before when the prefix is empty', () => {
    const a = new ExtranonceAllocator(4, 77);
    const b = new ExtranonceAllocator(4, 77, '');
    for (let i = 0; i < 100; i++) expect(b.next()).toBe(a.next());
  });

  it('answers mining.subscribe with an extranonce1 that starts with the pool prefix, so two pools are told apart', async () => {
    const { port: a } = await fx.pool({ extranonce1Prefix: 'a1' });
    const { port: b } = await fx.pool({ extranonce1Prefix: 'B2', extranonce1Size: 8 });
    const onA = await (await fx.client(a)).handshake('x');
    const onB = await (await fx.client(b)).handshake('x');
    expect(onA.extranonce1).toMatch(/^a1[0-9a-f]{6}$/);
    expect(onB.extranonce1).toMatch(/^b2[0-9a-f]{14}$/);
  });

  it.each([
    ['not hex', 4, 'xy'],
    ['no byte left free', 4, 'abcdef1'],
    ['a whole 1-byte extranonce1', 1, 'a'],
  ])('refuses a prefix that is %s with a coded error', (_why, size, prefix) => {
    expect(() => new ExtranonceAllocator(size, 1, prefix)).toThrow(expect.objectContaining({ code: 'SRL_ERR_POOL_SIM_OPTIONS' }));
  });

  it('refuses sizes outside 1..16 with a coded error', () => {
    expect(() => new ExtranonceAllocator(0, 1)).toThrow(expect.objectContaining({ code: 'SRL_ERR_POOL_SIM_OPTIONS' }));
  });
});
