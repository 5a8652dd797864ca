/** mulberry32: a tiny seeded PRNG so property tests can be replayed from their printed seed. */
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

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Seed from SRL_TEST_SEED (to replay) or a fresh one. */
export function testSeed(): number {
  const fromEnv = process.env['SRL_TEST_SEED'];
  return fromEnv !== undefined ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

/** Run `body`; if it throws, rethrow with the seed in the message so the run can be replayed. */
export function withSeed(seed: number, body: () => void): void {
  try {
    body();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `[seed ${seed}; replay with SRL_TEST_SEED=${seed}] ${e.message}`;
    throw e;
  }
}
