import type { Prng } from './mulberry32';

/** An integer in [min, max], both inclusive, from `prng`. */
export function randInt(prng: Prng, min: number, max: number): number {
  return min + Math.floor(prng() * (max - min + 1));
}

/**
 * `n` pseudo-random bytes from `prng`, one draw per byte. Fine for hashes and txids; for
 * megabytes of filler a per-byte JS PRNG is slow (proxy-core's tests use AES-CTR instead).
 */
export function randomBytes(prng: Prng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(prng() * 256);
  return out;
}
