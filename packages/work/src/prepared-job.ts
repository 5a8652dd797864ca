import { BadJobError, WorkError } from './errors';
import { hexToBuffer, hexToBufferOfBytes, hexToU32 } from './hex';
import type { StratumJob } from './notify-params';
import { nbitsToTarget, targetToWords } from './target';

/** The parts of a job every share of it shares, decoded once. Internal. */
export interface PreparedJob {
  readonly coinb1: Buffer;
  readonly coinb2: Buffer;
  readonly branch: readonly Buffer[];
  readonly version: number;
  /** Header bytes (already word-swapped back from the Stratum encoding). */
  readonly prevhash: Buffer;
  readonly nbits: number;
  readonly networkTarget: bigint;
  /** networkTarget as words: the per-share block check compares these, no BigInt (hashAtMostTarget). */
  readonly networkTargetWords: Uint32Array;
  /** The strings this was decoded from, to notice a job object mutated after caching. */
  readonly src: { coinb1: string; coinb2: string; branch: string[]; version: string; prevhash: string; nbits: string };
}

// One decode per job, not per share: keyed by the job object, dropped with it.
const cache = new WeakMap<StratumJob, PreparedJob>();

function stillValid(p: PreparedJob, job: StratumJob): boolean {
  const s = p.src;
  if (s.coinb1 !== job.coinb1 || s.coinb2 !== job.coinb2 || s.version !== job.version) return false;
  if (s.prevhash !== job.prevhash || s.nbits !== job.nbits) return false;
  const b = job.merkleBranch;
  if (!Array.isArray(b) || b.length !== s.branch.length) return false;
  for (let i = 0; i < b.length; i++) if (b[i] !== s.branch[i]) return false;
  return true;
}

function decode(job: StratumJob): PreparedJob {
  if (job === null || typeof job !== 'object') throw new BadJobError('job: expected an object');
  try {
    if (!Array.isArray(job.merkleBranch)) throw new BadJobError('merkleBranch: expected an array');
    const branch = job.merkleBranch.map((h, i) => hexToBufferOfBytes(h, 32, `merkleBranch[${i}]`));
    const prevhash = hexToBufferOfBytes(job.prevhash, 32, 'prevhash').swap32();
    const networkTarget = nbitsToTarget(job.nbits);
    return {
      coinb1: hexToBuffer(job.coinb1, 'coinb1'),
      coinb2: hexToBuffer(job.coinb2, 'coinb2'),
      branch,
      version: hexToU32(job.version, 'version'),
      prevhash,
      nbits: hexToU32(job.nbits, 'nbits'),
      networkTarget,
      networkTargetWords: targetToWords(networkTarget),
      src: {
        coinb1: job.coinb1,
        coinb2: job.coinb2,
        branch: job.merkleBranch.slice(),
        version: job.version,
        prevhash: job.prevhash,
        nbits: job.nbits,
      },
    };
  } catch (err) {
    if (err instanceof BadJobError) throw err;
    throw new BadJobError(`malformed job ${String(job.jobId)}: ${err instanceof WorkError ? err.message : String(err)}`, { cause: err });
  }
}

/** Decoded parts of `job`, from the cache when the job is unchanged. Throws BadJobError. */
export function prepareJob(job: StratumJob): PreparedJob {
  let p = cache.get(job);
  if (p === undefined || !stillValid(p, job)) {
    p = decode(job);
    cache.set(job, p);
  }
  return p;
}
