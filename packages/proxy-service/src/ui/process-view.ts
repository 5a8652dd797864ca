import type { Registry } from 'prom-client';
import type { ConnectionState } from '../connection-state';
import { detailsOf, type ConnectionDetails } from '../trace/connection-details';
import type { TraceEntry } from '../trace/connection-trace';
import type { TraceStore } from '../trace/trace-store';

/** /api/trace's question: one connection, or every connection of a worker; the last `limit` lines. */
export interface TraceQuery {
  readonly connection?: number;
  readonly worker?: string;
  readonly limit: number;
}

/** A line of a trace answer, with the connection it belongs to (the trace view's `session`). */
export type TracedLine = TraceEntry & { readonly session: number };

export interface TraceAnswer {
  /** The connections that matched (none: 404). */
  readonly connections: number[];
  /** Their last lines together, oldest first, at most `limit`. */
  readonly entries: TracedLine[];
  /** TRACE_LINES in force (0: the trace is off, entries stay empty). */
  readonly traceLines: number;
}

/** What one process knows of one connection for its debug bundle. */
export interface BundlePart {
  readonly connection: ConnectionDetails;
  readonly trace: TraceEntry[];
  /** The Prometheus samples of the connection's worker series (`client_id` after the cap), as text lines. */
  readonly metrics: string[];
}

/** What one process knows of one connection: what a cluster worker sends the primary for a debug bundle. */
export interface ConnectionPart {
  /** Null when this process holds only the connection's earlier lines (it handed the connection over in an upgrade). */
  readonly connection: ConnectionDetails | null;
  readonly trace: TraceEntry[];
  /** The `client_id` of the connection's worker series (after the cap), null when unknown here. */
  readonly clientId: string | null;
}

/**
 * The UI's questions answered from one relay process: the collector's open connections, the
 * trace store's traces and closed connections. A cluster worker answers the same over IPC.
 */
export class ProcessView {
  constructor(
    private readonly collector: { connectionStates(): IterableIterator<Readonly<ConnectionState>>; connectionState(id: number): Readonly<ConnectionState> | undefined },
    private readonly store: TraceStore,
    private readonly registry: Registry | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Open connections, then the closed ones still kept. */
  connections(): ConnectionDetails[] {
    const now = this.now();
    const out: ConnectionDetails[] = [];
    for (const s of this.collector.connectionStates()) out.push(detailsOf(s, now));
    out.push(...this.store.closedConnections());
    return out;
  }

  details(connectionId: number): ConnectionDetails | null {
    const s = this.collector.connectionState(connectionId);
    if (s !== undefined) return detailsOf(s, this.now());
    return this.store.closedDetails(connectionId);
  }

  trace(query: TraceQuery): TraceAnswer {
    if (query.connection !== undefined) return this.traceOf([query.connection], query.limit);
    const ids: number[] = [];
    if (query.worker !== undefined) for (const d of this.connections()) if (d.worker === query.worker) ids.push(d.connectionId);
    return this.traceOf(ids, query.limit);
  }

  /**
   * The last `limit` lines of these connections together, oldest first. A connection counts as
   * known here when this process relays it, keeps it as closed, or still holds its earlier lines
   * after handing it to another worker in an upgrade (those lines stay until this worker exits).
   */
  traceOf(connectionIds: readonly number[], limit: number): TraceAnswer {
    const ids: number[] = [];
    const entries: TracedLine[] = [];
    for (const id of connectionIds) {
      const lines = this.store.trace(id, limit);
      if (lines === null && this.details(id) === null) continue;
      ids.push(id);
      for (const e of lines ?? []) entries.push({ ...e, session: id });
    }
    if (ids.length > 1) entries.sort(byTime);
    return { connections: ids, entries: entries.length > limit ? entries.slice(entries.length - limit) : entries, traceLines: this.store.linesPerDirection };
  }

  /** What this process knows of a connection; null when it knows neither its details nor lines of it. */
  ownPart(connectionId: number): ConnectionPart | null {
    const connection = this.details(connectionId);
    const trace = this.store.trace(connectionId);
    if (connection === null && trace === null) return null;
    return { connection, trace: trace ?? [], clientId: this.collector.connectionState(connectionId)?.series.clientId ?? null };
  }

  async bundlePart(connectionId: number): Promise<BundlePart | null> {
    const own = this.ownPart(connectionId);
    if (own === null || own.connection === null) return null;
    const metrics = this.registry !== null && own.clientId !== null ? metricLinesOf(await this.registry.metrics(), own.clientId) : [];
    return { connection: own.connection, trace: own.trace, metrics };
  }
}

/** Lines of a trace answer in time order; lines of the same moment by connection, then in their connection's order. */
export function byTime(a: TracedLine, b: TracedLine): number {
  return a.t - b.t || a.session - b.session || a.seq - b.seq;
}

/** The samples of a Prometheus exposition that belong to one worker series (`client_id`). */
export function metricLinesOf(exposition: string, clientId: string): string[] {
  const needle = `client_id="${clientId.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return exposition.split('\n').filter((l) => l.includes(needle));
}
