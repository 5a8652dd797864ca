/**
 * Sending miners away at the start of a drain (DRAIN_RECONNECT). ASICs do not leave a proxy that
 * stops accepting: they stay until their connection is cut at the drain deadline, so a drain
 * only delays the cut. `client.reconnect` asks them to reconnect now (to the same address, which
 * a load balancer routes to another instance, or to a named host and port); those that honour it
 * move while the pool still answers their shares.
 *
 * The line is the proxy's own in a stream that is otherwise the pool's bytes unchanged, so it
 * goes only between two of the pool's lines (ProxyConnection.injectToMiner), and the miners are
 * told one after another over `spreadMs` so that they do not all arrive at the next instance in
 * the same second.
 */

/** Where client.reconnect sends the miner; null: no parameters (the address it connected to). */
export interface ReconnectTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * What became of one miner's client.reconnect:
 * - sent: written at once (the pool's stream was between lines);
 * - after_line: written as soon as the pool's current line has ended (the line is never cut);
 * - not_relaying: skipped, the pool has not spoken yet (the miner is not subscribed: nothing to
 *   interrupt, and the deadline closes it like any other);
 * - closing: skipped, the connection is ending or moving to another process.
 */
export type ReconnectInjection = 'sent' | 'after_line' | 'not_relaying' | 'closing';

/** Anything that can be told to reconnect (a ProxyConnection). */
export interface ReconnectRecipient {
  injectToMiner(line: Buffer): ReconnectInjection;
}

export interface DrainReconnectCounts {
  /** Written at once. */
  sent: number;
  /** Queued behind the pool's current line (written when it ends, unless the connection closes first). */
  afterLine: number;
  /** Not sent: the connection was not relaying yet, or already ending. */
  skipped: number;
}

/** The notification as pools write it: a request without id (Stratum notifications carry `"id":null`). */
export function clientReconnectLine(target: ReconnectTarget | null): Buffer {
  const params = target === null ? [] : [target.host, target.port];
  return Buffer.from(`${JSON.stringify({ id: null, method: 'client.reconnect', params })}\n`);
}

/**
 * How many of `total` recipients are due `elapsedMs` into a spread of `spreadMs`: recipient i
 * (from 0) is due at i × spreadMs / total, so the first goes at once and the last one
 * spreadMs / total before the end.
 */
export function reconnectsDue(elapsedMs: number, total: number, spreadMs: number): number {
  if (total <= 0) return 0;
  if (spreadMs <= 0 || elapsedMs >= spreadMs) return total;
  return Math.min(total, Math.floor((Math.max(0, elapsedMs) * total) / spreadMs) + 1);
}

/**
 * The pace miners are told at when the drain window leaves room: 100 a second. A farm's
 * miners then reach the next instance (and through it, the pool) as a steady stream, not as a
 * reconnect storm; a small farm is not kept waiting for nothing (8 miners: 80 ms).
 */
export const RECONNECT_GAP_MS = 10;

/** How long telling `total` miners takes: RECONNECT_GAP_MS apart, faster only to fit `withinMs`. */
export function reconnectSpreadMs(total: number, withinMs: number): number {
  return Math.max(0, Math.min(withinMs, total * RECONNECT_GAP_MS));
}

/** Below this, ticks are merged: 10,000 miners over 15 s are sent in batches, not by 10,000 timers. */
const MIN_TICK_MS = 10;

export interface SpreadClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Run `fn` after `delayMs`; returns a cancel function. */
  schedule(fn: () => void, delayMs: number): () => void;
}

/** Tells each recipient in turn, evenly over `spreadMs` from start(); stop() ends it early. */
export class ReconnectSpread {
  readonly counts: DrainReconnectCounts = { sent: 0, afterLine: 0, skipped: 0 };
  private next = 0;
  private startedAt = 0;
  private cancel: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly recipients: readonly ReconnectRecipient[],
    private readonly line: Buffer,
    private readonly spreadMs: number,
    private readonly clock: SpreadClock,
  ) {}

  /** True once every recipient has been told (or skipped). */
  get done(): boolean {
    return this.next >= this.recipients.length;
  }

  start(): void {
    this.startedAt = this.clock.now();
    this.tick();
  }

  /** The drain is over (deadline, or everyone left): nobody else is told. */
  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
  }

  private readonly tick = (): void => {
    this.cancel = null;
    if (this.stopped) return;
    const total = this.recipients.length;
    const elapsed = this.clock.now() - this.startedAt;
    const due = reconnectsDue(elapsed, total, this.spreadMs);
    while (this.next < due) this.tell(this.recipients[this.next++] as ReconnectRecipient);
    if (this.next >= total) return;
    const nextAt = (this.next * this.spreadMs) / total;
    this.cancel = this.clock.schedule(this.tick, Math.max(MIN_TICK_MS, Math.ceil(nextAt - elapsed)));
  };

  private tell(recipient: ReconnectRecipient): void {
    let outcome: ReconnectInjection;
    try {
      outcome = recipient.injectToMiner(this.line);
    } catch {
      outcome = 'closing'; // a socket that failed under us: the connection is ending
    }
    if (outcome === 'sent') this.counts.sent++;
    else if (outcome === 'after_line') this.counts.afterLine++;
    else this.counts.skipped++;
  }
}
