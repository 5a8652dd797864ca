import type { Direction } from '@stratum-relay/shared-types';

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

/**
 * The last lines of one direction, as parallel arrays grown up to `capacity` (no object per
 * line): a circular buffer whose oldest element is at `head`. A line not kept is `null` with
 * its size in `sizes` (it counts no bytes).
 */
class DirectionRing {
  private readonly lines: Array<string | null> = [];
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly sizes: number[] = [];
  head = 0;
  count = 0;

  constructor(private readonly capacity: number) {}

  /** Adds a line; returns the bytes of the line it overwrote (0 when none, or a marker). */
  push(line: string | null, t: number, seq: number, size: number): number {
    let freed = 0;
    if (this.count === this.capacity) freed = this.shift();
    // While the arrays are shorter than the capacity, head + count is their length (push).
    const i = (this.head + this.count) % this.capacity;
    this.lines[i] = line;
    this.times[i] = t;
    this.seqs[i] = seq;
    this.sizes[i] = size;
    this.count++;
    return freed;
  }

  /** The sequence number of the oldest line, or Infinity when empty. */
  oldestSeq(): number {
    return this.count === 0 ? Infinity : (this.seqs[this.head] as number);
  }

  /** Drops the oldest line; returns the bytes it counted. */
  shift(): number {
    if (this.count === 0) return 0;
    const i = this.head;
    const line = this.lines[i] ?? null;
    const bytes = line === null ? 0 : (this.sizes[i] as number);
    this.lines[i] = null;
    this.head = (i + 1) % this.capacity;
    this.count--;
    return bytes;
  }

  /** The kept lines, oldest first. */
  collect(direction: Direction, out: TraceEntry[]): void {
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % this.capacity;
      out.push(entryOf(direction, this.lines[i] ?? null, this.times[i] as number, this.seqs[i] as number, this.sizes[i] as number));
    }
  }
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
 * The message trace of one connection: the last `linesPerDirection` lines each way, with their
 * times, in arrival order across both directions. Byte bounds are enforced by the TraceStore,
 * which evicts through {@link evictOldest}.
 */
export class ConnectionTrace {
  private readonly up: DirectionRing;
  private readonly down: DirectionRing;
  private seq = 0;
  /** Bytes of the kept lines (what the byte bounds count). */
  bytes = 0;
  /** Someone follows this connection live (/api/events?connection=): new lines are pushed to them. */
  watched = false;

  constructor(linesPerDirection: number) {
    this.up = new DirectionRing(linesPerDirection);
    this.down = new DirectionRing(linesPerDirection);
  }

  get lineCount(): number {
    return this.up.count + this.down.count;
  }

  /** Adds a line (null = not kept, `size` its length); returns the change of `bytes` and the line's seq. */
  append(direction: Direction, line: string | null, t: number, size: number): number {
    const seq = ++this.seq;
    const ring = direction === 'miner_to_pool' ? this.up : this.down;
    const freed = ring.push(line, t, seq, size);
    this.bytes += (line === null ? 0 : size) - freed;
    return seq;
  }

  /** Drops the oldest line of either direction; returns the bytes freed (0 when it counted none or nothing was left). */
  evictOldest(): number {
    const ring = this.up.oldestSeq() < this.down.oldestSeq() ? this.up : this.down;
    const freed = ring.shift();
    this.bytes -= freed;
    return freed;
  }

  /** The last `limit` lines (both directions), oldest first. */
  entries(limit = Infinity): TraceEntry[] {
    const out: TraceEntry[] = [];
    this.up.collect('miner_to_pool', out);
    this.down.collect('pool_to_miner', out);
    out.sort((a, b) => a.seq - b.seq);
    return out.length > limit ? out.slice(out.length - limit) : out;
  }
}
