import { ShareAuditor, parseNotifyParams } from '@stratum-relay/work';
import type { StratumJob } from '@stratum-relay/work';
import type { ShareAuditVerdict } from '@stratum-relay/metrics';
import { SHARE_AUDIT_VERDICTS } from '@stratum-relay/metrics';
import type { ShareAuditSetting } from '@stratum-relay/config';

/**
 * What the collector does per share under a SHARE_AUDIT setting, decided once at construction.
 * - all (true): every share hashed at submit; every verdict exact (as before the modes).
 * - rejected: every share whose job is known goes into a uniform sample with probability
 *   `sample`; those are hashed at submit. The others keep what hashing needs in their pending
 *   request and are hashed only if the pool rejects them, when its answer arrives.
 * - sample: only the sampled shares are hashed.
 * - off (false): nothing.
 */
export interface AuditPlan {
  /** Jobs are tracked and shares checked at all. */
  readonly on: boolean;
  /** Every share hashed at submit: SHARE_AUDIT=all. */
  readonly all: boolean;
  /** Shares the pool rejects are hashed when the answer arrives (SHARE_AUDIT=rejected). */
  readonly hashRejected: boolean;
  /** Fraction of all shares in the sample under rejected and sample; 1 under all, 0 under off. */
  readonly sample: number;
  /**
   * The verdicts stratum_share_audit_total counts exactly in this mode: all five under all; under
   * rejected those of rejected shares and unknown_job (a job lookup, no hashing, done for every
   * share); under sample only unknown_job. The verdicts of accepted shares under rejected and
   * sample go to stratum_share_audit_sampled_total only: they are not counted, only sampled.
   */
  readonly exactVerdicts: readonly ShareAuditVerdict[];
}

/** The plan for a SHARE_AUDIT setting (a boolean is all/off, as the option was before it had modes). */
export function auditPlan(setting: ShareAuditSetting): AuditPlan {
  if (setting === true) return { on: true, all: true, hashRejected: false, sample: 1, exactVerdicts: SHARE_AUDIT_VERDICTS };
  if (setting === false) return { on: false, all: false, hashRejected: false, sample: 0, exactVerdicts: [] };
  const hashRejected = setting.mode === 'rejected';
  return {
    on: true,
    all: false,
    hashRejected,
    sample: setting.fraction,
    exactVerdicts: hashRejected ? ['valid_rejected', 'invalid_rejected', 'unknown_job'] : ['unknown_job'],
  };
}

/** What the audit concluded about a share before the pool answered (small ints: stored per pending submit). */
export const ShareCheck = {
  /** Audit off, or the submit had no id (no answer will come): no verdict. */
  None: 0,
  /** The job id is not among the connection's recent jobs. */
  UnknownJob: 1,
  /** Our hash meets the difficulty in force at submit. */
  Valid: 2,
  /** Our hash misses it, or the submit was malformed / could not be hashed. */
  Invalid: 3,
} as const;
export type ShareCheck = (typeof ShareCheck)[keyof typeof ShareCheck];

/** Verdict once the pool has answered (`accepted` = result true, no error). */
export function auditVerdict(check: ShareCheck, accepted: boolean): ShareAuditVerdict | null {
  switch (check) {
    case ShareCheck.UnknownJob:
      return 'unknown_job';
    case ShareCheck.Valid:
      return accepted ? 'valid_accepted' : 'valid_rejected';
    case ShareCheck.Invalid:
      return accepted ? 'invalid_accepted' : 'invalid_rejected';
    default:
      return null;
  }
}

/** Jobs a connection can still submit against. Enough for the pools we know: they keep a few minutes of jobs. */
export const MAX_RECENT_JOBS = 16;

/**
 * The latest jobs the pool sent on one connection, by job id. A `clean_jobs` notify drops all
 * older ones (shares against them are stale by definition); otherwise the oldest goes past the bound.
 */
export class RecentJobs {
  private readonly jobs = new Map<string, StratumJob>();

  constructor(private readonly max: number = MAX_RECENT_JOBS) {}

  add(job: StratumJob): void {
    if (job.cleanJobs) this.jobs.clear();
    else this.jobs.delete(job.jobId); // a re-sent id moves to the new end
    if (this.jobs.size >= this.max) {
      const oldest = this.jobs.keys().next();
      if (oldest.done !== true) this.jobs.delete(oldest.value);
    }
    this.jobs.set(job.jobId, job);
  }

  get(jobId: string): StratumJob | undefined {
    return this.jobs.get(jobId);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** The jobs, oldest first (handover). */
  toArray(): StratumJob[] {
    return [...this.jobs.values()];
  }

  /** Handover: these jobs, oldest first, as another connection's RecentJobs held them (no clean_jobs rule replayed). */
  restore(jobs: readonly StratumJob[]): void {
    this.jobs.clear();
    for (const job of jobs.slice(-this.max)) this.jobs.set(job.jobId, job);
  }
}

/** A parsed mining.notify, or null when its params are malformed (the notify was still relayed). */
export function jobFromNotify(params: readonly unknown[]): StratumJob | null {
  try {
    return parseNotifyParams(params);
  } catch {
    return null;
  }
}

export interface ShareEvaluation {
  /** Real difficulty of the share's hash (0 when it could not be computed). */
  difficulty: number;
  meetsNetworkTarget: boolean;
}

/**
 * A submitted share kept unhashed in its pending request (SHARE_AUDIT=rejected): hashed only if
 * the pool rejects it. Holds references to strings the parser already made and to the job
 * object (kept alive even if a clean_jobs notify drops it from RecentJobs before the answer):
 * no bytes are copied at submit.
 */
export interface DeferredShare {
  readonly job: StratumJob;
  readonly extranonce1: string;
  readonly extranonce2: string;
  readonly ntime: string;
  readonly nonce: string;
  readonly versionBits: string | undefined;
  readonly versionMask: number | undefined;
}

/**
 * The share of a mining.submit, if its fields have the types hashing needs; null when the submit
 * or the connection state already makes it invalid (evaluateSubmit would return null).
 */
export function deferShare(job: StratumJob, extranonce1: string | null, params: readonly unknown[], versionMask: number | undefined): DeferredShare | null {
  const extranonce2 = params[2];
  const ntime = params[3];
  const nonce = params[4];
  const versionBits = params[5];
  if (extranonce1 === null || typeof extranonce2 !== 'string' || typeof ntime !== 'string' || typeof nonce !== 'string') return null;
  if (versionBits !== undefined && typeof versionBits !== 'string') return null;
  return { job, extranonce1, extranonce2, ntime, nonce, versionBits, versionMask };
}

/** evaluateSubmit for a deferred share. Never throws. */
export function evaluateDeferred(d: DeferredShare): ShareEvaluation | null {
  try {
    return auditor.audit(d.job, d.extranonce1, d.extranonce2, d.ntime, d.nonce, d.versionBits, d.versionMask);
  } catch {
    return null;
  }
}

// One per process: audits are synchronous, so its scratch memory is never shared by two at once.
const auditor = new ShareAuditor();

/**
 * Hashes a submitted share the way the pool will. `params` are mining.submit's
 * `[worker, jobId, extranonce2, ntime, nonce, versionBits?]`. Returns null when the submit or the
 * connection state is unusable (malformed hex, no extranonce1 seen): the caller counts it as invalid.
 * The returned object is reused by the next call: read it before evaluating another share.
 * Never throws.
 */
export function evaluateSubmit(
  job: StratumJob,
  extranonce1: string | null,
  params: readonly unknown[],
  versionMask: number | undefined,
): ShareEvaluation | null {
  if (extranonce1 === null) return null;
  const extranonce2 = params[2];
  const ntime = params[3];
  const nonce = params[4];
  const versionBits = params[5];
  if (typeof extranonce2 !== 'string' || typeof ntime !== 'string' || typeof nonce !== 'string') return null;
  if (versionBits !== undefined && typeof versionBits !== 'string') return null;
  try {
    // HOT PATH: ShareAuditor gives evaluateShare's difficulty and block flag bit for bit without
    // allocating (no Buffers, no result object); see share-auditor.ts in @stratum-relay/work.
    return auditor.audit(job, extranonce1, extranonce2, ntime, nonce, versionBits, versionMask);
  } catch {
    return null;
  }
}
