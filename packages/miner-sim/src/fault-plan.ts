import { BadFaultError } from './errors';

/**
 * Misbehaviours a simulated miner can inject, to exercise a relay and a pool:
 * - invalid_nonce: submit a nonce whose hash misses the share target (pool: 23 low difficulty)
 * - stale: submit with a job id the pool does not know (pool: 21 job not found)
 * - duplicate: resubmit an accepted share (pool: 22 duplicate)
 * - malformed: send a line that is not JSON
 * - oversized: send a 128 KiB line, first without its newline, then the newline
 * - slow_reader: stop reading the socket for a while
 * - disconnect: destroy the socket instead of submitting (then reconnect with backoff)
 */
export const FAULT_MODES = ['invalid_nonce', 'stale', 'duplicate', 'malformed', 'oversized', 'slow_reader', 'disconnect'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

const ALIASES: Readonly<Record<string, FaultMode>> = {
  invalid: 'invalid_nonce',
  'invalid-nonce': 'invalid_nonce',
  dup: 'duplicate',
  'slow-reader': 'slow_reader',
  slow: 'slow_reader',
};

/**
 * `probability`: each opportunity fires with that chance. `count`: the first `count`
 * opportunities of each miner fire. Exactly one of the two is set.
 */
export interface FaultSpec {
  readonly mode: FaultMode;
  readonly probability?: number;
  readonly count?: number;
}

function toMode(name: string): FaultMode | undefined {
  const lower = name.toLowerCase();
  if ((FAULT_MODES as readonly string[]).includes(lower)) return lower as FaultMode;
  return ALIASES[lower];
}

/**
 * Parse `mode`, `mode:0.25` (probability: has a dot or is below 1) or `mode:3` (count per
 * miner: an integer ≥ 1). Bare `mode` means once per miner.
 */
export function parseFaultSpec(text: string): FaultSpec {
  const [name = '', value, extra] = text.split(':');
  const mode = toMode(name.trim());
  if (mode === undefined) throw new BadFaultError(text, `unknown mode (one of ${FAULT_MODES.join(', ')})`);
  if (extra !== undefined) throw new BadFaultError(text, 'expected mode[:probability|count]');
  if (value === undefined) return { mode, count: 1 };
  const v = value.trim();
  if (/^[0-9]+$/.test(v) && Number(v) >= 1) return { mode, count: Number(v) };
  if (/^(0|1)?(\.[0-9]+)?$/.test(v) && v !== '' && v !== '.') {
    const p = Number(v);
    if (p >= 0 && p <= 1) return { mode, probability: p };
  }
  throw new BadFaultError(text, 'value must be a probability in [0, 1] (with a dot, e.g. 0.1 or 1.0) or a count ≥ 1');
}

/** One miner's faults: decides, per opportunity, whether a mode fires. */
export class FaultPlan {
  private readonly probability = new Map<FaultMode, number>();
  private readonly remaining = new Map<FaultMode, number>();

  constructor(
    specs: readonly FaultSpec[],
    private readonly random: () => number,
  ) {
    for (const spec of specs) {
      if (spec.count !== undefined) this.remaining.set(spec.mode, (this.remaining.get(spec.mode) ?? 0) + spec.count);
      if (spec.probability !== undefined) this.probability.set(spec.mode, spec.probability);
    }
  }

  /** True when at least one mode may still fire (lets the miner skip the rolls entirely). */
  get enabled(): boolean {
    return this.probability.size > 0 || this.remaining.size > 0;
  }

  roll(mode: FaultMode): boolean {
    const left = this.remaining.get(mode);
    if (left !== undefined && left > 0) {
      if (left === 1) this.remaining.delete(mode);
      else this.remaining.set(mode, left - 1);
      return true;
    }
    const p = this.probability.get(mode);
    return p !== undefined && p > 0 && this.random() < p;
  }
}
