import { difficultyToTarget, evaluateShare, meetsTarget, WorkError } from '@stratum-relay/work';
import type { JobBook } from './job-book';
import type { RejectReason } from './reject-reason';
import type { SessionJobs } from './session-jobs';
import type { SubmitShape } from './submit-params';

export interface JudgeContext {
  readonly extranonce1: string;
  /** The BIP310 mask negotiated by mining.configure; 0 when version rolling is off. */
  readonly versionMask: number;
  readonly nowSec: number;
  /** How far past now a share's ntime may be (bitcoind accepts blocks up to 2 h ahead). */
  readonly maxNtimeAheadSec: number;
  /** The difficulty last sent to the session (used only for shares on unknown jobs). */
  readonly currentDifficulty: number;
  readonly jobs: JobBook;
  readonly sessionJobs: SessionJobs;
}

export type Judgement =
  | {
      readonly verdict: 'accepted';
      readonly jobId: string;
      /** The share target's difficulty: what the share is credited. */
      readonly difficulty: number;
      /** The difficulty the hash actually reached. */
      readonly hashDifficulty: number;
      readonly blockCandidate: boolean;
    }
  | {
      readonly verdict: RejectReason;
      readonly jobId: string;
      readonly difficulty: number;
      readonly message: string;
    };

function reject(verdict: RejectReason, jobId: string, difficulty: number, message: string): Judgement {
  return { verdict, jobId, difficulty, message };
}

/**
 * Judge a well-formed submit like a pool does, in a pool's order: job known and not
 * stale (21), ntime in range (20), not a duplicate (22), hash under the share target (23).
 *
 * The difficulty is the one in force when the JOB was notified to this session, and the
 * share is credited exactly that: a set_difficulty applies from the next notify, and jobs
 * sent before it keep their difficulty (ckpool does the same with its diff_change_job_id).
 * A proxy that tracks the difficulty per job therefore credits the same amount.
 */
export function judgeShare(share: SubmitShape, ctx: JudgeContext): Judgement {
  const { jobId } = share;
  const job = ctx.jobs.get(jobId);
  const jobDifficulty = ctx.sessionJobs.difficultyFor(jobId);
  if (job === undefined || jobDifficulty === undefined) {
    return reject('stale', jobId, jobDifficulty ?? ctx.currentDifficulty, 'job not found');
  }
  const difficulty = jobDifficulty;

  const ntime = parseInt(share.ntime, 16);
  if (ntime < job.ntimeSec || ntime > ctx.nowSec + ctx.maxNtimeAheadSec) {
    return reject('other', jobId, difficulty, 'ntime out of range');
  }

  let versionBits = 0;
  if (share.versionBits !== undefined) {
    versionBits = parseInt(share.versionBits, 16);
    if ((versionBits & ~ctx.versionMask) !== 0) {
      return reject('other', jobId, difficulty, 'version bits outside the negotiated mask');
    }
  }

  let result;
  try {
    result = evaluateShare(job.job, {
      extranonce1: ctx.extranonce1,
      extranonce2: share.extranonce2,
      ntime: share.ntime,
      nonce: share.nonce,
      ...(share.versionBits === undefined ? {} : { versionBits: share.versionBits, versionMask: ctx.versionMask }),
    });
  } catch (err) {
    // parseSubmitParams already checked the shape; this is a last line of defence.
    if (err instanceof WorkError) return reject('other', jobId, difficulty, 'malformed share');
    throw err;
  }

  // Duplicate after validity checks: a pool records only shares it could evaluate.
  const key = `${share.extranonce2}:${share.ntime}:${share.nonce}:${versionBits}`;
  if (!ctx.sessionJobs.remember(jobId, key)) return reject('duplicate', jobId, difficulty, 'duplicate share');

  if (!meetsTarget(result.hash, difficultyToTarget(difficulty))) {
    return reject('low_difficulty', jobId, difficulty, 'low difficulty share');
  }
  return {
    verdict: 'accepted',
    jobId,
    difficulty,
    hashDifficulty: result.difficulty,
    blockCandidate: result.meetsNetworkTarget,
  };
}
