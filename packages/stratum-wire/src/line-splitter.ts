const LF = 0x0a;
const CR = 0x0d;

/** Smallest accumulator allocated for a line that spans chunks (most Stratum lines are < 1 KiB). */
const MIN_ACCUMULATOR_BYTES = 1024;

/** Receives what a {@link LineSplitter} cuts. Calls are synchronous and in stream order. */
export interface LineSink {
  /**
   * One complete, non-blank line: bytes `[start, end)` of `buf`, without its `\n` and without a
   * trailing `\r`. `buf` is either the pushed chunk itself or the splitter's accumulator, so the
   * bytes are only valid during the call: decode them, do not keep `buf`.
   */
  onLine(buf: Buffer, start: number, end: number): void;
  /** A line longer than the limit was skipped; `bytes` excludes its `\n` / `\r\n`. Once per line. */
  onOversized(bytes: number): void;
}

/**
 * A splitter's unfinished line, so that another splitter (in another process, after a handover)
 * continues the stream exactly where this one stopped. Plain data: `held` is a copy.
 */
export interface LineSplitterState {
  /** Bytes of the unfinished line (empty while skipping). */
  readonly held: Buffer;
  /** Skipping the rest of an oversized line. */
  readonly skipping: boolean;
  /** Raw bytes of that oversized line seen so far. */
  readonly skipped: number;
  readonly skippedLastWasCR: boolean;
}

/**
 * Zero-copy newline framing with a hard cap, for an observer of bytes that were already relayed.
 *
 * - Newlines are found with `indexOf(0x0a)`; complete lines inside a chunk are handed to the sink
 *   as offsets into that chunk (no copy, not even a `subarray` view object).
 * - Only the unfinished tail of a chunk is kept, copied into an accumulator, so the splitter never
 *   aliases a chunk the relay still owns. The accumulator exists only while a line is open: a
 *   line that spans chunks costs one allocation, and a connection between lines holds no buffer
 *   at all (kept, it was 1–16 KiB per direction of every idle miner, and a small one is a slice
 *   of Node's shared 8 KiB pool that pins the whole slab).
 * - CRLF is tolerated (a trailing `\r` is not part of the line), blank lines are dropped.
 * - A line longer than `maxLineBytes` (excluding its terminator) is never accumulated: what was
 *   held is dropped, bytes are counted until the next `\n`, and the sink hears one `onOversized`.
 *   At most `maxLineBytes + 1` bytes are ever held (the +1 is a `\r` that may precede the `\n`).
 */
export class LineSplitter {
  private readonly limit: number;
  private readonly sink: LineSink;
  /** Holds the unfinished line; `null` until a line first spans chunks. */
  private acc: Buffer | null = null;
  private accLen = 0;
  /** True while skipping the rest of an oversized line. */
  private skipping = false;
  /** Raw bytes of the oversized line seen so far (including a `\r` that may end it). */
  private skipped = 0;
  private skippedLastWasCR = false;

  constructor(maxLineBytes: number, sink: LineSink) {
    // A non-positive or non-finite cap would make every line oversized or the buffer unbounded.
    this.limit = Number.isFinite(maxLineBytes) && maxLineBytes >= 1 ? Math.floor(maxLineBytes) : 1;
    this.sink = sink;
  }

  /** Bytes currently held for an unfinished line (never more than `maxLineBytes + 1`). */
  get bufferedBytes(): number {
    return this.accLen;
  }

  /** Capacity of the accumulator currently allocated (never more than `maxLineBytes + 1`). */
  get capacity(): number {
    return this.acc === null ? 0 : this.acc.length;
  }

  push(chunk: Buffer): void {
    const len = chunk.length;
    if (len === 0) return;
    let pos = 0;

    if (this.skipping) {
      const nl = chunk.indexOf(LF, 0);
      if (nl === -1) {
        this.skipped += len;
        this.skippedLastWasCR = chunk[len - 1] === CR;
        return;
      }
      this.finishSkip(nl > 0 ? chunk[nl - 1] === CR : this.skippedLastWasCR, nl);
      pos = nl + 1;
    } else if (this.accLen > 0) {
      // A line spans chunks: the only place bytes are copied.
      const nl = chunk.indexOf(LF, 0);
      const headEnd = nl === -1 ? len : nl;
      const rawLen = this.accLen + headEnd;
      const last = headEnd > 0 ? chunk[headEnd - 1] : (this.acc as Buffer)[this.accLen - 1];
      const contentLen = last === CR ? rawLen - 1 : rawLen;
      if (contentLen > this.limit) {
        this.accLen = 0;
        this.releaseAccumulator();
        if (nl === -1) {
          this.skipping = true;
          this.skipped = rawLen;
          this.skippedLastWasCR = last === CR;
          return;
        }
        this.sink.onOversized(contentLen);
        pos = nl + 1;
      } else {
        this.append(chunk, 0, headEnd);
        if (nl === -1) return;
        // Reset before the callback so a throwing sink cannot leave a stale line behind.
        this.accLen = 0;
        const acc = this.acc as Buffer;
        if (contentLen > 0) this.sink.onLine(acc, 0, contentLen);
        this.releaseAccumulator();
        pos = nl + 1;
      }
    }

    // Hot path: whole lines inside this chunk, handed over as offsets.
    const limit = this.limit;
    let nl = chunk.indexOf(LF, pos);
    while (nl !== -1) {
      const end = nl > pos && chunk[nl - 1] === CR ? nl - 1 : nl;
      const contentLen = end - pos;
      if (contentLen > limit) this.sink.onOversized(contentLen);
      else if (contentLen > 0) this.sink.onLine(chunk, pos, end);
      pos = nl + 1;
      nl = chunk.indexOf(LF, pos);
    }

    if (pos < len) {
      const rawLen = len - pos;
      const lastWasCR = chunk[len - 1] === CR;
      if ((lastWasCR ? rawLen - 1 : rawLen) > limit) {
        this.skipping = true;
        this.skipped = rawLen;
        this.skippedLastWasCR = lastWasCR;
      } else {
        this.append(chunk, pos, len);
      }
    }
  }

  /** The stream ended: a final line without `\n` is delivered (or reported oversized). State resets. */
  end(): void {
    if (this.skipping) {
      this.finishSkip(this.skippedLastWasCR, 0);
      return;
    }
    const accLen = this.accLen;
    if (accLen === 0) return;
    this.accLen = 0;
    const acc = this.acc as Buffer;
    const contentLen = acc[accLen - 1] === CR ? accLen - 1 : accLen;
    if (contentLen > 0) this.sink.onLine(acc, 0, contentLen);
    this.releaseAccumulator();
  }

  /** The unfinished line, copied (handover: not for the hot path). */
  exportState(): LineSplitterState {
    const held = Buffer.alloc(this.accLen);
    if (this.acc !== null) this.acc.copy(held, 0, 0, this.accLen);
    return { held, skipping: this.skipping, skipped: this.skipped, skippedLastWasCR: this.skippedLastWasCR };
  }

  /**
   * Continue from another splitter's {@link exportState} (what this one held is dropped). A
   * state this splitter could never have reached — a held tail over its cap or with a newline in
   * it, or held bytes while skipping — throws a RangeError and leaves this splitter as it was.
   */
  importState(state: LineSplitterState): void {
    const held = state.held;
    const content = held.length > 0 && held[held.length - 1] === CR ? held.length - 1 : held.length;
    if (content > this.limit || held.indexOf(LF) !== -1 || (state.skipping && held.length > 0) || !(state.skipped >= 0)) {
      throw new RangeError(`line splitter state does not fit a ${this.limit}-byte line cap`);
    }
    this.reset();
    this.skipping = state.skipping;
    this.skipped = state.skipping ? state.skipped : 0;
    this.skippedLastWasCR = state.skipping && state.skippedLastWasCR;
    this.append(held, 0, held.length);
  }

  /** Forget any partial line (used after an unexpected failure to resynchronise on the next `\n`). */
  reset(): void {
    this.accLen = 0;
    this.skipping = false;
    this.skipped = 0;
    this.skippedLastWasCR = false;
    this.releaseAccumulator();
  }

  private finishSkip(lastWasCR: boolean, extra: number): void {
    const raw = this.skipped + extra;
    this.skipping = false;
    this.skipped = 0;
    this.skippedLastWasCR = false;
    this.sink.onOversized(lastWasCR ? raw - 1 : raw);
  }

  /** Callers guarantee `accLen + (end - start) <= limit + 1`, which bounds the accumulator. */
  private append(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    const needed = this.accLen + n;
    let acc = this.acc;
    if (acc === null || acc.length < needed) {
      let size = acc === null ? MIN_ACCUMULATOR_BYTES : acc.length * 2;
      while (size < needed) size *= 2;
      size = Math.min(size, this.limit + 1);
      const grown = Buffer.allocUnsafe(size);
      if (acc !== null && this.accLen > 0) acc.copy(grown, 0, 0, this.accLen);
      this.acc = acc = grown;
    }
    src.copy(acc, this.accLen, start, end);
    this.accLen = needed;
  }

  private releaseAccumulator(): void {
    if (this.accLen === 0) this.acc = null;
  }
}
