import { percentile } from '@stratum-relay/miner-sim';

/** One answered submit: when its answer came (performance.now() of the test process) and its round trip. */
export interface RoundTrip {
  readonly answeredAt: number;
  readonly latencyMs: number;
}

/** A span of performance.now() time. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

export interface LatencySplit {
  readonly during: { readonly samples: number; readonly p50: number; readonly p99: number; readonly max: number };
  readonly outside: { readonly samples: number; readonly p50: number; readonly p99: number; readonly max: number };
}

function stats(values: number[]): LatencySplit['during'] {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number): number => Math.round(v * 10) / 10;
  return { samples: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1] ?? Number.NaN) };
}

/**
 * Splits round trips into those that overlapped one of the windows (sent before a window ended
 * and answered after it began: what an upgrade could have delayed) and the others.
 */
export function splitByWindows(trips: readonly RoundTrip[], windows: readonly Window[]): LatencySplit {
  const during: number[] = [];
  const outside: number[] = [];
  for (const t of trips) {
    const sentAt = t.answeredAt - t.latencyMs;
    const overlaps = windows.some((w) => sentAt <= w.to && t.answeredAt >= w.from);
    (overlaps ? during : outside).push(t.latencyMs);
  }
  return { during: stats(during), outside: stats(outside) };
}
