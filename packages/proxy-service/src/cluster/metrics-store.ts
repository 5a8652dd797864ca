import { aggregateSnapshots, labelProcessMetrics, RetiredTotals, type FamilySnapshot } from '@stratum-relay/metrics';
import type { Registry } from 'prom-client';
import type { MetricsSnapshot } from './messages';

interface LiveSnapshot {
  readonly seq: number;
  readonly families: FamilySnapshot[];
}

/**
 * The primary's view of its workers' metrics: the newest snapshot of each live worker, and what
 * the workers that are gone counted.
 *
 * Counters never go backwards on the merged /metrics when a worker is replaced: every snapshot
 * the primary merges and serves is first stored as that worker's newest, and when the worker is
 * gone that stored snapshot joins the retired totals, so what was once served stays counted.
 * What a crashed worker counted after its last snapshot is lost; a worker that retires
 * gracefully sends a final one after its last connection closed, so nothing is.
 */
export class MetricsStore {
  private readonly live = new Map<number, LiveSnapshot>();
  private readonly retired = new RetiredTotals();

  /**
   * A worker's snapshot, its process metrics labelled `process="<processName>"`. An older one
   * than stored (answers crossing on the channel) is dropped. Returns whether it was kept.
   */
  update(workerId: number, processName: string, snapshot: MetricsSnapshot): boolean {
    const current = this.live.get(workerId);
    if (current !== undefined && current.seq >= snapshot.seq) return false;
    this.live.set(workerId, { seq: snapshot.seq, families: labelProcessMetrics(snapshot.families, processName) });
    return true;
  }

  /** The worker is gone: its newest snapshot's counters and histograms are kept, its gauges dropped. */
  retire(workerId: number): void {
    const last = this.live.get(workerId);
    this.live.delete(workerId);
    if (last !== undefined) this.retired.add(last.families);
  }

  /** Whether a snapshot of this worker is stored. */
  has(workerId: number): boolean {
    return this.live.has(workerId);
  }

  /**
   * One registry to serve: the live workers (in id order: their help texts and aggregators come
   * first), the primary's own families, then the retired totals. `only`: just these families
   * (the /ui farm view reads a dozen of them; merging every worker series for it would cost a
   * whole /metrics each time).
   */
  aggregate(primary: readonly FamilySnapshot[], only?: ReadonlySet<string>): Registry {
    const pick = (families: readonly FamilySnapshot[]): readonly FamilySnapshot[] => (only === undefined ? families : families.filter((f) => only.has(f.name)));
    const workers = [...this.live.entries()].sort(([a], [b]) => a - b).map(([, s]) => pick(s.families));
    return aggregateSnapshots([...workers, pick(primary), pick(this.retired.snapshot())]);
  }
}
