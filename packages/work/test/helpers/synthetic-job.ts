import type { StratumJob } from '@stratum-relay/work';
import { randomBytes } from '@stratum-relay/prng';

const hex = (b: Buffer): string => b.toString('hex');

/** A random but well-formed job (random coinbase halves, branch, prevhash, version, ntime). */
export function syntheticJob(rand: () => number, nbits = '1d00ffff'): StratumJob {
  const branchLen = Math.floor(rand() * 12);
  return {
    jobId: Math.floor(rand() * 1e9).toString(16),
    prevhash: hex(randomBytes(rand, 32)),
    coinb1: hex(randomBytes(rand, 40 + Math.floor(rand() * 40))),
    coinb2: hex(randomBytes(rand, 40 + Math.floor(rand() * 80))),
    merkleBranch: Array.from({ length: branchLen }, () => hex(randomBytes(rand, 32))),
    version: hex(randomBytes(rand, 4)),
    nbits,
    ntime: hex(randomBytes(rand, 4)),
    cleanJobs: rand() < 0.5,
  };
}
