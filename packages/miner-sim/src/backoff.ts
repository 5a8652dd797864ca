/**
 * Exponential reconnect delay: base·2^attempt capped at max, with "equal jitter" (half fixed,
 * half random) so a pool restart is not met by all miners in the same millisecond.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
