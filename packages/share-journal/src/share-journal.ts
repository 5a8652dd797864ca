import { performance } from 'node:perf_hooks';
import type { JournalBackend, JournalBatch } from './journal-backend';
import type { JournalMetrics } from './journal-metrics';
import type { ConnectionRow, JournalSink, ShareRow } from './journal-rows';
import { RetryBackoff } from './retry-backoff';

/** What the journal tells the operator (pino's shape, loosely typed to keep this package free of the logger). */
export interface JournalLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ShareJournalOptions {
  readonly backend: JournalBackend;
  readonly metrics?: JournalMetrics | null;
  readonly log?: JournalLog | null;
  /** Rows waiting at most (SHARE_JOURNAL_MAX_QUEUE), the batch being written included; more are dropped and counted. */
  readonly maxQueue: number;
  /** A batch is written every this many ms (default 100) … */
  readonly flushIntervalMs?: number;
  /** … or as soon as this many rows wait (default 1,000), at most this many per transaction. */
  readonly batchRows?: number;
  /** Retry delays while the database fails (default 100 ms doubling to 5 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Rows older than this many days are deleted in the background (SHARE_JOURNAL_RETENTION_DAYS); null keeps everything. */
  readonly retentionDays: number | null;
  /** How often the retention prune runs (default hourly; also once when the journal is first ready). */
  readonly pruneIntervalMs?: number;
  /** Rows per DELETE of the prune (default 1,000: short transactions, the loop is never held long). */
  readonly pruneChunkRows?: number;
  /** Wall clock in ms (default Date.now). */
  readonly now?: () => number;
}

export interface JournalCloseResult {
  /** Rows written by close() itself (what was still queued). */
  readonly flushed: number;
  /** Rows given up because the database did not take them before the deadline (also in stratum_journal_dropped_total). */
  readonly dropped: number;
}

const DAY_MS = 86_400_000;
/** While the database keeps failing, one warning per this long (plus the first and the recovery). */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * The share journal's writer. The relay's collector hands it rows (JournalSink: synchronous,
 * O(1), never throws); they wait in a bounded queue and are written in batches — every
 * `flushIntervalMs` or as soon as `batchRows` wait — one transaction per batch, one batch at a
 * time. A full queue drops new rows and counts them: the relay is never slowed, blocked or broken
 * by its database. A failing database (restarted, locked, away) is retried with backoff while the
 * queue holds; the batch that failed stays at the head, so rows are written in order and once.
 */
export class ShareJournal implements JournalSink {
  private readonly backend: JournalBackend;
  private readonly metrics: JournalMetrics | null;
  private readonly log: JournalLog | null;
  private readonly maxQueue: number;
  private readonly flushIntervalMs: number;
  private readonly batchRows: number;
  private readonly retentionDays: number | null;
  private readonly pruneIntervalMs: number;
  private readonly pruneChunkRows: number;
  private readonly now: () => number;
  private readonly backoff: RetryBackoff;

  private shares: ShareRow[] = [];
  private connections: ConnectionRow[] = [];
  /** Rows of the batch being written (they still count against maxQueue and in the gauge). */
  private inflightRows = 0;
  private inflight: Promise<void> | null = null;
  private kickScheduled = false;
  /** No attempt before this wall-clock ms (backoff after a failure). */
  private retryAt = 0;
  private migrated = false;
  private closing = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private pruning: Promise<number> | null = null;
  private failingSince: number | null = null;
  private lastFailureLog = 0;

  /** Rows committed since start, and rows dropped (overflow, or given up at close). */
  written = 0;
  dropped = 0;

  constructor(options: ShareJournalOptions) {
    this.backend = options.backend;
    this.metrics = options.metrics ?? null;
    this.log = options.log ?? null;
    this.maxQueue = Math.max(1, options.maxQueue);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.batchRows = Math.max(1, options.batchRows ?? 1000);
    this.retentionDays = options.retentionDays;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 3_600_000;
    this.pruneChunkRows = Math.max(1, options.pruneChunkRows ?? 1000);
    this.now = options.now ?? Date.now;
    this.backoff = new RetryBackoff(options.retryMinMs ?? 100, options.retryMaxMs ?? 5000);
  }

  /** Rows waiting, the batch being written included (stratum_journal_queue). */
  get queued(): number {
    return this.shares.length + this.connections.length + this.inflightRows;
  }

  /** The schema is in place and batches are being written (false while the database was never reached). */
  get ready(): boolean {
    return this.migrated;
  }

  /** Starts the flush timer and the first attempt to migrate (which is retried like any write). */
  start(): void {
    if (this.timer !== null || this.closing) return;
    this.timer = setInterval(() => this.tick(), this.flushIntervalMs);
    this.timer.unref();
    this.tick();
  }

  share(row: ShareRow): void {
    if (this.admit()) {
      this.shares.push(row);
      this.afterAdd();
    }
  }

  connection(row: ConnectionRow): void {
    if (this.admit()) {
      this.connections.push(row);
      this.afterAdd();
    }
  }

  /** Writes what is queued now (tests, and the final flush); resolves when it is written or failed once. */
  async flush(): Promise<void> {
    if (this.inflight !== null) await this.inflight;
    while (this.shares.length + this.connections.length > 0 && !this.closed) {
      const before = this.written;
      await this.kick(true);
      if (this.written === before) return;
    }
  }

  /**
   * Stops taking rows and writes everything queued, retrying a failing database until
   * `deadlineMs` from now; what is still queued then is dropped and counted. Then closes the
   * database. SIGTERM ends here: after a clean stop, rows written = rows handed over.
   */
  async close(deadlineMs = 10_000): Promise<JournalCloseResult> {
    if (this.closed) return { flushed: 0, dropped: 0 };
    this.closing = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.pruneTimer !== null) clearInterval(this.pruneTimer);
    this.timer = null;
    this.pruneTimer = null;
    const before = this.written;
    const deadline = this.now() + deadlineMs;
    if (this.pruning !== null) await this.pruning.catch(() => 0);
    if (this.inflight !== null) await this.inflight;
    while (this.shares.length + this.connections.length > 0 && this.now() < deadline) {
      const wait = Math.min(this.retryAt - this.now(), deadline - this.now());
      if (wait > 0) await delay(wait);
      await this.kick(true);
    }
    const left = this.shares.length + this.connections.length;
    if (left > 0) {
      this.countDropped(left);
      this.log?.warn({ dropped: left }, 'share journal: the database did not take the last rows before the shutdown deadline; dropped');
    }
    this.shares = [];
    this.connections = [];
    this.closed = true;
    await this.backend.close().catch(() => undefined);
    return { flushed: this.written - before, dropped: left };
  }

  /**
   * Deletes rows older than the retention, a chunk per transaction, yielding between chunks.
   * Returns how many were deleted. Runs hourly on its own; never concurrently with itself.
   */
  pruneNow(): Promise<number> {
    if (this.pruning !== null) return this.pruning;
    const days = this.retentionDays;
    if (days === null || !this.migrated) return Promise.resolve(0);
    const run = async (): Promise<number> => {
      const before = this.now() - days * DAY_MS;
      let total = 0;
      for (;;) {
        const n = await this.backend.pruneChunk(before, this.pruneChunkRows);
        total += n;
        if (n < this.pruneChunkRows || this.closing) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (total > 0) this.log?.info({ deleted: total, retention_days: days }, 'share journal: old rows pruned');
      return total;
    };
    this.pruning = run().finally(() => {
      this.pruning = null;
    });
    return this.pruning;
  }

  private admit(): boolean {
    if (this.closed || this.queued >= this.maxQueue) {
      this.countDropped(1);
      return false;
    }
    return true;
  }

  private afterAdd(): void {
    // A full batch goes now, not at the next tick; never from inside the relay's own call stack.
    if (this.kickScheduled || this.shares.length + this.connections.length < this.batchRows || this.inflight !== null) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      if (!this.closing && this.now() >= this.retryAt) void this.kick(false);
    });
  }

  private tick(): void {
    if (this.closing || this.now() < this.retryAt) return;
    if (!this.migrated || this.shares.length + this.connections.length > 0) void this.kick(false);
  }

  /** One writing run at a time; never rejects. */
  private kick(all: boolean): Promise<void> {
    if (this.inflight === null) {
      this.inflight = this.run(all).then(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async run(all: boolean): Promise<void> {
    if (!this.migrated) {
      try {
        const applied = await this.backend.migrate();
        this.migrated = true;
        this.log?.info({ dialect: this.backend.dialect, migrations_applied: applied }, 'share journal ready');
        this.startPruning();
      } catch (error) {
        this.failed(error, 'migrate');
        return;
      }
    }
    while (this.shares.length + this.connections.length > 0) {
      const batch = this.take();
      const started = performance.now();
      try {
        await this.backend.write(batch);
      } catch (error) {
        this.metrics?.writeSeconds.observe((performance.now() - started) / 1000);
        this.putBack(batch);
        this.failed(error, 'write');
        return;
      } finally {
        this.inflightRows = 0;
      }
      this.metrics?.writeSeconds.observe((performance.now() - started) / 1000);
      this.written += batch.shares.length + batch.connections.length;
      if (batch.shares.length > 0) this.metrics?.rows.shares.inc(batch.shares.length);
      if (batch.connections.length > 0) this.metrics?.rows.connections.inc(batch.connections.length);
      this.succeeded();
      // A partial batch waits for the next tick (that is the batching); a backlog goes on, one
      // transaction after another, yielding in between so a synchronous driver never holds the loop.
      if (!all && this.shares.length + this.connections.length < this.batchRows) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private take(): JournalBatch {
    let shares: ShareRow[];
    if (this.shares.length <= this.batchRows) {
      shares = this.shares;
      this.shares = [];
    } else shares = this.shares.splice(0, this.batchRows);
    const room = this.batchRows - shares.length;
    let connections: ConnectionRow[];
    if (room <= 0) connections = [];
    else if (this.connections.length <= room) {
      connections = this.connections;
      this.connections = [];
    } else connections = this.connections.splice(0, room);
    this.inflightRows = shares.length + connections.length;
    return { shares, connections };
  }

  /** A batch that failed goes back to the head: written first, in order, when the database is back. */
  private putBack(batch: JournalBatch): void {
    if (batch.shares.length > 0) this.shares = (batch.shares as ShareRow[]).concat(this.shares);
    if (batch.connections.length > 0) this.connections = (batch.connections as ConnectionRow[]).concat(this.connections);
  }

  private failed(error: unknown, phase: 'migrate' | 'write'): void {
    const delayMs = this.backoff.fail();
    const now = this.now();
    this.retryAt = now + delayMs;
    if (this.failingSince === null) this.failingSince = now;
    if (this.backoff.failures === 1 || now - this.lastFailureLog >= FAILURE_LOG_INTERVAL_MS) {
      this.lastFailureLog = now;
      this.log?.warn(
        { err: error, phase, failures: this.backoff.failures, queued: this.queued, retry_in_ms: delayMs },
        'share journal: the database failed; rows wait in the queue and the write is retried (the relay is not affected)',
      );
    }
  }

  private succeeded(): void {
    if (this.failingSince !== null) {
      this.log?.info({ failures: this.backoff.failures, down_ms: this.now() - this.failingSince, queued: this.queued }, 'share journal: writing resumed');
      this.failingSince = null;
    }
    this.backoff.succeed();
    this.retryAt = 0;
  }

  private startPruning(): void {
    if (this.retentionDays === null || this.closing) return;
    const prune = (): void => {
      this.pruneNow().catch((error: unknown) => this.log?.warn({ err: error }, 'share journal: pruning old rows failed; retried at the next interval'));
    };
    this.pruneTimer = setInterval(prune, this.pruneIntervalMs);
    this.pruneTimer.unref();
    prune();
  }

  private countDropped(n: number): void {
    this.dropped += n;
    this.metrics?.dropped.inc(n);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
