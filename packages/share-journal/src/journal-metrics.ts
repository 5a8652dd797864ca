import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JournalTable } from './journal-backend';

/** Seconds one batch takes to commit: a few ms normally, seconds when the database struggles. */
export const WRITE_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The journal's own metrics, on the service's registry. With WORKERS > 1 the primary sums each
 * over the workers (counters, histogram and the queue gauge: every worker has its own queue).
 */
export interface JournalMetrics {
  /** Rows committed, per table. */
  readonly rows: Record<JournalTable, { inc(n: number): void }>;
  readonly dropped: { inc(n: number): void };
  readonly writeSeconds: { observe(seconds: number): void };
}

/** Registers stratum_journal_* on `registry`; the queue gauge reads `queued()` at scrape time. */
export function createJournalMetrics(registry: Registry, queued: () => number): JournalMetrics {
  const rows = new Counter({
    name: 'stratum_journal_rows_total',
    help: 'Rows written to the share journal, by table (shares: one per mining.submit once its fate is known; connections: one per closed connection).',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'stratum_journal_dropped_total',
    help: 'Journal rows dropped because the queue was full (SHARE_JOURNAL_MAX_QUEUE) while the database was slow or away, or still queued when shutdown gave up.',
    registers: [registry],
  });
  const writeSeconds = new Histogram({
    name: 'stratum_journal_write_seconds',
    help: 'Time to write one batch of journal rows (one transaction), successful or not.',
    buckets: WRITE_SECONDS_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'stratum_journal_queue',
    help: 'Journal rows waiting to be written.',
    registers: [registry],
    aggregator: 'sum',
    collect() {
      this.set(queued());
    },
  });
  const shares = rows.labels({ table: 'shares' });
  const connections = rows.labels({ table: 'connections' });
  // Both series exist from the first scrape: rate() and alerts need the zeros.
  shares.inc(0);
  connections.inc(0);
  dropped.inc(0);
  return { rows: { shares, connections }, dropped, writeSeconds };
}
