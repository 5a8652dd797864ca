import { performance } from 'node:perf_hooks';

/** The line emitted for a window in which some lines were dropped. */
export interface SuppressedSummary {
  suppressed: number;
}

export interface RateLimitedLogOptions<P extends object = object> {
  /** Lines let through per reason per one-second window (default 5). */
  perSecond?: number;
  /** Milliseconds from a monotonic clock; injectable for tests. */
  now?: () => number;
  /** Writes one line: a logged payload, or `{ suppressed }` when a window that dropped lines ends. */
  emit: (reason: string, entry: P | SuppressedSummary) => void;
  /**
   * Optional timer: run `fn` after `delayMs`, return a cancel function. With it, a summary is
   * written when its window ends; without it, call `flush()` from a timer of your own (summaries
   * are also written lazily by the next `log` of the same reason).
   */
  schedule?: (fn: () => void, delayMs: number) => () => void;
}

const WINDOW_MS = 1000;
const DEFAULT_PER_SECOND = 5;

interface Window {
  start: number;
  lines: number;
  suppressed: number;
  cancel: (() => void) | null;
}

/**
 * Logs refusals at a bounded rate: a connection flood must not become a log flood. Per reason, at
 * most `perSecond` lines per window (a window opens at the first line of a reason and lasts one
 * second), then a single `{ suppressed: K }` line when the window ends if anything was dropped.
 */
export class RateLimitedLog<P extends object = object> {
  private readonly perSecond: number;
  private readonly now: () => number;
  private readonly emit: (reason: string, entry: P | SuppressedSummary) => void;
  private readonly schedule: ((fn: () => void, delayMs: number) => () => void) | undefined;
  private readonly windows = new Map<string, Window>();
  private closed = false;

  constructor(options: RateLimitedLogOptions<P>) {
    this.perSecond = options.perSecond ?? DEFAULT_PER_SECOND;
    this.now = options.now ?? (() => performance.now());
    this.emit = options.emit;
    this.schedule = options.schedule;
  }

  /** Emit `payload` for `reason` unless this reason's window is full; then count it as suppressed. */
  log(reason: string, payload: P): void {
    if (this.closed) return;
    const now = this.now();
    let window = this.windows.get(reason);
    if (window !== undefined && now - window.start >= WINDOW_MS) {
      this.end(reason, window);
      window = undefined;
    }
    if (window === undefined) {
      window = { start: now, lines: 0, suppressed: 0, cancel: null };
      this.windows.set(reason, window);
    }
    if (window.lines < this.perSecond) {
      window.lines++;
      this.emit(reason, payload);
      return;
    }
    window.suppressed++;
    if (window.suppressed === 1 && this.schedule !== undefined) {
      const ending = window;
      // The timer ends this very window, not whatever window the reason has when it fires, so
      // timer/clock skew can neither cut a later window short nor write a summary twice.
      window.cancel = this.schedule(() => {
        ending.cancel = null;
        if (this.windows.get(reason) === ending) this.end(reason, ending);
      }, ending.start + WINDOW_MS - now);
    }
  }

  /** Write the summaries of windows that have ended and forget them. */
  flush(): void {
    const now = this.now();
    for (const [reason, window] of this.windows) {
      if (now - window.start >= WINDOW_MS) this.end(reason, window);
    }
  }

  /** Write every pending summary now (nothing dropped is left unreported) and ignore later lines. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [reason, window] of this.windows) this.end(reason, window);
  }

  private end(reason: string, window: Window): void {
    this.windows.delete(reason);
    if (window.cancel !== null) {
      window.cancel();
      window.cancel = null;
    }
    if (window.suppressed > 0) this.emit(reason, { suppressed: window.suppressed });
  }
}
