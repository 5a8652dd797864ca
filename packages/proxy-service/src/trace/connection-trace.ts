import type { Direction } from '@stratum-relay/shared-types';
import { LineRing } from './line-ring';

/** One line of a trace as the API serves it (the trace-view component's entry). */
export interface TraceEntry {
  /** Wall-clock ms when the chunk holding the line arrived. */
  readonly t: number;
  readonly direction: Direction;
  /** The line as relayed (authorize password masked), or a bracketed note for a line not kept. */
  readonly line: string;
  /** The JSON-RPC method, for requests and notifications. */
  readonly method?: string;
  /** Set when the line's bytes were not kept (oversized for the parser, or over the per-connection cap). */
  readonly omittedBytes?: number;
  /** Order of the line within its connection (both directions), from 1. */
  readonly seq: number;
}

const METHOD = /"method"\s*:\s*"((?:[^"\\]|\\.)*)"/;

/** A stored line as an API entry (its method read from the text here, at read time only). */
export function entryOf(direction: Direction, line: string | null, t: number, seq: number, size: number): TraceEntry {
  if (line === null) {
    return { t, direction, seq, omittedBytes: size, line: `[line of ${size} bytes not kept: over the parser's or the trace's size limit]` };
  }
  const m = METHOD.exec(line);
  return m === null ? { t, direction, seq, line } : { t, direction, seq, line, method: m[1] as string };
}

/**
 * The message trace of one connection: the last `linesPerDirection` lines each way in a
 * {@link LineRing} per direction, at most `bytesPerConnection` bytes in both together (the oldest
 * line of either direction goes first), in arrival order across both directions (`seq`). The
 * TraceStore decides what is written; the global bound evicts through {@link evictOldest}.
 */
export class ConnectionTrace {
  private readonly up: LineRing;
  private readonly down: LineRing;
  /** Lines numbered so far (both directions); the next line is `seq + 1`. */
  seq = 0;
  /** Someone follows this connection live (/api/events?connection=): new lines are pushed to them. */
  watched = false;
  /** Its fair share of TRACE_MAX_BYTES when that bound binds: the rings do not grow past it needlessly. */
  softMax = Infinity;

  constructor(
    private readonly linesPerDirection: number,
    private readonly bytesPerConnection: number,
  ) {
    this.up = new LineRing(bytesPerConnection, linesPerDirection);
    this.down = new LineRing(bytesPerConnection, linesPerDirection);
  }

  /** Ring bytes held by the kept lines (what the byte bounds count). */
  get bytes(): number {
    return this.up.used + this.down.used;
  }

  /** Ring bytes allocated (>= bytes), for the memory probe. */
  get capacity(): number {
    return this.up.capacity + this.down.capacity;
  }

  get lineCount(): number {
    return this.up.count + this.down.count;
  }

  /**
   * Makes room for `lines` new lines of `direction` holding `footprint` bytes (<= the per-connection
   * bound): drops that direction's oldest lines over the line bound, then the oldest lines of either
   * direction over the byte bound. Returns the ring to write them to.
   */
  reserve(direction: Direction, lines: number, footprint: number): LineRing {
    const ring = direction === 'miner_to_pool' ? this.up : this.down;
    ring.softMax = this.softMax;
    if (ring.count + lines > this.linesPerDirection) ring.drop(ring.count + lines - this.linesPerDirection);
    while (this.bytes + footprint > this.bytesPerConnection && this.lineCount > 0) this.evictOldest();
    return ring;
  }

  /** Adds a line whose bytes are not kept (over a size bound): its size, time and seq only. */
  addNotKept(direction: Direction, size: number, t: number, seq: number): void {
    this.reserve(direction, 1, 0).addNotKept(size, t, seq);
  }

  /** Drops the oldest line of either direction; returns the bytes freed (0 when it held none or nothing was left). */
  evictOldest(): number {
    const ring = this.up.oldestSeq() < this.down.oldestSeq() ? this.up : this.down;
    return ring.shift();
  }

  /** Drops every line (a run of newer lines fills the byte bound alone). */
  clear(): void {
    this.up.drop(this.up.count);
    this.down.drop(this.down.count);
  }

  /** Gives back most of a ring that holds less than half of what it allocated (after the global bound took lines). */
  trim(): void {
    this.up.trim();
    this.down.trim();
  }

  /** Gives back the memory allocated beyond what is kept (the connection closed: nothing more comes). */
  compact(): void {
    this.up.compact();
    this.down.compact();
  }

  /** The last `limit` lines (both directions), oldest first; `timeOrigin` turns line times into wall clock. */
  entries(limit = Infinity, timeOrigin = 0): TraceEntry[] {
    // From the newest backwards, so that only the lines returned are decoded.
    const n = Math.min(limit, this.lineCount);
    const picks: Array<[LineRing, number]> = [];
    let u = this.up.count - 1;
    let d = this.down.count - 1;
    while (picks.length < n) {
      if (d < 0 || (u >= 0 && this.up.seqAt(u) > this.down.seqAt(d))) picks.push([this.up, u--]);
      else picks.push([this.down, d--]);
    }
    const out: TraceEntry[] = [];
    for (let k = picks.length - 1; k >= 0; k--) {
      const [ring, index] = picks[k] as [LineRing, number];
      const direction: Direction = ring === this.up ? 'miner_to_pool' : 'pool_to_miner';
      ring.read(index, (text, size, t, seq) => out.push(entryOf(direction, text, timeOrigin + t, seq, size)));
    }
    return out;
  }
}
