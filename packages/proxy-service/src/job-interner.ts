import type { StratumJob } from '@stratum-relay/work';

/** Distinct jobs remembered for sharing; a pool sends a few per minute, a handful of pools at most. */
export const MAX_INTERNED_JOBS = 256;

/**
 * One shared object per distinct job across the connections of a process.
 *
 * A pool sends the same mining.notify to every connection of a farm (only the extranonce1 of a
 * subscription differs, and it is not in the notify). Kept per connection, the 16 recent jobs of
 * 10,000 miners were 10,000 copies of the same few strings — most of an idle miner's memory with
 * a mainnet-deep merkle branch — and each copy was prepared again for the share audit (the
 * prepared form is cached per job object). Interned, a connection's recent jobs are references.
 *
 * Jobs are compared by every field (a job id is only unique within one pool's connection, and a
 * pool may re-send an id with new contents). The table is bounded and forgets the oldest job
 * first; a forgotten job stays alive for as long as a connection still holds it, and an equal
 * notify after that starts a new shared object.
 */
export class JobInterner {
  private readonly jobs = new Map<string, StratumJob>();

  constructor(private readonly max: number = MAX_INTERNED_JOBS) {}

  /** The shared object equal to `job` (`job` itself the first time it is seen). */
  intern(job: StratumJob): StratumJob {
    const key = jobKey(job);
    const known = this.jobs.get(key);
    if (known !== undefined) return known;
    if (this.jobs.size >= this.max) {
      const oldest = this.jobs.keys().next();
      if (oldest.done !== true) this.jobs.delete(oldest.value);
    }
    this.jobs.set(key, job);
    return job;
  }

  get size(): number {
    return this.jobs.size;
  }
}

/**
 * Every field, newline-separated. Only the job id is free text (it may even hold a newline); the
 * other fields are validated hex, so the last eight separators are unambiguous and so is the key.
 */
function jobKey(j: StratumJob): string {
  return `${j.jobId}\n${j.prevhash}\n${j.coinb1}\n${j.coinb2}\n${j.merkleBranch.join(',')}\n${j.version}\n${j.nbits}\n${j.ntime}\n${j.cleanJobs ? 1 : 0}`;
}
