import type { Config } from '@stratum-relay/config';
import type { Registry } from 'prom-client';
import type { ConnectionDetails } from '../trace/connection-details';
import type { TraceEntry } from '../trace/connection-trace';
import type { TraceStore } from '../trace/trace-store';
import { buildDebugBundle, type DebugBundle } from './debug-bundle';
import { FarmHistory, readFarmTotals, type FarmSummary } from './farm-summary';
import type { ProcessView, TraceAnswer, TraceQuery } from './process-view';

/** How often the farm's totals are sampled for the hashrate and the hour's chart, and pushed to /api/events. */
export const FARM_SAMPLE_MS = 10_000;

/**
 * New lines of a watched connection, as they pass (batched). `skipped`: older lines of the same
 * batch left out to keep it bounded (TRACE_BATCH_MAX_LINES); 0 or absent when none.
 */
export type TraceBatchListener = (connectionId: number, entries: TraceEntry[], skipped?: number) => void;

/**
 * Worker processes (node:cluster ids, as on /status) whose part is missing from an answer: they
 * did not answer within the primary's request timeout. Always empty for a single process.
 */
export interface WorkersMissing {
  readonly missingWorkers: readonly number[];
}

/** /api/connections: open connections, then the recently closed ones. */
export interface ConnectionList extends WorkersMissing {
  readonly connections: ConnectionDetails[];
}

/** /api/debug/bundle: null when no process that answered knows the connection (never was, or expired). */
export interface BundleAnswer extends WorkersMissing {
  readonly bundle: DebugBundle | null;
}

/**
 * What /api/* and /ui ask: answered by one process (LocalUiSource) or, with WORKERS > 1, by the
 * primary asking every worker and merging (cluster/primary-ui-source.ts).
 */
export interface UiSource {
  connections(): Promise<ConnectionList>;
  trace(query: TraceQuery): Promise<TraceAnswer & WorkersMissing>;
  bundle(connectionId: number): Promise<BundleAnswer>;
  farm(): Promise<FarmSummary>;
  /** Follow one connection's new lines; returns the unsubscribe function. */
  watch(connectionId: number, listener: TraceBatchListener): () => void;
}

/** Most lines of one connection in one batch: a miner flooding lines cannot make a batch (an SSE event, an IPC message) grow without bound. */
export const TRACE_BATCH_MAX_LINES = 500;

/**
 * Batches a watched connection's lines for a moment before handing them on: a busy miner's
 * lines reach a browser (or the primary, over IPC) as one message per batch, not one per line.
 * A batch keeps the newest `maxLines` lines of each connection and counts the older ones it
 * dropped.
 */
export class TraceBatcher {
  private readonly pending = new Map<number, { entries: TraceEntry[]; skipped: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliver: TraceBatchListener,
    private readonly delayMs = 200,
    private readonly maxLines = TRACE_BATCH_MAX_LINES,
  ) {}

  add(connectionId: number, entry: TraceEntry): void {
    let batch = this.pending.get(connectionId);
    if (batch === undefined) {
      batch = { entries: [], skipped: 0 };
      this.pending.set(connectionId, batch);
    }
    batch.entries.push(entry);
    if (batch.entries.length > this.maxLines) {
      batch.entries.shift();
      batch.skipped++;
    }
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.delayMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [id, batch] of batches) this.deliver(id, batch.entries, batch.skipped);
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}

/** Samples a registry's farm totals every FARM_SAMPLE_MS into a FarmHistory. */
export class FarmSampler {
  readonly history = new FarmHistory();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: () => Promise<Registry>,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs = FARM_SAMPLE_MS): void {
    if (this.timer !== null) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes a sample now; failures are skipped (the next interval tries again). */
  async sample(): Promise<void> {
    try {
      this.history.add(await readFarmTotals(await this.registry(), this.now()));
    } catch {
      // A scrape that failed leaves a gap in the chart, nothing else.
    }
  }

  /** The farm now: current totals against the sampled history. */
  async summary(): Promise<FarmSummary> {
    return this.history.summary(await readFarmTotals(await this.registry(), this.now()));
  }
}

export interface LocalUiSourceOptions {
  readonly view: ProcessView;
  readonly store: TraceStore;
  readonly sampler: FarmSampler;
  readonly version: string;
  readonly config: () => Config;
  readonly now?: () => number;
}

/** The UI's answers from this process alone (WORKERS=1). */
export class LocalUiSource implements UiSource {
  private readonly now: () => number;

  constructor(private readonly options: LocalUiSourceOptions) {
    this.now = options.now ?? Date.now;
  }

  connections(): Promise<ConnectionList> {
    return Promise.resolve({ connections: this.options.view.connections(), missingWorkers: [] });
  }

  trace(query: TraceQuery): Promise<TraceAnswer & WorkersMissing> {
    return Promise.resolve({ ...this.options.view.trace(query), missingWorkers: [] });
  }

  async bundle(connectionId: number): Promise<BundleAnswer> {
    const part = await this.options.view.bundlePart(connectionId);
    return { bundle: part === null ? null : buildDebugBundle(part, this.options.version, this.options.config(), this.now()), missingWorkers: [] };
  }

  farm(): Promise<FarmSummary> {
    return this.options.sampler.summary();
  }

  watch(connectionId: number, listener: TraceBatchListener): () => void {
    const batcher = new TraceBatcher(listener);
    const stop = this.options.store.watch(connectionId, (id, entry) => batcher.add(id, entry));
    return () => {
      stop();
      batcher.close();
    };
  }
}
