/**
 * Histogram buckets. Chosen once here so dashboards and recording rules can rely on them.
 */

/** Network / request latencies: 0.5 ms (loopback pool) up to 30 s (a pool that is about to time out). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Miner sessions last from seconds (a failing miner reconnecting) to weeks (a healthy ASIC). */
export const CONNECTION_DURATION_BUCKETS_SECONDS: readonly number[] = [
  1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 7 * 86_400,
];

/**
 * Share difficulty spans 18 orders of magnitude (CPU test miners at 1e-6, ASICs at 1e5+, a block
 * at ~1e14): one bucket per power of ten from 1e-6 to 1e12. Parsed from decimal literals so each
 * bound prints exactly (Math.pow(10, -5) is 0.000009999999999999999).
 */
export const SHARE_DIFFICULTY_BUCKETS: readonly number[] = Array.from({ length: 19 }, (_, i) => Number(`1e${i - 6}`));
