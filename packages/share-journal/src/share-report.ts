import type { StoredShare } from './journal-rows';

export const REPORT_GROUPINGS = ['worker', 'pool', 'hour'] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

/** What one group of shares (a worker, a pool, an hour, or all of them) tells the pool operator. */
export interface ReportGroup {
  readonly key: string;
  readonly shares: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly timeouts: number;
  readonly lost: number;
  /** Sum of the difficulty in force of the accepted shares. */
  readonly acceptedDifficulty: number;
  /** acceptedDifficulty × 2^32 / the group's window in seconds: the hashrate the pool should credit, H/s. */
  readonly hashrate: number;
  /** Answer latency of the answered shares (accepted or rejected), ms; null without any. */
  readonly latencyMedianMs: number | null;
  readonly latencyP99Ms: number | null;
  /** The audit's disagreements with the pool: row ids of valid shares it rejected … */
  readonly validRejected: readonly number[];
  /** … and of invalid shares it accepted. */
  readonly invalidAccepted: readonly number[];
  /** Row ids of shares that met the network target. */
  readonly blockCandidates: readonly number[];
}

export interface ShareReport {
  /** Wall-clock ms the report covers: from --since (or the oldest share) to now. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly by: ReportGrouping | null;
  readonly groups: readonly ReportGroup[];
  readonly total: ReportGroup;
}

const HOUR_MS = 3_600_000;
const TWO_32 = 4_294_967_296;

class GroupTally {
  shares = 0;
  accepted = 0;
  rejected = 0;
  readonly rejectedByReason: Record<string, number> = {};
  timeouts = 0;
  lost = 0;
  acceptedDifficulty = 0;
  latencies: number[] = [];
  readonly validRejected: number[] = [];
  readonly invalidAccepted: number[] = [];
  readonly blockCandidates: number[] = [];

  add(row: StoredShare): void {
    this.shares++;
    switch (row.result) {
      case 'accepted':
        this.accepted++;
        this.acceptedDifficulty += row.difficulty;
        break;
      case 'rejected': {
        this.rejected++;
        const reason = row.reason ?? 'other';
        this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + 1;
        break;
      }
      case 'timeout':
        this.timeouts++;
        break;
      case 'lost':
        this.lost++;
        break;
    }
    if ((row.result === 'accepted' || row.result === 'rejected') && row.latencyMs !== null) this.latencies.push(row.latencyMs);
    if (row.audit === 'valid_rejected') this.validRejected.push(row.id);
    else if (row.audit === 'invalid_accepted') this.invalidAccepted.push(row.id);
    if (row.blockCandidate) this.blockCandidates.push(row.id);
  }

  finish(key: string, windowMs: number): ReportGroup {
    const sorted = Float64Array.from(this.latencies).sort();
    return {
      key,
      shares: this.shares,
      accepted: this.accepted,
      rejected: this.rejected,
      rejectedByReason: { ...this.rejectedByReason },
      timeouts: this.timeouts,
      lost: this.lost,
      acceptedDifficulty: this.acceptedDifficulty,
      hashrate: windowMs > 0 ? (this.acceptedDifficulty * TWO_32) / (windowMs / 1000) : 0,
      latencyMedianMs: percentile(sorted, 0.5),
      latencyP99Ms: percentile(sorted, 0.99),
      validRejected: this.validRejected,
      invalidAccepted: this.invalidAccepted,
      blockCandidates: this.blockCandidates,
    };
  }
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/**
 * Folds shares (any order) into per-group figures. Pure: the CLI streams rows from the database
 * into `add` and prints `finish`'s result.
 */
export class ShareReportBuilder {
  private readonly groups = new Map<string, GroupTally>();
  private readonly total = new GroupTally();
  private oldest = Infinity;

  constructor(
    private readonly by: ReportGrouping | null,
    /** The start of the range asked for (--since), or null: from the oldest share. */
    private readonly sinceMs: number | null,
  ) {}

  add(row: StoredShare): void {
    this.total.add(row);
    if (row.time < this.oldest) this.oldest = row.time;
    if (this.by === null) return;
    const key = this.by === 'worker' ? (row.worker ?? '(none)') : this.by === 'pool' ? row.pool : hourKey(row.time);
    let tally = this.groups.get(key);
    if (tally === undefined) {
      tally = new GroupTally();
      this.groups.set(key, tally);
    }
    tally.add(row);
  }

  finish(nowMs: number): ShareReport {
    const fromMs = this.sinceMs ?? (Number.isFinite(this.oldest) ? this.oldest : nowMs);
    const window = nowMs - fromMs;
    const groups = [...this.groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, tally]) => {
        if (this.by !== 'hour') return tally.finish(key, window);
        // An hour counts only the part of it inside the range (the first and the current one are partial).
        const start = Date.parse(key);
        return tally.finish(key, Math.min(start + HOUR_MS, nowMs) - Math.max(start, fromMs));
      });
    return { fromMs, toMs: nowMs, by: this.by, groups, total: this.total.finish('total', window) };
  }
}

function hourKey(ms: number): string {
  return `${new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13)}:00Z`;
}
