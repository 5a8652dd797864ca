/** Smallest byte ring allocated (a connection that sent one short line holds no more). */
const MIN_RING_BYTES = 1024;
/** Smallest line table (slots) allocated. */
const MIN_SLOTS = 16;
/** Marks a slot whose line was not kept (only its size is). */
const NOT_KEPT = -1;

/**
 * The last lines of one direction of one connection: their bytes in one circular byte ring, their
 * offsets, footprints, sizes, times and sequence numbers in typed arrays (a circular table of slots
 * whose oldest is `first`). No object and no string per line: strings are built only when the
 * trace is read. Both grow on demand, the ring up to `maxBytes`, the table up to `maxLines`.
 *
 * A line's footprint is the ring bytes it holds: its own bytes, plus the newline between it and
 * the next line when consecutive lines were copied out of a chunk at once (what the byte bounds
 * count). A line not kept (over a size limit) has a slot and no bytes.
 *
 * Callers make room before they write ({@link shift} until `used + n <= maxBytes` and `count <
 * maxLines`); the ring never evicts on its own.
 */
export class LineRing {
  private bytes: Buffer = EMPTY;
  /** Where the oldest line's bytes start, and where the next bytes go. */
  private head = 0;
  private tail = 0;
  /** Bytes held (the footprints of the kept lines). */
  used = 0;
  /** Per slot: [byte offset or NOT_KEPT, footprint]. */
  private ints: Int32Array = EMPTY_INTS;
  /** Per slot: [size in bytes, time, seq]. */
  private floats: Float64Array = EMPTY_FLOATS;
  private slots = 0;
  private first = 0;
  count = 0;

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
    if (n > this.count) n = this.count;
    if (n <= 0) return 0;
    let freed = 0;
    let i = this.first;
    for (let k = 0; k < n; k++) {
      freed += this.ints[i * 2 + 1] as number;
      i = i + 1 === this.slots ? 0 : i + 1;
    }
    this.first = i;
    this.count -= n;
    this.used -= freed;
    if (this.count === 0) {
      // Empty: start over at offset 0 (no line is split by the ring's end needlessly).
      this.head = this.tail = this.used = 0;
    } else {
      this.head += freed;
      if (this.head >= this.bytes.length) this.head -= this.bytes.length;
    }
    return freed;
  }

  /**
   * Copies bytes `[start, end)` of `src` to the ring: lines registered next with {@link addLine}
   * point into them. The caller made room (`used + (end - start) <= maxBytes`). Returns where
   * they start in the ring.
   */
  write(src: Uint8Array, start: number, end: number): number {
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
   * Registers a line whose bytes were written: `offset` from {@link write}'s result (the caller
   * adds the line's position in what it wrote), `footprint` the ring bytes it holds.
   */
  addLine(offset: number, size: number, footprint: number, t: number, seq: number): void {
    const i = this.slot();
    const ringBytes = this.bytes.length;
    this.ints[i * 2] = offset >= ringBytes ? offset - ringBytes : offset;
    this.ints[i * 2 + 1] = footprint;
    this.floats[i * 3] = size;
    this.floats[i * 3 + 1] = t;
    this.floats[i * 3 + 2] = seq;
  }

  /**
   * HOT PATH: registers `n` lines written with one {@link write}: line k is `[starts[i],
   * ends[i])` of what was written, i = (first + k) modulo the tables' length (the caller's circular
   * table), at ring offset `delta + starts[i]`; its footprint runs to the next line's start (the
   * last one's to its end). Times from `times`, seqs from `seq` on.
   */
  addLines(delta: number, starts: Int32Array, ends: Float64Array, times: Float64Array, first: number, n: number, seq: number): void {
    if (this.count + n > this.slots) this.moreSlots(this.count + n);
    const ringBytes = this.bytes.length;
    const table = starts.length;
    const ints = this.ints;
    const floats = this.floats;
    let slot = this.first + this.count;
    if (slot >= this.slots) slot -= this.slots;
    let i = first;
    for (let k = 0; k < n; k++) {
      const next = i + 1 === table ? 0 : i + 1;
      const start = starts[i] as number;
      const end = ends[i] as number;
      const offset = delta + start;
      ints[slot * 2] = offset >= ringBytes ? offset - ringBytes : offset;
      ints[slot * 2 + 1] = (k + 1 < n ? (starts[next] as number) : end) - start;
      floats[slot * 3] = end - start;
      floats[slot * 3 + 1] = times[i] as number;
      floats[slot * 3 + 2] = seq + k;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
      i = next;
    }
    this.count += n;
  }

  /** Registers a line that was not kept: its size only. */
  addNotKept(size: number, t: number, seq: number): void {
    const i = this.slot();
    this.ints[i * 2] = NOT_KEPT;
    this.ints[i * 2 + 1] = 0;
    this.floats[i * 3] = size;
    this.floats[i * 3 + 1] = t;
    this.floats[i * 3 + 2] = seq;
  }

  /**
   * The k-th oldest line (0 = oldest): calls `visit` with its text (null when not kept), size,
   * time and seq. Decodes the bytes: read path only.
   */
  read(k: number, visit: (text: string | null, size: number, t: number, seq: number) => void): void {
    let i = this.first + k;
    if (i >= this.slots) i -= this.slots;
    const offset = this.ints[i * 2] as number;
    const size = this.floats[i * 3] as number;
    const t = this.floats[i * 3 + 1] as number;
    const seq = this.floats[i * 3 + 2] as number;
    if (offset === NOT_KEPT) return visit(null, size, t, seq);
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
    if (needed > this.maxBytes) throw new RangeError('byte ring full: the caller must shift first');
    let size = Math.max(MIN_RING_BYTES, this.bytes.length * 2);
    while (size < needed) size *= 2;
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
    for (let k = 0; k < this.count; k++) {
      let i = this.first + k;
      if (i >= this.slots) i -= this.slots;
      const offset = this.ints[i * 2] as number;
      if (offset !== NOT_KEPT) this.ints[i * 2] = offset >= head ? offset - head : offset + old.length - head;
    }
    this.bytes = bytes;
    this.head = 0;
    this.tail = this.used === size ? 0 : this.used;
  }

  /** A table of `slots` slots (>= count), the lines moved to its start. */
  private moveSlots(slots: number): void {
    const ints = slots === 0 ? EMPTY_INTS : new Int32Array(slots * 2);
    const floats = slots === 0 ? EMPTY_FLOATS : new Float64Array(slots * 3);
    for (let k = 0; k < this.count; k++) {
      let i = this.first + k;
      if (i >= this.slots) i -= this.slots;
      ints[k * 2] = this.ints[i * 2] as number;
      ints[k * 2 + 1] = this.ints[i * 2 + 1] as number;
      floats[k * 3] = this.floats[i * 3] as number;
      floats[k * 3 + 1] = this.floats[i * 3 + 1] as number;
      floats[k * 3 + 2] = this.floats[i * 3 + 2] as number;
    }
    this.ints = ints;
    this.floats = floats;
    this.slots = slots;
    this.first = 0;
  }
}

const EMPTY = Buffer.alloc(0);
const EMPTY_INTS = new Int32Array(0);
const EMPTY_FLOATS = new Float64Array(0);

/** Below this many bytes a loop beats Buffer#copy's call (it builds a view of the source). */
const SHORT_COPY = 48;

/** HOT PATH (once per batch of lines): src[start, end) to dst at `at`. */
function copyBytes(src: Uint8Array, start: number, end: number, dst: Buffer, at: number): void {
  if (end - start < SHORT_COPY) {
    for (let i = start; i < end; i++) dst[at++] = src[i] as number;
  } else {
    dst.set(src.subarray(start, end), at);
  }
}
