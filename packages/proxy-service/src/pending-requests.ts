/** JSON-RPC ids that can be waited on (null ids are notifications and get no answer). */
export type PendingId = number | string;

/**
 * One request waiting for its answer. Plain mutable fields and intrusive links so that adding,
 * matching, evicting and expiring are all O(1) without extra allocations.
 */
export interface PendingRequest<T> {
  readonly id: PendingId;
  /** Monotonic ms (the event's `t`) when the request was relayed. */
  readonly t: number;
  readonly data: T;
  /** Insertion-order links within one table (oldest first). */
  older: PendingRequest<T> | null;
  newer: PendingRequest<T> | null;
  /** Next request waiting under the same id (FIFO per id). */
  nextSameId: PendingRequest<T> | null;
  /** Only meaningful on the head of an id's queue: its last element. */
  lastSameId: PendingRequest<T> | null;
  /** Past the timeout and reported as such, but still matchable by a late answer. */
  timedOut: boolean;
}

/**
 * The requests one side of one connection is waiting on, keyed by JSON-RPC id.
 *
 * - A `Map` keyed by the raw id keeps 4 and "4" apart (SameValueZero) without building keys.
 * - The head of one id's queue lives outside the Map while no other id is waiting (`sole`): a
 *   miner with one request out at a time, or one that reuses an id, never touches the Map. A Map
 *   that gains and loses its only entry reallocates its table each time (~150 bytes per request,
 *   measured), the relay's largest allocation per share after the socket's own.
 * - Several requests may share an id (cpuminer sends id 4 for every submit): they are answered
 *   in order, so each id holds a FIFO queue.
 * - The table is bounded: past `maxSize` the oldest entry is evicted and handed back to the
 *   caller (who counts it as a timeout), so a peer that never answers cannot grow memory.
 * - Since every entry gets the same timeout and entries are appended in time order, the expired
 *   ones are always at the old end: expiry walks from there and stops at the first live one.
 */
export class PendingRequests<T> {
  /** Created when a second id waits at once: most connections never need it (an empty Map is ~100 bytes). */
  private byId: Map<PendingId, PendingRequest<T>> | null = null;
  /** The head of an id's queue kept out of `byId` (ids compare as in the Map: 4 and "4" differ). */
  private sole: PendingRequest<T> | null = null;
  private oldest: PendingRequest<T> | null = null;
  private newest: PendingRequest<T> | null = null;
  private count = 0;
  /** Oldest entry not yet marked timed out (entries are in time order, so marking walks from here). */
  private markCursor: PendingRequest<T> | null = null;
  private timedOutCount = 0;

  constructor(private readonly maxSize: number) {}

  get size(): number {
    return this.count;
  }

  /** Entries still within their timeout (size minus those kept only for a late answer). */
  get waiting(): number {
    return this.count - this.timedOutCount;
  }

  /** Adds a request; returns the entry evicted to make room, or null. */
  add(id: PendingId, t: number, data: T): PendingRequest<T> | null {
    let evicted: PendingRequest<T> | null = null;
    if (this.count >= this.maxSize && this.oldest !== null) {
      evicted = this.oldest;
      this.remove(evicted);
    }
    const entry: PendingRequest<T> = { id, t, data, older: this.newest, newer: null, nextSameId: null, lastSameId: null, timedOut: false };
    if (this.markCursor === null) this.markCursor = entry;
    if (this.newest !== null) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
    const head = this.headOf(id);
    if (head === undefined) {
      entry.lastSameId = entry;
      if (this.sole === null && (this.byId === null || this.byId.size === 0)) this.sole = entry;
      else (this.byId ??= new Map()).set(id, entry);
    } else {
      (head.lastSameId as PendingRequest<T>).nextSameId = entry;
      head.lastSameId = entry;
    }
    this.count++;
    return evicted;
  }

  /** The oldest request still waiting under `id` (removed), or undefined when none is. */
  take(id: PendingId): PendingRequest<T> | undefined {
    const head = this.headOf(id);
    if (head === undefined) return undefined;
    this.remove(head);
    return head;
  }

  /**
   * Marks and reports, oldest first, every entry with `t <= deadline` not marked yet; they stay
   * matchable (a late answer is still an answer). Returns how many were marked.
   */
  markTimedOut(deadline: number, onTimedOut: (entry: PendingRequest<T>) => void): number {
    let n = 0;
    let entry = this.markCursor;
    while (entry !== null && entry.t <= deadline) {
      // Only an entry restored as timed out (a handover) can be marked already: count it once.
      if (!entry.timedOut) {
        entry.timedOut = true;
        this.timedOutCount++;
        n++;
        onTimedOut(entry);
      }
      entry = entry.newer;
    }
    this.markCursor = entry;
    return n;
  }

  /** Removes and reports, oldest first, every entry with `t <= deadline`. Returns how many. */
  expire(deadline: number, onExpired: (entry: PendingRequest<T>) => void): number {
    let n = 0;
    while (this.oldest !== null && this.oldest.t <= deadline) {
      const entry = this.oldest;
      this.remove(entry);
      n++;
      onExpired(entry);
    }
    return n;
  }

  /** Every entry, oldest first (a handover exports them in this order; not for the hot path). */
  forEach(fn: (entry: PendingRequest<T>) => void): void {
    for (let e = this.oldest; e !== null; e = e.newer) fn(e);
  }

  /**
   * Handover: {@link add} for a request another table was waiting on, restored oldest first,
   * already marked timed out when it was there (it is not reported as such again). Returns the
   * entry evicted to make room, as `add` does.
   */
  restore(id: PendingId, t: number, data: T, timedOut: boolean): PendingRequest<T> | null {
    const evicted = this.add(id, t, data);
    if (timedOut) {
      const entry = this.newest as PendingRequest<T>;
      entry.timedOut = true;
      this.timedOutCount++;
      if (this.markCursor === entry) this.markCursor = null;
    }
    return evicted;
  }

  /** Drops everything (the connection closed: nobody will answer). Returns how many were dropped. */
  clear(onDropped?: (entry: PendingRequest<T>) => void): number {
    const n = this.count;
    if (onDropped !== undefined) for (let e = this.oldest; e !== null; e = e.newer) onDropped(e);
    this.byId = null;
    this.sole = null;
    this.oldest = null;
    this.newest = null;
    this.markCursor = null;
    this.count = 0;
    this.timedOutCount = 0;
    return n;
  }

  /** The oldest entry waiting under `id` (`===` is the Map's SameValueZero for ids from JSON, never NaN). */
  private headOf(id: PendingId): PendingRequest<T> | undefined {
    const sole = this.sole;
    if (sole !== null && sole.id === id) return sole;
    return this.byId === null ? undefined : this.byId.get(id);
  }

  /**
   * Unlinks `entry`. Callers only ever remove the head of an id's queue: `take` by construction,
   * and eviction/expiry remove the oldest entry overall, which is older than any other entry of
   * its id and therefore that id's head.
   */
  private remove(entry: PendingRequest<T>): void {
    if (entry === this.markCursor) this.markCursor = entry.newer;
    if (entry.timedOut) this.timedOutCount--;
    if (entry.older !== null) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer !== null) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = null;
    entry.newer = null;

    const next = entry.nextSameId;
    const sole = this.sole === entry;
    if (next === null) {
      if (sole) this.sole = null;
      else this.byId?.delete(entry.id);
    } else {
      next.lastSameId = entry.lastSameId;
      if (sole) this.sole = next;
      else (this.byId ??= new Map()).set(entry.id, next);
      entry.nextSameId = null;
    }
    entry.lastSameId = null;
    this.count--;
  }
}
