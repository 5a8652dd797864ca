import { BadJobError, WorkError } from './errors';
import { hexToBuffer, hexToBufferOfBytes, hexToU32 } from './hex';
import type { StratumJob } from './notify-params';
import { Sha256Hasher } from './sha256-hasher';
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
  /** ShareAuditor: SHA-256 state after coinb1's complete 64-byte blocks (the same for every share of the job). */
  readonly coinb1Midstate: Int32Array;
  /** ShareAuditor: the bytes of coinb1 after those blocks (< 64; a view into coinb1). */
  readonly coinb1Tail: Buffer;
  /** ShareAuditor: the branch hashes as big-endian words, 8 per hash (the second half of each merkle pair block). */
  readonly branchWords: Int32Array;
  /** ShareAuditor: the header's prevhash bytes as big-endian words (header words 1..8). */
  readonly prevhashWords: Int32Array;
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

/** 32-byte hashes as consecutive big-endian words, 8 per hash. */
function beWords(hashes: readonly Buffer[]): Int32Array {
  const out = new Int32Array(hashes.length * 8);
  hashes.forEach((h, n) => {
    for (let i = 0; i < 8; i++) out[n * 8 + i] = h.readInt32BE(i * 4);
  });
  return out;
}

function decode(job: StratumJob): PreparedJob {
  if (job === null || typeof job !== 'object') throw new BadJobError('job: expected an object');
  try {
    if (!Array.isArray(job.merkleBranch)) throw new BadJobError('merkleBranch: expected an array');
    const branch = job.merkleBranch.map((h, i) => hexToBufferOfBytes(h, 32, `merkleBranch[${i}]`));
    const prevhash = hexToBufferOfBytes(job.prevhash, 32, 'prevhash').swap32();
    const networkTarget = nbitsToTarget(job.nbits);
    const coinb1 = hexToBuffer(job.coinb1, 'coinb1');
    const full = coinb1.length - (coinb1.length % 64);
    return {
      coinb1,
      coinb1Midstate: new Sha256Hasher().update(coinb1, 0, full).midstate(),
      coinb1Tail: coinb1.subarray(full),
      branchWords: beWords(branch),
      prevhashWords: beWords([prevhash]),
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
