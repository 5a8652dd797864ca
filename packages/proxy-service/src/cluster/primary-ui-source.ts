import type { Config } from '@stratum-relay/config';
import type { WorkerState } from '@stratum-relay/metrics';
import type { Registry } from 'prom-client';
import type { ConnectionDetails } from '../trace/connection-details';
import type { TraceEntry } from '../trace/connection-trace';
import { buildDebugBundle } from '../ui/debug-bundle';
import type { FarmSummary } from '../ui/farm-summary';
import { byTime, metricLinesOf, type TraceAnswer, type TracedLine, type TraceQuery } from '../ui/process-view';
import { FarmSampler, type BundleAnswer, type ConnectionList, type TraceBatchListener, type UiSource, type WorkersMissing } from '../ui/ui-source';
import { MAX_TRACE_CONNECTIONS, MAX_WATCHED_CONNECTIONS, type RequestArgs, type RequestKind, type TraceLinesMessage, type WorkerReplies } from './messages';
import type { WorkerView } from './worker-pool';

/** What the primary's UI asks of its workers (the WorkerPool). */
export interface UiWorkers {
  call<K extends RequestKind>(id: number, kind: K, timeoutMs: number, args?: RequestArgs<K>): Promise<WorkerReplies[K] | null>;
  callAll<K extends RequestKind>(
    kind: K,
    timeoutMs: number,
    states?: readonly WorkerState[],
    args?: RequestArgs<K>,
  ): Promise<Array<{ view: WorkerView; reply: WorkerReplies[K] | null }>>;
}

export interface PrimaryUiSourceOptions {
  readonly workers: UiWorkers;
  /** The farm view's families merged over the workers (their newest stored snapshots) and the retired totals. */
  readonly farmRegistry: () => Registry;
  /** The merged /metrics exposition (a fresh scrape), for a bundle's metric samples. */
  readonly metricsText: () => Promise<string>;
  readonly version: string;
  /** The primary's config in force (TRACE_LINES, and the bundle's config without secrets). */
  readonly config: () => Config;
  /** How long an answer waits for a worker before it goes without that worker's part. */
  readonly requestTimeoutMs: number;
  readonly logger?: { warn(obj: object, msg?: string): void };
  readonly now?: () => number;
}

/** A connection as the primary lists it: with the worker process that relays it (or relayed it last), as on /status. */
export type ClusterConnectionDetails = ConnectionDetails & { readonly workerId: number };

/** How long one merge of the farm view's families serves: every open page asks every 2 s, the workers' snapshots move every scrape. */
const FARM_REGISTRY_TTL_MS = 1_000;

/** ISO times (same format, same zone) compare as strings. */
function byIsoTime(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Open before closed; between two open (or two closed) records of one id, the later worker's (answers come in worker id order). */
function supersedes(next: ConnectionDetails, seen: ConnectionDetails): boolean {
  return next.closedAt === null || seen.closedAt !== null;
}

/**
 * /api/* and /ui for the whole instance with WORKERS > 1: every question goes to every worker
 * (worker-ui.ts answers it from that worker's own ProcessView) and the answers are merged here.
 * Connection ids are unique across workers (connection-id-base.ts), so merging is concatenating;
 * a connection an upgrade handed over keeps its id, and its earlier lines, held by the retiring
 * worker until it exits, join the successor's in time order. A worker that does not answer
 * within `requestTimeoutMs` is left out and named in `missingWorkers`: no answer waits longer.
 *
 * The farm view reads the primary's merged registry — the workers' newest snapshots, refreshed
 * every scrape interval, plus what retired workers counted — so it lags the workers by up to
 * that interval and never goes backwards when a worker is replaced. A followed connection
 * (`watch`, the SSE stream) is followed by every worker: its lines come from whichever relays it.
 */
export class PrimaryUiSource implements UiSource {
  private readonly sampler: FarmSampler;
  private readonly now: () => number;
  private farmCache: { at: number; registry: Registry } | null = null;
  /** Followed connection id → the streams following it. */
  private readonly watchers = new Map<number, Set<TraceBatchListener>>();

  constructor(private readonly options: PrimaryUiSourceOptions) {
    this.now = options.now ?? Date.now;
    this.sampler = new FarmSampler(() => Promise.resolve(this.farmRegistry()), this.now);
  }

  /** Start sampling the farm for the hashrate and the hour's chart. */
  start(): void {
    this.sampler.start();
  }

  stop(): void {
    this.sampler.stop();
  }

  async connections(): Promise<ConnectionList> {
    const answers = await this.options.workers.callAll('connections', this.options.requestTimeoutMs);
    const missingWorkers: number[] = [];
    const byId = new Map<number, ClusterConnectionDetails>();
    for (const { view, reply } of answers) {
      if (reply === null) {
        missingWorkers.push(view.id);
        continue;
      }
      for (const d of reply) {
        const seen = byId.get(d.connectionId);
        if (seen === undefined || supersedes(d, seen)) byId.set(d.connectionId, { ...d, workerId: view.id });
      }
    }
    const open: ClusterConnectionDetails[] = [];
    const closed: ClusterConnectionDetails[] = [];
    for (const d of byId.values()) (d.closedAt === null ? open : closed).push(d);
    // As one process lists them: open ones in accept order, then closed ones oldest close first.
    open.sort((a, b) => byIsoTime(a.since, b.since) || a.connectionId - b.connectionId);
    closed.sort((a, b) => byIsoTime(a.closedAt ?? '', b.closedAt ?? '') || a.connectionId - b.connectionId);
    return { connections: [...open, ...closed], missingWorkers };
  }

  async trace(query: TraceQuery): Promise<TraceAnswer & WorkersMissing> {
    const traceLines = this.options.config().traceLines;
    let ids: number[];
    let missing: readonly number[] = [];
    if (query.connection !== undefined) {
      ids = [query.connection];
    } else {
      // A worker name: its connections first (the workers know names only of what they relay or closed).
      const list = await this.connections();
      missing = list.missingWorkers;
      ids = list.connections.filter((c) => c.worker === query.worker).map((c) => c.connectionId);
      // The newest of a name that reconnects all day.
      if (ids.length > MAX_TRACE_CONNECTIONS) ids = ids.slice(ids.length - MAX_TRACE_CONNECTIONS);
      if (ids.length === 0) return { connections: [], entries: [], traceLines, missingWorkers: missing };
    }
    const answers = await this.options.workers.callAll('trace', this.options.requestTimeoutMs, undefined, { connectionIds: ids, limit: query.limit });
    const known = new Set<number>();
    const entries: TracedLine[] = [];
    const missingWorkers = new Set(missing);
    for (const { view, reply } of answers) {
      if (reply === null) {
        missingWorkers.add(view.id);
        continue;
      }
      for (const id of reply.connections) known.add(id);
      entries.push(...reply.entries);
    }
    // Stable: lines of one moment keep the worker order (a retiring worker's before its successor's).
    entries.sort(byTime);
    return {
      connections: ids.filter((id) => known.has(id)),
      entries: entries.length > query.limit ? entries.slice(entries.length - query.limit) : entries,
      traceLines,
      missingWorkers: [...missingWorkers],
    };
  }

  async bundle(connectionId: number): Promise<BundleAnswer> {
    const answers = await this.options.workers.callAll('bundle', this.options.requestTimeoutMs, undefined, { connectionId });
    const missingWorkers: number[] = [];
    let holder: { workerId: number; connection: ConnectionDetails; clientId: string | null } | null = null;
    const trace: TraceEntry[] = [];
    for (const { view, reply } of answers) {
      if (reply === null) {
        missingWorkers.push(view.id);
        continue;
      }
      const part = reply.part;
      if (part === null) continue;
      trace.push(...part.trace);
      if (part.connection !== null && (holder === null || supersedes(part.connection, holder.connection))) {
        holder = { workerId: view.id, connection: part.connection, clientId: part.clientId };
      }
    }
    if (holder === null) return { bundle: null, missingWorkers };
    // Array.prototype.sort is stable: the retiring worker's lines of a moment stay before its successor's.
    trace.sort((a, b) => a.t - b.t);
    const metrics = holder.clientId === null ? [] : metricLinesOf(await this.options.metricsText(), holder.clientId);
    const bundle = buildDebugBundle({ connection: holder.connection, trace, metrics }, this.options.version, this.options.config(), this.now());
    return { bundle: { ...bundle, workerId: holder.workerId, missingWorkers }, missingWorkers };
  }

  farm(): Promise<FarmSummary> {
    return this.sampler.summary();
  }

  /**
   * Follow a connection's new lines (an SSE stream). Every worker is told the whole set of
   * followed connections when it changes, and a worker that starts is told at once
   * (workerListening). At most MAX_WATCHED_CONNECTIONS connections are followed at once; a
   * stream asking for one more gets no lines (and a log line says why).
   */
  watch(connectionId: number, listener: TraceBatchListener): () => void {
    let set = this.watchers.get(connectionId);
    if (set === undefined) {
      if (this.watchers.size >= MAX_WATCHED_CONNECTIONS) {
        this.options.logger?.warn({ connection_id: connectionId, followed: this.watchers.size }, 'cannot follow one more connection: the live trace of this stream stays empty');
        return () => undefined;
      }
      set = new Set();
      this.watchers.set(connectionId, set);
      this.sendWatches();
    }
    const listeners = set;
    listeners.add(listener);
    return () => {
      if (!listeners.delete(listener) || listeners.size > 0 || this.watchers.get(connectionId) !== listeners) return;
      this.watchers.delete(connectionId);
      this.sendWatches();
    };
  }

  /** A worker listens (a start, a restart, an upgrade's successor): it follows what the streams follow. */
  workerListening(workerId: number): void {
    if (this.watchers.size === 0) return;
    void this.options.workers.call(workerId, 'watch', this.options.requestTimeoutMs, { connectionIds: [...this.watchers.keys()] });
  }

  /** A worker's batch of a followed connection's lines. */
  onTraceLines(_workerId: number, message: TraceLinesMessage): void {
    const listeners = this.watchers.get(message.connectionId);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener(message.connectionId, message.entries, message.skipped);
      } catch {
        // One stream's failure is not another's.
      }
    }
  }

  private sendWatches(): void {
    void this.options.workers.callAll('watch', this.options.requestTimeoutMs, undefined, { connectionIds: [...this.watchers.keys()] });
  }

  private farmRegistry(): Registry {
    const now = this.now();
    if (this.farmCache === null || now - this.farmCache.at >= FARM_REGISTRY_TTL_MS || now < this.farmCache.at) {
      this.farmCache = { at: now, registry: this.options.farmRegistry() };
    }
    return this.farmCache.registry;
  }
}
