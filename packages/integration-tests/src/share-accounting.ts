import { SHARE_REJECT_REASONS, type ShareRejectReason } from '@stratum-relay/metrics';
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

/** The share counters of one `client_id` in a /metrics scrape (a missing series counts 0). */
export function proxyWorkerTally(samples: MetricSamples, clientId: string): ProxyWorkerTally {
  const f = { client_id: clientId };
  const rejected = emptyRejects();
  for (const r of SHARE_REJECT_REASONS) rejected[r] = samples.sum('stratum_rejected_shares_total', { ...f, reason: r });
  return {
    submits: samples.sum('stratum_submits_total', f),
    accepted: samples.sum('stratum_accepted_shares_total', f),
    timeouts: samples.sum('stratum_submit_timeouts_total', f),
    acceptedDifficulty: samples.sum('stratum_accepted_difficulty_total', f),
    rejected,
  };
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

/** Sum of the proxy's share counters over every `client_id`. */
export function proxyTotals(samples: MetricSamples): ProxyWorkerTally {
  const rejected = emptyRejects();
  for (const r of SHARE_REJECT_REASONS) rejected[r] = samples.sum('stratum_rejected_shares_total', { reason: r });
  return {
    submits: samples.sum('stratum_submits_total'),
    accepted: samples.sum('stratum_accepted_shares_total'),
    timeouts: samples.sum('stratum_submit_timeouts_total'),
    acceptedDifficulty: samples.sum('stratum_accepted_difficulty_total'),
    rejected,
  };
}

/** Only `accepted` and `rejected` of a richer record (pool-sim's WorkerStats, miner-sim's counters). */
export function shareTally(t: { accepted: number; rejected?: unknown; rejectedByReason?: Record<string, number> }): ShareTally {
  const source = (t.rejectedByReason ?? t.rejected) as Partial<Record<string, number>> | undefined;
  const rejected = emptyRejects();
  for (const r of SHARE_REJECT_REASONS) rejected[r] = source?.[r] ?? 0;
  return { accepted: t.accepted, rejected };
}
