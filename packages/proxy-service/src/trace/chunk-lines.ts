import type { Direction } from '@stratum-relay/shared-types';
import { maskAuthorize } from './authorize-mask';
import type { ConnectionTrace } from './connection-trace';

/** Lines this close in a chunk (a `\n`, `\r\n`, blank lines) are copied together, the bytes between counted. */
const MAX_GAP = 4;
/** `authorize` is found through its `z`, a byte that hex, submits and notifies do not have (memchr speed). */
const AUTHORIZE = Buffer.from('authorize');
const Z = 0x7a;
const Z_AT = AUTHORIZE.indexOf(Z);
const BACKSLASH = 0x5c;

/**
 * The lines of one chunk of one connection and direction, noted by the line tap (where they are
 * in the chunk, and when), and stored into the connection's trace once the chunk's lines are all
 * seen: only the newest ones the trace keeps are copied, consecutive ones with one copy. The table
 * is circular and holds the last `linesPerDirection` lines (older ones of the chunk cannot be kept).
 *
 * HOT PATH: {@link add} is three typed-array writes per line; {@link store} touches only the lines
 * kept. Lines of the miner that may be an authorize (they hold `authorize` or a backslash, an
 * escape may spell it) are decoded and masked one by one; the chunk is searched for them at memchr
 * speed, once whatever its number of lines.
 */
export class ChunkLines {
  /** The chunk (null for a run of oversized-line markers only). */
  buf: Buffer | null = null;
  connectionId = -1;
  direction: Direction = 'miner_to_pool';
  trace: ConnectionTrace | null = null;
  /** Someone follows the connection live: the tap stores (and pushes) each line as it comes. */
  watched = false;
  /** Lines noted since the last store (more than the table holds when the chunk had more). */
  count = 0;
  /** Where the next line goes in the circular table. */
  private next = 0;
  /** Per line: its start in `buf`, or -1 for a line the parser skipped as oversized. */
  private readonly starts: Int32Array;
  /** Per line: its end in `buf`, or the oversized line's size. */
  private readonly ends: Float64Array;
  private readonly times: Float64Array;
  /** The next `z` and backslash in `buf` at or after the line being stored (-1: look again, Infinity: none). */
  private nextZ = -1;
  private nextBackslash = -1;
  /** Set by {@link keptLines}: the kept lines are one run of plain lines, bytes [keptStart, keptEnd) of `buf`. */
  private oneCopy = false;
  private keptStart = 0;
  private keptEnd = -1;

  constructor(
    private readonly linesPerDirection: number,
    private readonly bytesPerConnection: number,
  ) {
    this.starts = new Int32Array(linesPerDirection);
    this.ends = new Float64Array(linesPerDirection);
    this.times = new Float64Array(linesPerDirection);
  }

  /** Starts noting the lines of `buf` for `trace` (what was noted before must have been stored). */
  begin(connectionId: number, direction: Direction, buf: Buffer | null, trace: ConnectionTrace): void {
    this.buf = buf;
    this.connectionId = connectionId;
    this.direction = direction;
    this.trace = trace;
    this.watched = trace.watched;
    this.count = 0;
    this.next = 0;
    this.nextZ = -1;
    this.nextBackslash = -1;
  }

  /** Forgets the chunk and the connection (neither is pinned until the next chunk). */
  release(): void {
    this.buf = null;
    this.connectionId = -1;
    this.trace = null;
    this.count = 0;
    this.next = 0;
  }

  /** HOT PATH: one line, bytes `[start, end)` of `buf`. */
  add(start: number, end: number, t: number): void {
    const i = this.next;
    this.starts[i] = start;
    this.ends[i] = end;
    this.times[i] = t;
    this.next = i + 1 === this.linesPerDirection ? 0 : i + 1;
    this.count++;
  }

  /** A line the parser skipped as over MAX_LINE_BYTES: its size only. */
  addOversized(bytes: number, t: number): void {
    this.add(-1, bytes, t);
  }

  /**
   * Writes the lines the trace keeps into it and empties the table (the trace's bounds hold after
   * it; the global bound is the caller's). `visit`, when given, sees every line held, masked.
   */
  store(visit: ((text: string | null, size: number, t: number, seq: number) => void) | null): void {
    const count = this.count;
    if (count === 0) return;
    const trace = this.trace as ConnectionTrace;
    const lines = this.linesPerDirection;
    const held = count < lines ? count : lines;
    // Circular: once it wrapped, the oldest line held is where the next would go.
    const oldest = count > lines ? this.next : 0;
    const firstSeq = trace.seq + count - held + 1;
    trace.seq += count;
    this.count = 0;
    this.next = 0;
    const kept = this.keptLines(trace, oldest, held);
    if (kept > 0) {
      const from = held - kept;
      if (this.oneCopy && !(this.direction === 'miner_to_pool' && this.mayBeAuthorize(this.keptStart, this.keptEnd))) {
        this.storeGroup(trace, oldest, from, kept, firstSeq + from);
      } else {
        this.storeEach(trace, oldest, from, held, firstSeq);
      }
    }
    if (visit !== null) this.visitAll(oldest, held, firstSeq, visit);
  }

  /**
   * How many of the newest lines fit in the per-connection bound (all older lines of the
   * connection go before any of these). When the newest alone fill it, the older lines are dropped
   * here: stored one by one, the line that does not fit would have pushed every older one out
   * before going itself (no hole in what the trace keeps). Also notes whether the kept lines can
   * be copied at once ({@link oneCopy}: all kept whole, each close after the one before).
   */
  private keptLines(trace: ConnectionTrace, oldest: number, held: number): number {
    const lines = this.linesPerDirection;
    const cap = this.bytesPerConnection;
    const starts = this.starts;
    const ends = this.ends;
    let footprints = 0;
    let newerStart = -1;
    let oneCopy = true;
    this.keptEnd = -1;
    for (let k = held - 1; k >= 0; k--) {
      const i = oldest + k < lines ? oldest + k : oldest + k - lines;
      const start = starts[i] as number;
      const end = ends[i] as number;
      if (start < 0 || end - start > cap) {
        oneCopy = false;
        newerStart = -1;
        continue;
      }
      let footprint = end - start;
      if (newerStart >= end && newerStart - end <= MAX_GAP) footprint = newerStart - start;
      else if (this.keptEnd >= 0) oneCopy = false;
      if (footprints + footprint > cap) {
        trace.clear();
        this.oneCopy = oneCopy;
        return held - 1 - k;
      }
      footprints += footprint;
      newerStart = start;
      if (this.keptEnd < 0) this.keptEnd = end;
      this.keptStart = start;
    }
    this.oneCopy = oneCopy;
    return held;
  }

  /** Lines `from .. from + n - 1` (consecutive in `buf`): one copy, a slot each. */
  private storeGroup(trace: ConnectionTrace, oldest: number, from: number, n: number, seq: number): void {
    const lines = this.linesPerDirection;
    const first = oldest + from < lines ? oldest + from : oldest + from - lines;
    const last = first + n - 1 < lines ? first + n - 1 : first + n - 1 - lines;
    const groupStart = this.starts[first] as number;
    const groupEnd = this.ends[last] as number;
    const ring = trace.reserve(this.direction, n, groupEnd - groupStart);
    const at = ring.write(this.buf as Buffer, groupStart, groupEnd);
    ring.addLines(at - groupStart, this.starts, this.ends, this.times, first, n, seq);
  }

  /** The general case, line by line: groups of plain lines, markers, masked lines. */
  private storeEach(trace: ConnectionTrace, oldest: number, from: number, held: number, firstSeq: number): void {
    const lines = this.linesPerDirection;
    const cap = this.bytesPerConnection;
    const masking = this.direction === 'miner_to_pool';
    let groupFrom = 0;
    let groupLines = 0;
    let groupEnd = 0;
    for (let k = from; k < held; k++) {
      const i = oldest + k < lines ? oldest + k : oldest + k - lines;
      const start = this.starts[i] as number;
      const end = this.ends[i] as number;
      const plain = start >= 0 && end - start <= cap && !(masking && this.mayBeAuthorize(start, end));
      if (plain && groupLines > 0 && start >= groupEnd && start - groupEnd <= MAX_GAP) {
        groupLines++;
        groupEnd = end;
        continue;
      }
      if (groupLines > 0) this.storeGroup(trace, oldest, groupFrom, groupLines, firstSeq + groupFrom);
      groupLines = 0;
      const t = this.times[i] as number;
      if (start < 0) {
        trace.addNotKept(this.direction, end, t, firstSeq + k);
      } else if (end - start > cap) {
        trace.addNotKept(this.direction, end - start, t, firstSeq + k);
      } else if (!plain) {
        this.storeMasked(trace, start, end, t, firstSeq + k);
      } else {
        groupFrom = k;
        groupLines = 1;
        groupEnd = end;
      }
    }
    if (groupLines > 0) this.storeGroup(trace, oldest, groupFrom, groupLines, firstSeq + groupFrom);
  }

  /** A miner's line that may be an authorize: stored masked (or as a note when it cannot be read), else as relayed. */
  private storeMasked(trace: ConnectionTrace, start: number, end: number, t: number, seq: number): void {
    const buf = this.buf as Buffer;
    const text = buf.toString('utf8', start, end);
    const masked = maskAuthorize(text);
    const src = masked === text ? buf : Buffer.from(masked, 'utf8');
    const from = masked === text ? start : 0;
    const size = masked === text ? end - start : src.length;
    if (size > this.bytesPerConnection) {
      trace.addNotKept(this.direction, size, t, seq);
      return;
    }
    const ring = trace.reserve(this.direction, 1, size);
    ring.addLine(ring.write(src, from, from + size), size, t, seq);
  }

  /**
   * Whether bytes `[start, end)` of the chunk hold `authorize` or a backslash. Lines are asked in
   * order: the searches resume where the last one stopped, so a chunk is scanned once.
   */
  private mayBeAuthorize(start: number, end: number): boolean {
    const buf = this.buf as Buffer;
    for (;;) {
      if (this.nextZ < start) {
        const z = buf.indexOf(Z, start);
        this.nextZ = z === -1 ? Infinity : z;
      }
      const z = this.nextZ;
      if (z >= end) break;
      if (z - Z_AT >= start && z - Z_AT + AUTHORIZE.length <= end && buf.compare(AUTHORIZE, 0, AUTHORIZE.length, z - Z_AT, z - Z_AT + AUTHORIZE.length) === 0) return true;
      const next = buf.indexOf(Z, z + 1);
      this.nextZ = next === -1 ? Infinity : next;
    }
    if (this.nextBackslash < start) {
      const at = buf.indexOf(BACKSLASH, start);
      this.nextBackslash = at === -1 ? Infinity : at;
    }
    return this.nextBackslash < end;
  }

  /** Every line held, as a watcher sees it (masked; null for a line over a bound). */
  private visitAll(oldest: number, held: number, firstSeq: number, visit: (text: string | null, size: number, t: number, seq: number) => void): void {
    const lines = this.linesPerDirection;
    for (let k = 0; k < held; k++) {
      const i = oldest + k < lines ? oldest + k : oldest + k - lines;
      const start = this.starts[i] as number;
      const end = this.ends[i] as number;
      let text: string | null = null;
      let size = end;
      if (start >= 0) {
        size = end - start;
        if (size <= this.bytesPerConnection) {
          text = (this.buf as Buffer).toString('utf8', start, end);
          if (this.direction === 'miner_to_pool') text = maskAuthorize(text);
        }
      }
      visit(text, size, this.times[i] as number, firstSeq + k);
    }
  }
}
