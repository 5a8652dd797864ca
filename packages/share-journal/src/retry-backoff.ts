/**
 * Delays between attempts while the database fails: doubling from `minMs` to `maxMs`, back to
 * `minMs` after a success. Pure: the writer owns the clock.
 */
export class RetryBackoff {
  private next: number;
  /** Consecutive failures since the last success. */
  failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.next = minMs;
  }

  /** A failure: how long to wait before the next attempt. */
  fail(): number {
    this.failures++;
    const delay = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return delay;
  }

  succeed(): void {
    this.failures = 0;
    this.next = this.minMs;
  }
}
