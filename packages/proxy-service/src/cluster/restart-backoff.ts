export interface RestartBackoffOptions {
  /** Delay before the first restart (default 100 ms). */
  readonly initialMs?: number;
  /** The delay doubles up to this (default 10 s). */
  readonly maxMs?: number;
  /** A worker that ran this long before it exited is restarted after `initialMs` again (default 30 s). */
  readonly resetAfterMs?: number;
}

/**
 * When to start a worker again after it exited unexpectedly. A worker that crashes at once
 * (a bad release, a port someone else took) is retried at 100 ms, 200 ms, 400 ms … up to 10 s,
 * so a crash loop costs little CPU and little log; one that ran a while before it crashed is
 * back after 100 ms. One per worker slot: one slot's crash loop does not slow another's restart.
 */
export class RestartBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  private nextMs: number;

  constructor(options: RestartBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 100;
    this.maxMs = options.maxMs ?? 10_000;
    this.resetAfterMs = options.resetAfterMs ?? 30_000;
    this.nextMs = this.initialMs;
  }

  /** The delay before the restart of a worker that ran `ranForMs` before it exited. */
  next(ranForMs: number): number {
    if (ranForMs >= this.resetAfterMs) this.nextMs = this.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.maxMs, this.nextMs * 2);
    return delay;
  }
}
