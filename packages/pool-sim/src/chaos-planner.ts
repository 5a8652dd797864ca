import { deriveSeed, mulberry32, type Prng } from '@stratum-relay/prng';

/** Fault-injection probabilities of the chaos profile (each in [0, 1]). */
export interface ChaosOptions {
  /** The share's answer is never written (the share is counted as `dropped`). */
  readonly dropProbability: number;
  /** The answer is written after a delay in [delayMinMs, delayMaxMs]. */
  readonly delayProbability: number;
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  /** The connection is reset instead of answering (the share is counted as `dropped`). */
  readonly disconnectProbability: number;
  /** A line of garbage is written before the answer. */
  readonly malformedProbability: number;
  /** A `client.reconnect` notification is written after the answer. */
  readonly reconnectProbability: number;
}

export type ChaosAction = 'send' | 'drop' | 'disconnect';

export interface AnswerPlan {
  readonly action: ChaosAction;
  readonly delayMs: number;
  readonly malformedBefore: boolean;
  readonly reconnectAfter: boolean;
}

export const NO_FAULT: AnswerPlan = Object.freeze({
  action: 'send',
  delayMs: 0,
  malformedBefore: false,
  reconnectAfter: false,
});

/**
 * Decides the faults for each share answer of one session. Each session draws from its own
 * stream (seed mixed with the session's index) and every plan consumes the same number of
 * draws, so the faults depend only on the seed and on the order of submits inside a session,
 * not on how sessions interleave.
 */
export class ChaosPlanner {
  private readonly prng: Prng;

  constructor(
    private readonly options: ChaosOptions,
    seed: number,
    sessionIndex: number,
  ) {
    this.prng = mulberry32(deriveSeed(seed, sessionIndex));
  }

  planAnswer(): AnswerPlan {
    const o = this.options;
    const fault = this.prng();
    const delayRoll = this.prng();
    const delayAmount = this.prng();
    const malformedRoll = this.prng();
    const reconnectRoll = this.prng();
    let action: ChaosAction = 'send';
    if (fault < o.disconnectProbability) action = 'disconnect';
    else if (fault < o.disconnectProbability + o.dropProbability) action = 'drop';
    const delayMs =
      action === 'send' && delayRoll < o.delayProbability
        ? Math.round(o.delayMinMs + delayAmount * Math.max(0, o.delayMaxMs - o.delayMinMs))
        : 0;
    return {
      action,
      delayMs,
      malformedBefore: action !== 'disconnect' && malformedRoll < o.malformedProbability,
      reconnectAfter: action === 'send' && reconnectRoll < o.reconnectProbability,
    };
  }
}
