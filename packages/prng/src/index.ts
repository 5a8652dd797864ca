// Public API of prng: the one seeded PRNG of the monorepo, for simulators and property tests.
export { mulberry32 } from './mulberry32';
export type { Prng } from './mulberry32';
export { deriveSeed, testSeed, withSeed } from './seeds';
export { randInt, randomBytes } from './random';
