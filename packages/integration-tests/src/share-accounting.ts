import { SHARE_REJECT_REASONS, type ShareRejectReason } from '@stratum-relay/metrics';
import type { PoolStats } from '@stratum-relay/pool-sim';
import type { MetricSamples } from './prometheus-text';

export { SHARE_REJECT_REASONS };
export type { ShareRejectReason };

/** What one worker's shares came to, in the same shape for the proxy, the pool and the miners. */
export interface ShareTally {
  accepted: number;
  rejected: Record<ShareRejectReason, number>;
}

/** The proxy's view of one `client_id`, from one scrape. */
export interface ProxyWorkerTally extends ShareTally {
  submits: number;
  timeouts: number;
  acceptedDifficulty: number;
  /** Answers that came after the submit timeout (also in accepted/rejected). */
  lateAnswers: number;
  /** Submits still unanswered when their connection closed. */
  lost: number;
}

export function emptyRejects(): Record<ShareRejectReason, number> {
  const out = {} as Record<ShareRejectReason, number>;
  for (const r of SHARE_REJECT_REASONS) out[r] = 0;
  return out;
}

export function rejectedTotal(t: ShareTally): number {
  let n = 0;
  for (const r of SHARE_REJECT_REASONS) n += t.rejected[r];
  return n;
}

function tallyOf(samples: MetricSamples, f: Readonly<Record<string, string>>): ProxyWorkerTally {
  const rejected = emptyRejects();
  for (const r of SHARE_REJECT_REASONS) rejected[r] = samples.sum('stratum_rejected_shares_total', { ...f, reason: r });
  return {
    submits: samples.sum('stratum_submits_total', f),
    accepted: samples.sum('stratum_accepted_shares_total', f),
    timeouts: samples.sum('stratum_submit_timeouts_total', f),
    acceptedDifficulty: samples.sum('stratum_accepted_difficulty_total', f),
    lateAnswers: samples.sum('stratum_late_answers_total', f),
    lost: samples.sum('stratum_submits_lost_total', f),
    rejected,
  };
}

/**
 * The share counters of one `client_id` in a /metrics scrape (a missing series counts 0), over
 * every pool, or on the pool named `poolHost` only (a miner that moved between pools has series
 * on each).
 */
export function proxyWorkerTally(samples: MetricSamples, clientId: string, poolHost?: string): ProxyWorkerTally {
  return tallyOf(samples, poolHost === undefined ? { client_id: clientId } : { client_id: clientId, pool_host: poolHost });
}

/** Every `client_id` with share series in the scrape. */
export function proxyClientIds(samples: MetricSamples): string[] {
  const ids = new Set<string>([
    ...samples.labelValues('stratum_submits_total', 'client_id'),
    ...samples.labelValues('stratum_accepted_shares_total', 'client_id'),
    ...samples.labelValues('stratum_rejected_shares_total', 'client_id'),
  ]);
  return [...ids].sort();
}

/** Sum of the proxy's share counters over every `client_id`, on every pool or on the pool named `poolHost`. */
export function proxyTotals(samples: MetricSamples, poolHost?: string): ProxyWorkerTally {
  return tallyOf(samples, poolHost === undefined ? {} : { pool_host: poolHost });
}

/** One worker's ground truth at a pool: what it answered, and the answers it judged but never sent. */
export interface PoolWorkerTally extends ShareTally {
  acceptedDifficulty: number;
  dropped: number;
}

/**
 * The per-worker ground truth of one pool over several lifetimes: a pool-sim process that was
 * stopped and started again on the same port counts from zero, so a test that restarts a pool
 * passes the /stats of each lifetime and gets their sum.
 */
export function poolWorkerTallies(...lifetimes: readonly PoolStats[]): Map<string, PoolWorkerTally> {
  const out = new Map<string, PoolWorkerTally>();
  for (const stats of lifetimes) {
    for (const [worker, w] of Object.entries(stats.workers)) {
      const t = out.get(worker) ?? { accepted: 0, acceptedDifficulty: 0, dropped: 0, rejected: emptyRejects() };
      const add = shareTally(w);
      t.accepted += add.accepted;
      t.acceptedDifficulty += w.acceptedDifficulty;
      t.dropped += w.dropped;
      for (const r of SHARE_REJECT_REASONS) t.rejected[r] += add.rejected[r];
      out.set(worker, t);
    }
  }
  return out;
}

/** Only `accepted` and `rejected` of a richer record (pool-sim's WorkerStats, miner-sim's counters). */
export function shareTally(t: { accepted: number; rejected?: unknown; rejectedByReason?: Record<string, number> }): ShareTally {
  const source = (t.rejectedByReason ?? t.rejected) as Partial<Record<string, number>> | undefined;
  const rejected = emptyRejects();
  for (const r of SHARE_REJECT_REASONS) rejected[r] = source?.[r] ?? 0;
  return { accepted: t.accepted, rejected };
}
