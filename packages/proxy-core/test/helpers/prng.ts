import { createCipheriv } from 'node:crypto';

// mulberry32 and randInt live in @stratum-relay/prng; only the bulk generator stays here.

/**
 * `length` pseudo-random bytes fixed by `seed`: AES-128-CTR over zeros, so megabytes cost
 * milliseconds (a per-byte JS PRNG costs a second per 3 MB on a loaded CI box).
 */
export function seededBytes(seed: number, length: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}
