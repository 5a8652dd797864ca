import type { Registry } from 'prom-client';
import { hashrateOf } from '../trace/connection-details';

/** What the farm view shows at one moment, read from the metrics (so a cluster primary reads its merged registry the same way). */
export interface FarmTotals {
  /** Wall-clock ms. */
  readonly t: number;
  readonly accepted: number;
  readonly acceptedDifficulty: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly blockCandidates: number;
  readonly bestShare: number;
  readonly auditVerdicts: Readonly<Record<string, number>>;
  /** Open miner connections. */
  readonly connections: number;
  /** Connections refused before they were relayed, by reason. */
  readonly refusals: Readonly<Record<string, number>>;
  readonly pools: readonly FarmPool[];
}

export interface FarmPool {
  readonly name: string;
  readonly state: 'up' | 'down' | 'unknown';
  /** 0 = primary. */
  readonly priority: number;
  readonly miners: number;
  readonly failovers: number;
}

/** The farm view: totals, hashrate over 1 and 10 minutes, and the last hour as a series. */
export interface FarmSummary extends FarmTotals {
  /** H/s from the accepted difficulty of the last 60 s / 600 s (as much of it as is sampled). */
  readonly hashrate1m: number;
  readonly hashrate10m: number;
  /** rejected / (accepted + rejected), 0 before any share. */
  readonly rejectRatio: number;
  /** Some miners are on a pool other than the primary, or the primary is down. */
  readonly failover: boolean;
  readonly history: readonly HistoryPoint[];
}

export interface HistoryPoint {
  readonly t: number;
  /** H/s over the interval ending at t. */
  readonly hashrate: number;
  /** Rejected shares in the interval ending at t. */
  readonly rejects: number;
  readonly accepted: number;
}

type Values = Array<{ value: number; labels: Record<string, string | number> }>;

async function values(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const got = (await metric.get()) as { values?: Values };
  return got.values ?? [];
}

function sum(vs: Values): number {
  let total = 0;
  for (const v of vs) if (Number.isFinite(v.value)) total += v.value;
  return total;
}

function byLabel(vs: Values, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of vs) {
    const key = String(v.labels[label] ?? '');
    if (Number.isFinite(v.value) && v.value !== 0) out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

/** The metric families the farm view reads (in readFarmTotals' order): a cluster primary merges only these for it. */
export const FARM_FAMILIES = [
  'stratum_accepted_shares_total',
  'stratum_accepted_difficulty_total',
  'stratum_rejected_shares_total',
  'stratum_block_candidates_total',
  'stratum_best_share_difficulty',
  'stratum_share_audit_total',
  'stratum_active_connections',
  'stratum_connections_rejected_total',
  'stratum_pool_up',
  'stratum_pool_priority',
  'stratum_pool_miners',
  'stratum_pool_failovers_total',
] as const;

/** The farm's totals from a registry (a process's own, or a cluster primary's merge). */
export async function readFarmTotals(registry: Registry, now: number): Promise<FarmTotals> {
  const [accepted, acceptedDifficulty, rejected, blocks, best, audit, active, refused, up, priority, miners, failovers] = (await Promise.all(
    FARM_FAMILIES.map((name) => values(registry, name)),
  )) as [Values, Values, Values, Values, Values, Values, Values, Values, Values, Values, Values, Values];
  const upBy = byLabelAll(up, 'pool_host');
  const priorityBy = byLabelAll(priority, 'pool_host');
  const minersBy = byLabelAll(miners, 'pool_host');
  const failoversBy = byLabelAll(failovers, 'pool_host');
  const pools: FarmPool[] = Object.keys(priorityBy)
    .map((name) => {
      const u = upBy[name];
      return {
        name,
        state: u === undefined || Number.isNaN(u) ? ('unknown' as const) : u > 0 ? ('up' as const) : ('down' as const),
        priority: priorityBy[name] ?? 0,
        miners: minersBy[name] ?? 0,
        failovers: failoversBy[name] ?? 0,
      };
    })
    .sort((a, b) => a.priority - b.priority);
  let bestShare = 0;
  for (const v of best) if (Number.isFinite(v.value) && v.value > bestShare) bestShare = v.value;
  return {
    t: now,
    accepted: sum(accepted),
    acceptedDifficulty: sum(acceptedDifficulty),
    rejected: sum(rejected),
    rejectedByReason: byLabel(rejected, 'reason'),
    blockCandidates: sum(blocks),
    bestShare,
    auditVerdicts: byLabel(audit, 'verdict'),
    connections: sum(active),
    refusals: byLabel(refused, 'reason'),
    pools,
  };
}

/** Like byLabel, zeros kept (a pool with no miner is still a pool). Gauges summed over processes are averaged where that is what they mean (up, priority). */
function byLabelAll(vs: Values, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of vs) {
    const key = String(v.labels[label] ?? '');
    out[key] = Math.max(out[key] ?? -Infinity, v.value);
  }
  return out;
}

/** Whether the farm runs on a backup pool: the primary is down, or a lower-priority pool has miners. */
export function inFailover(pools: readonly FarmPool[]): boolean {
  const primary = pools.find((p) => p.priority === 0);
  return (primary !== undefined && primary.state === 'down') || pools.some((p) => p.priority > 0 && p.miners > 0);
}

/** A point of the in-memory history: the totals at a time. */
interface Sample {
  readonly t: number;
  readonly acceptedDifficulty: number;
  readonly accepted: number;
  readonly rejected: number;
}

/** Samples kept: one hour at the default 10 s interval. */
export const HISTORY_SAMPLES = 360;

/**
 * The last hour of the farm's totals, one sample per interval, in memory (a ring of HISTORY_SAMPLES):
 * the hashrate over 1 and 10 minutes and the chart come from differences between samples. A total
 * that went down (a process restarted without its counts) counts as 0 for that interval.
 */
export class FarmHistory {
  private readonly samples: Sample[] = [];

  constructor(private readonly capacity = HISTORY_SAMPLES) {}

  add(totals: FarmTotals): void {
    this.samples.push({ t: totals.t, acceptedDifficulty: totals.acceptedDifficulty, accepted: totals.accepted, rejected: totals.rejected });
    if (this.samples.length > this.capacity) this.samples.shift();
  }

  /** H/s from the accepted difficulty between the latest totals and the sample `windowMs` before (or the oldest one). */
  hashrate(current: FarmTotals, windowMs: number): number {
    let base: Sample | undefined;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const s = this.samples[i] as Sample;
      if (s.t >= current.t) continue;
      base = s;
      if (current.t - s.t >= windowMs) break;
    }
    if (base === undefined) return 0;
    return hashrateOf(Math.max(0, current.acceptedDifficulty - base.acceptedDifficulty), current.t - base.t);
  }

  points(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1] as Sample;
      const b = this.samples[i] as Sample;
      out.push({
        t: b.t,
        hashrate: hashrateOf(Math.max(0, b.acceptedDifficulty - a.acceptedDifficulty), b.t - a.t),
        rejects: Math.max(0, b.rejected - a.rejected),
        accepted: Math.max(0, b.accepted - a.accepted),
      });
    }
    return out;
  }

  summary(current: FarmTotals): FarmSummary {
    const shares = current.accepted + current.rejected;
    return {
      ...current,
      hashrate1m: this.hashrate(current, 60_000),
      hashrate10m: this.hashrate(current, 600_000),
      rejectRatio: shares === 0 ? 0 : current.rejected / shares,
      failover: inFailover(current.pools),
      history: this.points(),
    };
  }
}
