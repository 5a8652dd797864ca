import type { UpstreamPool, UpstreamPools } from './upstream-pools';

/** What failback needs of a relayed connection. */
export interface FailbackCandidate {
  /** The pool it is relayed to now, null while it connects. */
  readonly upstreamPool: UpstreamPool | null;
  /** Close it so the miner reconnects (and lands on the preferred pool). */
  failback(): void;
}

export interface FailbackOptions {
  readonly pools: UpstreamPools;
  /** How long the preferred pool must have been up before miners are moved; null = never. */
  readonly delayMs: number | null;
  /** Miners moved per second at most. */
  readonly ratePerSecond: number;
  /** The open connections (iterated only when there is something to move). */
  readonly connections: () => Iterable<FailbackCandidate>;
}

/** Never tick faster than this: timers below ~50 ms cost more than they buy. */
const MIN_TICK_MS = 50;

/**
 * Return to the primary. Once the pool new miners land on (the highest-priority pool that is up)
 * has been up for `delayMs`, miners still relayed to lower-priority pools are closed, at no more
 * than `ratePerSecond`, so that they reconnect to it without a reconnect storm (xmrig-proxy#89:
 * proxies that never return to the primary leave a farm on its backup for good).
 */
export class Failback {
  private timer: NodeJS.Timeout | null = null;
  private tickMs = MIN_TICK_MS;
  private perTick = 1;
  private options: FailbackOptions;

  constructor(options: FailbackOptions) {
    this.options = options;
    this.setRate(options.ratePerSecond);
  }

  /** New delay and rate (config reload); a running schedule restarts with them. */
  reconfigure(delayMs: number | null, ratePerSecond: number): void {
    const running = this.timer !== null || this.started;
    this.stop();
    this.options = { ...this.options, delayMs, ratePerSecond };
    this.setRate(ratePerSecond);
    if (running) this.start();
  }

  private started = false;

  private setRate(ratePerSecond: number): void {
    this.tickMs = Math.max(MIN_TICK_MS, Math.floor(1000 / ratePerSecond));
    this.perTick = Math.max(1, Math.round((ratePerSecond * this.tickMs) / 1000));
  }

  start(): void {
    this.started = true;
    if (this.timer !== null || this.options.delayMs === null) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    this.started = false;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Moves at most one tick's worth of miners; returns how many were closed. */
  tick(): number {
    const { pools, delayMs } = this.options;
    if (delayMs === null) return 0;
    const target = pools.preferred();
    if (target === null || target.health.upFor(pools.now()) < delayMs) return 0;
    let waiting = false;
    for (const pool of pools.pools) if (pool.priority > target.priority && pool.miners > 0) waiting = true;
    if (!waiting) return 0;
    let moved = 0;
    for (const connection of this.options.connections()) {
      const pool = connection.upstreamPool;
      if (pool === null || pool.priority <= target.priority || !pools.pools.includes(pool)) continue;
      connection.failback();
      if (++moved >= this.perTick) break;
    }
    return moved;
  }
}
