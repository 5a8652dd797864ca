import { createCipheriv } from 'node:crypto';

/** Mulberry32: a tiny seeded PRNG so property tests can be replayed from their seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [min, max] from `rand`. */
export function randInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/**
 * `length` pseudo-random bytes fixed by `seed`: AES-128-CTR over zeros, so megabytes cost
 * milliseconds (a per-byte JS PRNG costs a second per 3 MB on a loaded CI box).
 */
export function seededBytes(seed: number, length: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}
