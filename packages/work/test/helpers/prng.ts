// Kept only for packages/proxy-service/test/collector-pending-requests.test.ts, which imports
// it by relative path; work's own tests use @stratum-relay/prng. Delete once that test does too.
export { mulberry32, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
