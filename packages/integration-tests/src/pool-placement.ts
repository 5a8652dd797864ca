import { performance } from 'node:perf_hooks';

/** Pool label → the extranonce1 prefix that pool hands out (pool-sim's `--extranonce1-prefix`). */
export type PoolPrefixes = Readonly<Record<string, string>>;

/** What a miner's latest extranonce1 says when it matches no prefix, or the miner never subscribed. */
export const NO_POOL = 'none';

/**
 * The pool a miner is on (or last was on), from the extranonce1 of its latest subscribe answer
 * (MinerFarm.extranonce1s()). The proxy relays the pool's answer untouched, so the prefix is the
 * pool's own mark: this does not rely on anything the proxy reports about itself.
 */
export function poolOfExtranonce1(extranonce1: string | null, prefixes: PoolPrefixes): string {
  if (extranonce1 === null) return NO_POOL;
  const e = extranonce1.toLowerCase();
  for (const [pool, prefix] of Object.entries(prefixes)) if (e.startsWith(prefix.toLowerCase())) return pool;
  return NO_POOL;
}

/** How many miners are on each pool of `prefixes` (every pool listed, 0 included), and on NO_POOL. */
export function minersPerPool(extranonce1s: ReadonlyMap<string, string | null>, prefixes: PoolPrefixes): Record<string, number> {
  const out: Record<string, number> = { [NO_POOL]: 0 };
  for (const pool of Object.keys(prefixes)) out[pool] = 0;
  for (const e of extranonce1s.values()) {
    const pool = poolOfExtranonce1(e, prefixes);
    out[pool] = (out[pool] ?? 0) + 1;
  }
  return out;
}

/**
 * Watches which pool each miner is on by polling `read` (MinerFarm.extranonce1s) and keeps, per
 * pool, when each miner was first seen on it after start(): the moves of a failover or failback
 * in time. Precision is the poll interval plus event-loop lag, and a time is never early (a move is
 * seen at or after it happened), which is the safe side for a "not faster than" assertion on a span.
 */
export class PlacementRecorder {
  private timer: NodeJS.Timeout | null = null;
  private readonly firstSeen = new Map<string, Map<string, number>>();
  private readonly polls: number[] = [];

  constructor(
    private readonly read: () => ReadonlyMap<string, string | null>,
    private readonly prefixes: PoolPrefixes,
    private readonly intervalMs = 20,
  ) {}

  /** Starts polling (and polls once at once). Arrivals already true at start are stamped with the start time. */
  start(): this {
    if (this.timer !== null) return this;
    this.poll();
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    return this;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Worker → performance.now() of the first poll that saw it on `pool`. */
  arrivals(pool: string): ReadonlyMap<string, number> {
    return this.firstSeen.get(pool) ?? new Map();
  }

  /** The longest gap between two polls: how coarse the recorded times are. */
  maxPollGapMs(): number {
    let max = 0;
    for (let i = 1; i < this.polls.length; i++) max = Math.max(max, (this.polls[i] as number) - (this.polls[i - 1] as number));
    return max;
  }

  private poll(): void {
    const now = performance.now();
    this.polls.push(now);
    for (const [worker, e] of this.read()) {
      const pool = poolOfExtranonce1(e, this.prefixes);
      let seen = this.firstSeen.get(pool);
      if (seen === undefined) {
        seen = new Map();
        this.firstSeen.set(pool, seen);
      }
      if (!seen.has(worker)) seen.set(worker, now);
    }
  }
}
