import { mulberry32 } from '@stratum-relay/prng';
import { backoffDelay } from '../src/backoff';

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, with at most half of it random', () => {
    const lo = (a: number): number => backoffDelay(a, 100, 5000, () => 0);
    const hi = (a: number): number => backoffDelay(a, 100, 5000, () => 0.999999);
    expect([0, 1, 2, 3].map(lo)).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map(hi)).toEqual([100, 200, 400, 800]);
    expect(lo(10)).toBe(2500);
    expect(hi(10)).toBe(5000);
    expect(hi(1000)).toBe(5000);
  });

  it('always stays within [exp/2, exp] (seeded)', () => {
    const seed = 4242;
    const rand = mulberry32(seed);
    try {
      for (let i = 0; i < 1000; i++) {
        const attempt = Math.floor(rand() * 40);
        const base = 1 + Math.floor(rand() * 1000);
        const max = base + Math.floor(rand() * 60_000);
        const exp = Math.min(max, base * 2 ** attempt);
        const d = backoffDelay(attempt, base, max, rand);
        expect(d).toBeGreaterThanOrEqual(Math.floor(exp / 2));
        expect(d).toBeLessThanOrEqual(Math.ceil(exp));
      }
    } catch (err) {
      console.error(`backoff property failed with seed ${seed}`);
      throw err;
    }
  });
});
