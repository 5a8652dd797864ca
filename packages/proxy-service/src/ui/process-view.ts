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
    const ids: number[] = [];
    if (query.connection !== undefined) {
      if (this.details(query.connection) !== null) ids.push(query.connection);
    } else if (query.worker !== undefined) {
      for (const d of this.connections()) if (d.worker === query.worker) ids.push(d.connectionId);
    }
    const entries: TracedLine[] = [];
    for (const id of ids) for (const e of this.store.trace(id, query.limit) ?? []) entries.push({ ...e, session: id });
    if (ids.length > 1) entries.sort((a, b) => a.t - b.t || a.session - b.session || a.seq - b.seq);
    return { connections: ids, entries: entries.length > query.limit ? entries.slice(entries.length - query.limit) : entries, traceLines: this.store.linesPerDirection };
  }

  async bundlePart(connectionId: number): Promise<BundlePart | null> {
    const connection = this.details(connectionId);
    if (connection === null) return null;
    const clientId = this.collector.connectionState(connectionId)?.series.clientId ?? null;
    let metrics: string[] = [];
    if (this.registry !== null && clientId !== null) {
      const needle = `client_id="${clientId.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      metrics = (await this.registry.metrics()).split('\n').filter((l) => l.includes(needle));
    }
    return { connection, trace: this.store.trace(connectionId) ?? [], metrics };
  }
}
