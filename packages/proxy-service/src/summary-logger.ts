import type { Logger } from '@stratum-relay/logger';
import { hashrateOf } from './trace/connection-details';
import type { FarmTotals } from './ui/farm-summary';

/**
 * The periodic summary line (LOG_SUMMARY_INTERVAL_MS): an operator tailing the log after
 * "connection opened" otherwise sees nothing until something breaks. One info line per interval
 * with what changed since the previous one (shares, rejects by reason, refusals, the hashrate
 * the accepted difficulty implies) and what is true now (miners, pools and their state).
 *
 * It reads the same totals /ui reads (readFarmTotals over this process's registry), so it costs
 * one registry read per interval and nothing per share. With WORKERS > 1 each worker logs its
 * own line (its worker_id is on it); /metrics and /ui give the instance's sum.
 */
export interface SummaryLoggerOptions {
  readonly logger: Logger;
  /** Milliseconds between lines (> 0). */
  readonly intervalMs: number;
  /** The totals now; `now` is wall-clock ms. */
  readonly read: (now: number) => Promise<FarmTotals>;
  /** Wall-clock ms (tests). */
  readonly now?: () => number;
}

/** The line's fields for the interval from `previous` to `current` (pure). */
export function summaryFields(previous: FarmTotals, current: FarmTotals): Record<string, unknown> {
  const spanMs = Math.max(0, current.t - previous.t);
  const accepted = increase(previous.accepted, current.accepted);
  const rejectedByReason = increases(previous.rejectedByReason, current.rejectedByReason);
  const refusedByReason = increases(previous.refusals, current.refusals);
  return {
    interval_ms: spanMs,
    miners: current.connections,
    pools: current.pools.map((p) => ({ pool: p.name, state: p.state, priority: p.priority, miners: p.miners })),
    hashrate_hs: Math.round(hashrateOf(increase(previous.acceptedDifficulty, current.acceptedDifficulty), spanMs)),
    accepted,
    rejected: total(rejectedByReason),
    rejected_by_reason: rejectedByReason,
    refused: total(refusedByReason),
    refused_by_reason: refusedByReason,
  };
}

/** A counter's increase; a counter that went down (a restart without its counts) counts from 0. */
function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

function increases(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const grew = increase(before[key] ?? 0, value);
    if (grew > 0) out[key] = grew;
  }
  return out;
}

function total(counts: Readonly<Record<string, number>>): number {
  let sum = 0;
  for (const value of Object.values(counts)) sum += value;
  return sum;
}

export class SummaryLogger {
  private timer: NodeJS.Timeout | undefined;
  private previous: FarmTotals | undefined;
  /** One read at a time: a slow read is never overtaken by the next tick. */
  private reading: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: SummaryLoggerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes the baseline now and logs every interval from here (the timer never keeps the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.reading = this.read().then((totals) => {
      this.previous ??= totals;
    });
    this.timer = setInterval(() => void this.logNow(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Logs the line for the time since the last one (the shutdown calls it once more, for the last interval). */
  logNow(): Promise<void> {
    this.reading = this.reading.then(async () => {
      const current = await this.read();
      if (current === undefined) return;
      const previous = this.previous ?? current;
      this.previous = current;
      this.options.logger.info(summaryFields(previous, current), 'summary');
    });
    return this.reading;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The totals, or undefined when they cannot be read (logged at debug: a summary is never worth a crash). */
  private async read(): Promise<FarmTotals | undefined> {
    try {
      return await this.options.read(this.now());
    } catch (error) {
      this.options.logger.debug({ err: error }, 'summary: cannot read the totals');
      return undefined;
    }
  }
}
