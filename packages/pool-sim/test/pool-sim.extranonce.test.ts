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

  it('refuses sizes outside 1..16 with a coded error', () => {
    expect(() => new ExtranonceAllocator(0, 1)).toThrow(expect.objectContaining({ code: 'SRL_ERR_POOL_SIM_OPTIONS' }));
  });
});
