/** Settings of the per-session difficulty retargeting. */
export interface VardiffSettings {
  /** The share interval each session is steered toward. */
  readonly targetShareIntervalMs: number;
  /** How long a measurement window lasts before the difficulty is reconsidered. */
  readonly retargetMs: number;
  readonly minDifficulty: number;
  readonly maxDifficulty: number;
  /** No change while the measured rate is within this fraction of the target (e.g. 0.3). */
  readonly tolerance: number;
}

/** One step never moves the difficulty by more than this factor, so a noisy window cannot swing it wildly. */
const MAX_STEP = 4;

/**
 * Pure vardiff state of one session: counts accepted shares in a window and proposes a new
 * difficulty when the window is over. Time is passed in, so it is testable without timers.
 */
export class Vardiff {
  private windowStartMs: number;
  private shares = 0;
  private readonly earlyShareCount: number;

  constructor(
    private readonly settings: VardiffSettings,
    nowMs: number,
  ) {
    this.windowStartMs = nowMs;
    // A miner far too fast for its difficulty is retargeted before the window ends,
    // otherwise a CPU miner at a tiny difficulty floods the pool for a whole window.
    this.earlyShareCount = Math.max(8, Math.ceil((4 * settings.retargetMs) / settings.targetShareIntervalMs));
  }

  onShare(): void {
    this.shares++;
  }

  /** Restart measuring (after a difficulty change, the old window says nothing). */
  reset(nowMs: number): void {
    this.windowStartMs = nowMs;
    this.shares = 0;
  }

  /** A new difficulty when one is due and differs enough from `current`, else null. */
  evaluate(current: number, nowMs: number): number | null {
    const elapsed = nowMs - this.windowStartMs;
    if (elapsed <= 0) return null;
    if (elapsed < this.settings.retargetMs && this.shares < this.earlyShareCount) return null;
    // No share in a whole window: treat as half a share so the difficulty still comes down.
    const shares = Math.max(this.shares, 0.5);
    const ratio = Math.min(MAX_STEP, Math.max(1 / MAX_STEP, (shares * this.settings.targetShareIntervalMs) / elapsed));
    this.reset(nowMs);
    if (Math.abs(ratio - 1) <= this.settings.tolerance) return null;
    const next = Math.min(this.settings.maxDifficulty, Math.max(this.settings.minDifficulty, current * ratio));
    return next === current ? null : next;
  }
}
