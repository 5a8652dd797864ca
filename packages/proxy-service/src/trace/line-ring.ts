/** Smallest byte ring allocated (a connection that sent one short line holds no more). */
const MIN_RING_BYTES = 1024;
/** Smallest line table (slots) allocated. */
const MIN_SLOTS = 16;
/** Below this many bytes a loop beats a native copy's call. */
const SHORT_COPY = 32;

/**
 * The last lines of one direction of one connection: their bytes in one circular byte ring; per
 * line its ring offset (an Int32Array) and its size, time and sequence number (a Float64Array), in
 * a circular table of slots whose oldest is `first`. No object and no string per line: strings are
 * built only when the trace is read. Both grow on demand, the ring up to `maxBytes`, the table up
 * to `maxLines`.
 *
 * Lines sit in the ring one after the other, in order: a line's footprint (the ring bytes it
 * holds, what the byte bounds count) runs from its offset to the next line's. That is its own
 * bytes, plus the newline between it and the next line when consecutive lines were copied out of
 * a chunk at once. A line not kept (over a size limit) has a slot, no bytes, and a negative size:
 * minus its size.
 *
 * Callers make room before they write ({@link drop} until `used + n <= maxBytes` and `count + lines
 * <= maxLines`); the ring never evicts on its own.
 */
export class LineRing {
  private bytes: Buffer = EMPTY;
  /** Where the oldest line's bytes start, and where the next bytes go. */
  private head = 0;
  private tail = 0;
  /** Bytes held (the footprints of the kept lines). */
  used = 0;
  /** Per slot: the line's offset in the ring (where it would be, for a line not kept). */
  private offsets: Int32Array = EMPTY_INTS;
  /** Per slot: [size in bytes (negative: not kept), time, seq]. */
  private floats: Float64Array = EMPTY_FLOATS;
  private slots = 0;
  private first = 0;
  count = 0;
  /**
   * What the ring should not grow past unless a write needs it (the connection's fair share of
   * TRACE_MAX_BYTES when that bound binds): doubling up to 64 KiB would otherwise allocate twice
   * what the global bound lets it keep.
   */
  softMax = Infinity;

  constructor(
    private readonly maxBytes: number,
    private readonly maxLines: number,
  ) {}

  /** Bytes allocated for lines (the ring), for the memory probe. */
  get capacity(): number {
    return this.bytes.length;
  }

  /** The sequence number of the oldest line, or Infinity when empty. */
  oldestSeq(): number {
    return this.count === 0 ? Infinity : (this.floats[this.first * 3 + 2] as number);
  }

  /** The sequence number of the k-th oldest line (0 = oldest). */
  seqAt(k: number): number {
    let i = this.first + k;
    if (i >= this.slots) i -= this.slots;
    return this.floats[i * 3 + 2] as number;
  }

  /** Drops the oldest line; returns the bytes it held. */
  shift(): number {
    return this.drop(1);
  }

  /** Drops the `n` oldest lines (all when fewer); returns the bytes they held. */
  drop(n: number): number {
    if (n <= 0 || this.count === 0) return 0;
    if (n >= this.count) {
      // Empty: start over at offset 0 (no line is split by the ring's end needlessly).
      const all = this.used;
      this.count = this.head = this.tail = this.used = this.first = 0;
      return all;
    }
    let i = this.first + n;
    if (i >= this.slots) i -= this.slots;
    // The lines are in order in the ring: what the dropped ones held ends where the next one starts.
    const next = this.offsets[i] as number;
    let freed = next >= this.head ? next - this.head : next + this.bytes.length - this.head;
    if (freed === 0 && this.used === this.bytes.length && this.held(n)) freed = this.used;
    this.first = i;
    this.count -= n;
    this.used -= freed;
    this.head = next;
    return freed;
  }

  /**
   * Copies bytes `[start, end)` of `src` to the ring: lines registered next with {@link addLines}
   * or {@link addLine} point into them. The caller made room (`used + (end - start) <= maxBytes`).
   * Returns where they start in the ring.
   */
  write(src: Buffer, start: number, end: number): number {
    const n = end - start;
    if (this.used + n > this.bytes.length) this.grow(this.used + n);
    const ring = this.bytes;
    const at = this.tail;
    const room = ring.length - at;
    if (n <= room) {
      copyBytes(src, start, end, ring, at);
    } else {
      copyBytes(src, start, start + room, ring, at);
      copyBytes(src, start + room, end, ring, 0);
    }
    this.tail = at + n >= ring.length ? at + n - ring.length : at + n;
    this.used += n;
    return at;
  }

  /**
   * HOT PATH: registers `n` lines written with one {@link write}: line k is `[starts[i], ends[i])`
   * of the source, i = (first + k) modulo the tables' length (the caller's circular table), at
   * ring offset `delta + starts[i]`. Times from `times`, seqs from `seq` on.
   */
  addLines(delta: number, starts: Int32Array, ends: Float64Array, times: Float64Array, first: number, n: number, seq: number): void {
    if (this.count + n > this.slots) this.moreSlots(this.count + n);
    const ringBytes = this.bytes.length;
    const table = starts.length;
    const offsets = this.offsets;
    const floats = this.floats;
    let slot = this.first + this.count;
    if (slot >= this.slots) slot -= this.slots;
    let i = first;
    for (let k = 0; k < n; k++) {
      const start = starts[i] as number;
      const offset = delta + start;
      offsets[slot] = offset >= ringBytes ? offset - ringBytes : offset;
      floats[slot * 3] = (ends[i] as number) - start;
      floats[slot * 3 + 1] = times[i] as number;
      floats[slot * 3 + 2] = seq + k;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
      i = i + 1 === table ? 0 : i + 1;
    }
    this.count += n;
  }

  /** Registers one line whose bytes were just written at `offset` (from {@link write}). */
  addLine(offset: number, size: number, t: number, seq: number): void {
    const i = this.slot();
    this.offsets[i] = offset;
    this.floats[i * 3] = size;
    this.floats[i * 3 + 1] = t;
    this.floats[i * 3 + 2] = seq;
  }

  /** Registers a line that was not kept: its size only (> 0). */
  addNotKept(size: number, t: number, seq: number): void {
    this.addLine(this.tail, -size, t, seq);
  }

  /**
   * The k-th oldest line (0 = oldest): calls `visit` with its text (null when not kept), size,
   * time and seq. Decodes the bytes: read path only.
   */
  read(k: number, visit: (text: string | null, size: number, t: number, seq: number) => void): void {
    let i = this.first + k;
    if (i >= this.slots) i -= this.slots;
    const offset = this.offsets[i] as number;
    const size = this.floats[i * 3] as number;
    const t = this.floats[i * 3 + 1] as number;
    const seq = this.floats[i * 3 + 2] as number;
    if (size < 0) return visit(null, -size, t, seq);
    const ring = this.bytes;
    const text =
      offset + size <= ring.length
        ? ring.toString('utf8', offset, offset + size)
        : // Split by the ring's end: decoded whole, so a character cut in two reads back intact.
          Buffer.concat([ring.subarray(offset), ring.subarray(0, offset + size - ring.length)]).toString('utf8');
    visit(text, size, t, seq);
  }

  /** Gives back what is allocated beyond what is held (a closed connection's trace grows no more). */
  compact(): void {
    if (this.bytes.length > this.used) this.moveBytes(this.used);
    if (this.slots > this.count) this.moveSlots(this.count);
  }

  /** Gives back most of the ring when it holds less than half of it (lines were taken by the global bound). */
  trim(): void {
    if (this.bytes.length > MIN_RING_BYTES && this.bytes.length > 2 * this.used) this.moveBytes(kib(Math.max(MIN_RING_BYTES, this.used * 1.25)));
  }

  /** Whether the `n` oldest lines hold bytes (one of them was kept): only when offsets cannot tell. */
  private held(n: number): boolean {
    for (let k = 0; k < n; k++) {
      let i = this.first + k;
      if (i >= this.slots) i -= this.slots;
      if ((this.floats[i * 3] as number) > 0) return true;
    }
    return false;
  }

  private slot(): number {
    if (this.count === this.slots) this.moreSlots(this.count + 1);
    let i = this.first + this.count;
    if (i >= this.slots) i -= this.slots;
    this.count++;
    return i;
  }

  /** Room for `needed` lines in the table (the caller dropped lines over maxLines first). */
  private moreSlots(needed: number): void {
    if (needed > this.maxLines) throw new RangeError('line table full: the caller must drop lines first');
    let slots = Math.max(MIN_SLOTS, this.slots * 2);
    while (slots < needed) slots *= 2;
    this.moveSlots(Math.min(slots, this.maxLines));
  }

  private grow(needed: number): void {
    if (needed > this.maxBytes) throw new RangeError('byte ring full: the caller must drop lines first');
    let size = Math.max(MIN_RING_BYTES, this.bytes.length * 2);
    while (size < needed) size *= 2;
    if (size > this.softMax) size = kib(Math.max(needed, this.softMax, this.bytes.length * 1.25));
    this.moveBytes(Math.min(size, this.maxBytes));
  }

  /** A ring of `size` bytes (>= used), the kept bytes moved to its start, the offsets with them. */
  private moveBytes(size: number): void {
    const old = this.bytes;
    const head = this.head;
    const bytes = size === 0 ? EMPTY : Buffer.alloc(size);
    if (this.used > 0) {
      const firstPart = Math.min(this.used, old.length - head);
      old.copy(bytes, 0, head, head + firstPart);
      if (firstPart < this.used) old.copy(bytes, firstPart, 0, this.used - firstPart);
    }
    const tail = this.used === size ? 0 : this.used;
    // Newest first: a line not kept sits where the next line starts (nothing was written between).
    let next = tail;
    for (let k = this.count - 1; k >= 0; k--) {
      let i = this.first + k;
      if (i >= this.slots) i -= this.slots;
      if ((this.floats[i * 3] as number) >= 0) {
        const offset = this.offsets[i] as number;
        next = offset >= head ? offset - head : offset + old.length - head;
      }
      this.offsets[i] = next;
    }
    this.bytes = bytes;
    this.head = 0;
    this.tail = tail;
  }

  /** A table of `slots` slots (>= count), the lines moved to its start. */
  private moveSlots(slots: number): void {
    const offsets = slots === 0 ? EMPTY_INTS : new Int32Array(slots);
    const floats = slots === 0 ? EMPTY_FLOATS : new Float64Array(slots * 3);
    for (let k = 0; k < this.count; k++) {
      let i = this.first + k;
      if (i >= this.slots) i -= this.slots;
      offsets[k] = this.offsets[i] as number;
      floats[k * 3] = this.floats[i * 3] as number;
      floats[k * 3 + 1] = this.floats[i * 3 + 1] as number;
      floats[k * 3 + 2] = this.floats[i * 3 + 2] as number;
    }
    this.offsets = offsets;
    this.floats = floats;
    this.slots = slots;
    this.first = 0;
  }
}

const EMPTY = Buffer.alloc(0);
const EMPTY_INTS = new Int32Array(0);
const EMPTY_FLOATS = new Float64Array(0);

/** Rounded up to whole KiB. */
function kib(bytes: number): number {
  return Math.ceil(bytes / 1024) * 1024;
}

/** HOT PATH (once per batch of lines): src[start, end) to dst at `at`. */
function copyBytes(src: Buffer, start: number, end: number, dst: Buffer, at: number): void {
  if (end - start < SHORT_COPY) {
    for (let i = start; i < end; i++) dst[at++] = src[i] as number;
  } else {
    // A plain view: Buffer#subarray would go through Buffer's species constructor.
    dst.set(new Uint8Array(src.buffer, src.byteOffset + start, end - start), at);
  }
}
