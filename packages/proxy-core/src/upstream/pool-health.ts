/**
 * What the proxy believes of one pool: up, down, or not known yet (no probe or connect has
 * finished). Fed by background probes and by miners' connects; read by selection, failback,
 * /readyz and the metrics.
 */
export class PoolHealth {
  /** null until the first probe or connect finished. */
  up: boolean | null = null;
  /** Monotonic ms of the latest change of `up` (failback waits on how long a pool has been up). */
  changedAt = 0;
  /** Wall-clock ms of the latest change, for /status. */
  changedAtWall: number | null = null;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  lastUpAt: number | null = null;

  /** Returns true when the state changed. */
  markUp(now: number, wallNow: number): boolean {
    this.lastUpAt = wallNow;
    if (this.up === true) return false;
    this.up = true;
    this.changedAt = now;
    this.changedAtWall = wallNow;
    return true;
  }

  /** Returns true when the state changed. */
  markDown(error: string, now: number, wallNow: number): boolean {
    this.lastError = error;
    this.lastErrorAt = wallNow;
    if (this.up === false) return false;
    this.up = false;
    this.changedAt = now;
    this.changedAtWall = wallNow;
    return true;
  }

  /** How long the pool has been up without interruption (0 when it is not up). */
  upFor(now: number): number {
    return this.up === true ? now - this.changedAt : 0;
  }
}
