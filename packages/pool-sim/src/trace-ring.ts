import type { JsonRpcId } from '@stratum-relay/shared-types';

/** Named from the pool's side: miner_to_pool is what it received, pool_to_miner what it sent. */
export type TraceDirection = 'miner_to_pool' | 'pool_to_miner';
export const TRACE_DIRECTIONS: readonly TraceDirection[] = ['miner_to_pool', 'pool_to_miner'];

/**
 * What a line was: a request (has an id), a notification (id null or absent), a response
 * (an answer, either way), or malformed (not a JSON-RPC object; the pool's own chaos garbage
 * is malformed too).
 */
export type TraceKind = 'request' | 'notification' | 'response' | 'malformed';

export interface TraceMeta {
  readonly kind: TraceKind;
  /** Bytes on the wire, newline included (the masked line may be shorter or longer). */
  readonly bytes: number;
  readonly id?: JsonRpcId;
  /** The session's first authorized worker when the line passed, if any. */
  readonly worker?: string;
  /** The line was changed to remove a secret (see maskTraceLine). */
  readonly masked?: boolean;
  /** For the answer to a mining.submit: the verdict it carried. */
  readonly verdict?: string;
}

/** One traced line. */
export interface TraceRecord {
  /** Order over the whole pool, from 1; a poller asks for `since` its last seq. */
  readonly seq: number;
  /** Milliseconds since the epoch. */
  readonly t: number;
  readonly session: number;
  readonly direction: TraceDirection;
  /**
   * The request's or notification's method; for a response, the method of the request it
   * answers (so `method=mining.submit` finds submits and their answers); null when unknown.
   */
  readonly method: string | null;
  /** Without its newline; secrets masked. */
  readonly line: string;
  readonly meta: TraceMeta;
}

export interface TraceQuery {
  readonly session?: number;
  readonly method?: string;
  readonly direction?: TraceDirection;
  /** Only records with a larger seq. */
  readonly since?: number;
  /** At most this many, the newest ones, returned oldest first. */
  readonly limit: number;
}

/**
 * The pool's global trace: the last `capacity` lines of every session, both ways. A ring over
 * a fixed array, so a full ring costs the same per line as an empty one and memory is bounded
 * by the count (each line is also bounded by the pool's maxLineBytes).
 */
export class TraceRing {
  private readonly slots: (TraceRecord | undefined)[];
  private next = 0;
  private size_ = 0;
  private seq = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`trace capacity must be an integer >= 1, got ${String(capacity)}`);
    this.slots = new Array<TraceRecord | undefined>(capacity);
  }

  get size(): number {
    return this.size_;
  }

  /** Lines recorded since the start (evicted ones included). */
  get recorded(): number {
    return this.seq;
  }

  record(t: number, session: number, direction: TraceDirection, method: string | null, line: string, meta: TraceMeta): void {
    this.seq += 1;
    this.slots[this.next] = { seq: this.seq, t, session, direction, method, line, meta };
    this.next = (this.next + 1) % this.capacity;
    if (this.size_ < this.capacity) this.size_ += 1;
  }

  /** The oldest record still held (what the ring's window starts with), if any. */
  oldest(): TraceRecord | undefined {
    if (this.size_ === 0) return undefined;
    return this.slots[(this.next - this.size_ + this.capacity) % this.capacity];
  }

  /** The newest `limit` records that match, oldest first. Scans newest to oldest and stops early. */
  query(q: TraceQuery): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (let i = 1; i <= this.size_ && out.length < q.limit; i += 1) {
      const r = this.slots[(this.next - i + this.capacity) % this.capacity];
      if (r === undefined) break;
      if (q.since !== undefined && r.seq <= q.since) break;
      if (q.session !== undefined && r.session !== q.session) continue;
      if (q.direction !== undefined && r.direction !== q.direction) continue;
      if (q.method !== undefined && r.method !== q.method) continue;
      out.push(r);
    }
    return out.reverse();
  }
}
