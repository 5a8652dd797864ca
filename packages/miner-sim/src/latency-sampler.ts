/**
 * Nearest-rank percentile of an ascending-sorted sample; `p` in [0, 100]. NaN when empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1] as number;
}

export interface LatencyStats {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Submit round-trip latencies with bounded memory: a uniform reservoir (Algorithm R) of at most
 * `capacity` values, so a long load test does not grow without bound; count and max are exact.
 */
export class LatencySampler {
  private readonly reservoir: number[] = [];
  private seen = 0;
  private maxMs = 0;

  constructor(
    private readonly capacity: number,
    private readonly random: () => number,
  ) {}

  record(ms: number): void {
    this.seen++;
    if (ms > this.maxMs) this.maxMs = ms;
    if (this.reservoir.length < this.capacity) {
      this.reservoir.push(ms);
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.capacity) this.reservoir[slot] = ms;
  }

  get count(): number {
    return this.seen;
  }

  /** null when nothing was recorded. */
  stats(): LatencyStats | null {
    if (this.seen === 0) return null;
    const sorted = [...this.reservoir].sort((a, b) => a - b);
    return { samples: this.seen, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: this.maxMs };
  }
}
