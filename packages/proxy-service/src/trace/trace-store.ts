import { performance } from 'node:perf_hooks';
import type { LineTap } from '@stratum-relay/proxy-core';
import type { Direction, ProxyEvent } from '@stratum-relay/shared-types';
import type { EventSource } from '../metrics-collector';
import { ChunkLines } from './chunk-lines';
import type { CloseInfo, ConnectionDetails } from './connection-details';
import { ConnectionTrace, entryOf, type TraceEntry } from './connection-trace';

/** Bytes of trace kept per connection at most (both directions). */
export const TRACE_BYTES_PER_CONNECTION = 64 * 1024;
/** Closed connections kept at most (the oldest goes first). */
export const MAX_CLOSED_CONNECTIONS = 10_000;
/** How often expired closed connections are dropped when nobody reads. */
const SWEEP_INTERVAL_MS = 30_000;

export interface TraceStoreOptions {
  /** TRACE_LINES: lines kept per connection and direction; 0 = no trace (no ring is ever built). */
  readonly linesPerDirection: number;
  /** TRACE_MAX_BYTES: all kept lines of the process together. */
  readonly maxBytes: number;
  /** TRACE_KEEP_CLOSED_MS. */
  readonly keepClosedMs: number;
  readonly bytesPerConnection?: number;
  readonly maxClosed?: number;
  /** The details of an open connection (the collector's state), read once more when it closes. */
  readonly details: (connectionId: number, now: number, closed: CloseInfo | null) => ConnectionDetails | null;
  /** Wall clock (default Date.now). */
  readonly now?: () => number;
  /** The parser's clock origin: line times are performance.now() values (default performance.timeOrigin). */
  readonly timeOrigin?: number;
}

interface ClosedConnection {
  readonly details: ConnectionDetails;
  /** Wall-clock ms of the close. */
  readonly closedAt: number;
  /** Null once the global bound took its lines (its details stay until it expires). */
  trace: ConnectionTrace | null;
}

/** A line of a watched connection, as it passes. */
export type TraceListener = (connectionId: number, entry: TraceEntry) => void;

/**
 * The message trace of every connection of this process: the relay's line tap (LineTap) fills a
 * {@link ConnectionTrace} per connection; closed connections stay readable for `keepClosedMs`
 * (at most `maxClosed` of them) with their details as they were when they closed.
 *
 * Bounds: `linesPerDirection` lines each way and `bytesPerConnection` bytes per connection (the
 * oldest lines go first); `maxBytes` over the whole process, enforced on every chunk: first the
 * traces of closed connections go (oldest close first), then lines of the open connections that
 * hold more than their fair share (maxBytes / open connections), the appending one first. A line
 * over the per-connection bound is kept as a marker with its size only. The authorize password is
 * masked before a line is stored.
 *
 * HOT PATH while tracing. The tap only notes where each line of a chunk is ({@link ChunkLines});
 * when the chunk ends ({@link chunkEnd}) the lines the trace keeps are copied into the
 * connection's byte rings (`LineRing`), consecutive ones with one copy: no string and no
 * object per line, and no copy of a line the trace would drop at once (a 64 KiB chunk holds
 * hundreds of submits, the trace keeps 200). Strings are built when the API reads a trace. A
 * watched connection's lines are stored (and pushed) one by one. `bytes` count the ring bytes the
 * kept lines hold (with the newline between lines copied together).
 */
export class TraceStore implements LineTap {
  readonly linesPerDirection: number;
  private readonly maxBytes: number;
  private readonly keepClosedMs: number;
  private readonly bytesPerConnection: number;
  private readonly maxClosed: number;
  private readonly now: () => number;
  private readonly timeOrigin: number;
  private readonly open = new Map<number, ConnectionTrace>();
  /** In close order (Map iteration order): the oldest close first. */
  private readonly closed = new Map<number, ClosedConnection>();
  private readonly listeners = new Map<number, Set<TraceListener>>();
  private totalBytes = 0;
  /** The lines of the chunk being split (one connection and direction), not stored yet. */
  private readonly run: ChunkLines;
  /** Where the search for an open connection over its fair share resumes (round robin). */
  private victims: IterableIterator<[number, ConnectionTrace]> | null = null;
  private unsubscribe: (() => void) | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  /** Exceptions caught here (a bug, never a crash of the relay). */
  internalErrors = 0;

  constructor(private readonly options: TraceStoreOptions) {
    this.linesPerDirection = Math.max(0, Math.floor(options.linesPerDirection));
    this.maxBytes = options.maxBytes;
    this.keepClosedMs = options.keepClosedMs;
    this.bytesPerConnection = options.bytesPerConnection ?? TRACE_BYTES_PER_CONNECTION;
    this.maxClosed = options.maxClosed ?? MAX_CLOSED_CONNECTIONS;
    this.now = options.now ?? Date.now;
    this.timeOrigin = options.timeOrigin ?? performance.timeOrigin;
    this.run = new ChunkLines(this.linesPerDirection, this.bytesPerConnection);
  }

  /** Whether lines are traced at all (TRACE_LINES > 0): only then is the store given to the relay as its line tap. */
  get enabled(): boolean {
    return this.linesPerDirection > 0;
  }

  /** Bytes of every kept line (what TRACE_MAX_BYTES bounds). */
  get bytes(): number {
    this.flush();
    return this.totalBytes;
  }

  /** Traces and closed records held, for leak tests and the bench. */
  size(): { open: number; closed: number; bytes: number } {
    this.flush();
    return { open: this.open.size, closed: this.closed.size, bytes: this.totalBytes };
  }

  /** Bytes of the rings allocated for lines (>= bytes: a ring grows ahead of its lines), for the memory probe. */
  allocatedBytes(): number {
    this.flush();
    let allocated = 0;
    for (const trace of this.open.values()) allocated += trace.capacity;
    for (const closed of this.closed.values()) allocated += closed.trace?.capacity ?? 0;
    return allocated;
  }

  /**
   * Subscribes to the relay's events (for closes) and starts the expiry sweep. Attach it before
   * the metrics collector: on connection.closed it reads the collector's state of the connection
   * one last time, which the collector deletes when its turn comes.
   */
  attach(source: EventSource): void {
    if (this.unsubscribe !== null) return;
    this.unsubscribe = source.subscribe((event) => this.handle(event), { borrowsEvents: true });
    this.sweeper = setInterval(() => this.expire(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /** LineTap, HOT PATH while tracing: notes where the line is; {@link chunkEnd} stores what is kept. */
  line(connectionId: number, direction: Direction, buf: Buffer, start: number, end: number, t: number): void {
    if (this.linesPerDirection === 0) return;
    const run = this.run;
    if (buf !== run.buf || connectionId !== run.connectionId || direction !== run.direction) this.beginRun(connectionId, direction, buf);
    run.add(start, end, t);
    if (run.watched) this.flush();
  }

  /** LineTap: a line over MAX_LINE_BYTES, skipped by the parser: a marker with its size. */
  oversized(connectionId: number, direction: Direction, bytes: number, t: number): void {
    if (this.linesPerDirection === 0) return;
    const run = this.run;
    if (connectionId !== run.connectionId || direction !== run.direction) this.beginRun(connectionId, direction, null);
    run.addOversized(bytes, t);
    if (run.watched) this.flush();
  }

  /** LineTap: the chunk's lines are all seen (its buffer is about to go): stores what the trace keeps. */
  chunkEnd(): void {
    this.flush();
    this.run.release();
  }

  private beginRun(connectionId: number, direction: Direction, buf: Buffer | null): void {
    this.flush();
    let trace = this.open.get(connectionId);
    if (trace === undefined) {
      trace = new ConnectionTrace(this.linesPerDirection, this.bytesPerConnection);
      trace.watched = this.listeners.has(connectionId);
      this.open.set(connectionId, trace);
    }
    this.run.begin(connectionId, direction, buf, trace);
  }

  /** Stores the noted lines that the trace keeps (the newest, within both bounds), then the global bound. */
  private flush(): void {
    const run = this.run;
    if (run.count === 0) return;
    const trace = run.trace as ConnectionTrace;
    const before = trace.bytes;
    // Over n connections, TRACE_MAX_BYTES leaves each its share: a ring need not be allocated past it.
    const share = this.maxBytes / this.open.size;
    trace.softMax = share < this.bytesPerConnection ? share : Infinity;
    try {
      run.store(run.watched ? this.watcher : null);
    } catch {
      this.internalErrors++;
      run.count = 0;
    }
    this.totalBytes += trace.bytes - before;
    if (this.totalBytes > this.maxBytes) {
      try {
        this.enforceGlobal(trace);
      } catch {
        this.internalErrors++;
      }
    }
  }

  /** A watched connection's lines (stored one by one) to its listeners. */
  private readonly watcher = (text: string | null, size: number, t: number, seq: number): void => {
    this.notify(this.run.connectionId, entryOf(this.run.direction, text, this.timeOrigin + t, seq, size));
  };

  private enforceGlobal(appending: ConnectionTrace): void {
    for (const closed of this.closed.values()) {
      if (this.totalBytes <= this.maxBytes) return;
      if (closed.trace === null) continue;
      this.totalBytes -= closed.trace.bytes;
      closed.trace = null;
    }
    const share = this.maxBytes / Math.max(1, this.open.size);
    while (this.totalBytes > this.maxBytes && appending.bytes > share && appending.lineCount > 0) this.totalBytes -= appending.evictOldest();
    appending.trim();
    // Over the bound means some connection holds more than its share (their sum is over n shares).
    let guard = this.open.size * 2 + 2;
    while (this.totalBytes > this.maxBytes && guard-- > 0) {
      const victim = this.nextVictim(share);
      if (victim === null) break;
      while (this.totalBytes > this.maxBytes && victim.bytes > share && victim.lineCount > 0) this.totalBytes -= victim.evictOldest();
      // What the bound took is given back (the connections got more: each may keep less).
      victim.trim();
    }
  }

  private nextVictim(share: number): ConnectionTrace | null {
    for (let pass = 0; pass < 2; pass++) {
      if (this.victims === null) this.victims = this.open.entries();
      for (let r = this.victims.next(); !r.done; r = this.victims.next()) if (r.value[1].bytes > share) return r.value[1];
      this.victims = null;
    }
    return null;
  }

  /** Feeds one relay event (only closes matter here). Never throws. */
  handle(event: ProxyEvent): void {
    if (event.type !== 'connection.closed') return;
    try {
      const id = event.connectionId;
      if (id === this.run.connectionId) this.chunkEnd();
      const trace = this.open.get(id) ?? null;
      this.open.delete(id);
      this.victims = null;
      const at = this.now();
      const details = this.options.details(id, at, { at, side: event.side, reason: event.reason, error: event.error });
      if (details === null || this.keepClosedMs <= 0 || this.maxClosed <= 0) {
        if (trace !== null) this.totalBytes -= trace.bytes;
        return;
      }
      if (trace !== null) {
        trace.watched = false;
        trace.compact();
      }
      this.closed.set(id, { details, closedAt: at, trace });
      while (this.closed.size > this.maxClosed) this.dropOldestClosed();
    } catch {
      this.internalErrors++;
    }
  }

  private dropOldestClosed(): void {
    const first = this.closed.entries().next();
    if (first.done === true) return;
    const [id, closed] = first.value;
    if (closed.trace !== null) this.totalBytes -= closed.trace.bytes;
    this.closed.delete(id);
  }

  /** Drops closed connections older than keepClosedMs (also called before every read). */
  expire(now = this.now()): void {
    for (const closed of this.closed.values()) {
      if (closed.closedAt + this.keepClosedMs > now) return;
      this.dropOldestClosed();
    }
  }

  /** Details of the closed connections still kept, oldest close first. */
  closedConnections(): ConnectionDetails[] {
    this.expire();
    return [...this.closed.values()].map((c) => c.details);
  }

  /** The closed connection's details, or null when it is not (or no longer) kept. */
  closedDetails(connectionId: number): ConnectionDetails | null {
    this.expire();
    return this.closed.get(connectionId)?.details ?? null;
  }

  /** A connection's last `limit` lines, oldest first; null when neither open with a trace nor kept closed. */
  trace(connectionId: number, limit = Infinity): TraceEntry[] | null {
    this.flush();
    this.expire();
    const open = this.open.get(connectionId);
    if (open !== undefined) return open.entries(limit, this.timeOrigin);
    const closed = this.closed.get(connectionId);
    if (closed === undefined) return null;
    return closed.trace?.entries(limit, this.timeOrigin) ?? [];
  }

  /** Whether the connection is known here as closed and kept. */
  isClosed(connectionId: number): boolean {
    return this.closed.has(connectionId);
  }

  /** Follow a connection's new lines as they pass; returns the unsubscribe function. */
  watch(connectionId: number, listener: TraceListener): () => void {
    let set = this.listeners.get(connectionId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(connectionId, set);
    }
    set.add(listener);
    const trace = this.open.get(connectionId);
    if (trace !== undefined) trace.watched = true;
    return () => {
      const current = this.listeners.get(connectionId);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size > 0) return;
      this.listeners.delete(connectionId);
      const t = this.open.get(connectionId);
      if (t !== undefined) t.watched = false;
    };
  }

  private notify(connectionId: number, entry: TraceEntry): void {
    const set = this.listeners.get(connectionId);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(connectionId, entry);
      } catch {
        this.internalErrors++;
      }
    }
  }
}
