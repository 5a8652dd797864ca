/** A seeded source of floats in [0, 1), like `Math.random` but replayable. */
export type Prng = () => number;

/**
 * mulberry32: a tiny, fast, seedable PRNG (32-bit state). Good enough for simulation, fault
 * injection and property tests; never for anything secret. Returns floats in [0, 1).
 *
 * The same seed gives the same sequence on every platform: simulator runs replay from `--seed`
 * and failing property tests from their printed seed, so do not change the constants.
 */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
