/** The environment variable property tests read their seed from, to replay a failure. */
const DEFAULT_SEED_ENV = 'SRL_TEST_SEED';

/**
 * Derive an independent seed from a base seed and a stream index (splitmix-style mixing), so
 * one `--seed` can drive many streams (one per session, one per subsystem) that do not overlap.
 */
export function deriveSeed(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The seed for a property test: the value of `envName` when set (to replay a failure), else a
 * fresh random 32-bit seed. Print it on failure with {@link withSeed}.
 */
export function testSeed(envName: string = DEFAULT_SEED_ENV): number {
  const fromEnv = process.env[envName];
  return fromEnv !== undefined ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

/**
 * Run the synchronous `body`; if it throws, rethrow the same error with the seed and a replay
 * hint (`replay with SRL_TEST_SEED=<seed>`) prefixed to its message. Pass `envName` when the
 * seed came from `testSeed(envName)`, so the hint names the right variable.
 */
export function withSeed(seed: number, body: () => void, envName: string = DEFAULT_SEED_ENV): void {
  try {
    body();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `[seed ${seed}; replay with ${envName}=${seed}] ${e.message}`;
    throw e;
  }
}
