/** Label of a connection before mining.authorize (and of unusable worker names). */
export const UNKNOWN_CLIENT_ID = 'unknown';
/** Label of every worker past the cap. */
export const OTHER_CLIENT_ID = 'other';
/** Longer names are cut: a label value is stored in every series and scrape. */
export const MAX_CLIENT_ID_LENGTH = 128;

/**
 * Bounds the `client_id` label: the first `max` distinct worker names (for the lifetime of the
 * process, across all connections) get their own label, every later one is `other`. `null` = no
 * cap; 0 = everyone is `other`. Worker names are user-controlled, so without this a miner could
 * create unbounded series.
 */
export class ClientIdCap {
  private readonly admitted = new Set<string>();
  private full = false;

  /** `onFull` runs once, when the first name finds every label taken (a warning and a gauge). */
  constructor(
    private readonly max: number | null,
    private readonly onFull: (max: number) => void = () => undefined,
  ) {}

  /** Label value for a worker name from mining.authorize params[0]. */
  resolve(worker: unknown): string {
    const name = sanitizeWorkerName(worker);
    if (name === null) return UNKNOWN_CLIENT_ID;
    // No cap: nothing to remember (the operator accepted unbounded series).
    if (this.max === null || this.admitted.has(name)) return name;
    if (this.admitted.size < this.max) {
      this.admitted.add(name);
      return name;
    }
    if (!this.full) {
      this.full = true;
      this.onFull(this.max);
    }
    return OTHER_CLIENT_ID;
  }

  /** True once a name was put under `other` because the cap was full. */
  get capped(): boolean {
    return this.full;
  }

  /** Distinct names admitted so far. */
  get size(): number {
    return this.admitted.size;
  }
}

/** Trimmed, control characters removed, cut to MAX_CLIENT_ID_LENGTH; null when nothing usable is left. */
export function sanitizeWorkerName(worker: unknown): string | null {
  if (typeof worker !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = worker.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_CLIENT_ID_LENGTH);
  return cleaned.length === 0 ? null : cleaned;
}
