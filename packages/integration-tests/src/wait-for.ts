import { setTimeout as sleep } from 'node:timers/promises';
import { WaitTimeoutError } from './errors';

export interface WaitForOptions {
  /** Give up after this long (the machine is shared and slow: be generous). */
  readonly timeoutMs: number;
  /** Pause between polls (default 100 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the error message. */
  readonly what?: string;
  /** Extra text for the error message (e.g. a child's logs), computed only on failure. */
  readonly context?: () => string;
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or `timeoutMs` passes
 * (WaitTimeoutError, SRL_ERR_IT_TIMEOUT). A throwing predicate counts as "not yet"; its last
 * error is reported on timeout. Always bounded: at least one poll, then at most until the deadline.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, options: WaitForOptions): Promise<NonNullable<T>> {
  const interval = options.intervalMs ?? 100;
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
  const last = lastError instanceof Error ? `last error: ${lastError.message}` : `last value: ${String(lastValue)}`;
  const context = options.context === undefined ? '' : `\n--- context ---\n${options.context()}`;
  throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${options.what ?? 'a condition'} (${last})${context}`, {
    cause: lastError,
  });
}
