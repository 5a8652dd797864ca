import type { ProxyEvent } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../event-bus';

/**
 * AUTHORIZE_TIMEOUT_MS: a connection that has not sent a `mining.authorize` (as the observer saw
 * it) within the deadline is closed. Measured: 2,000 connections sending one byte every 10 s were
 * never closed by the idle timeout; this catches them.
 *
 * Connections are tracked in insertion order, which is deadline order (one timeout for all), so a
 * sweep only looks at the expired head of the map.
 */
export class AuthorizeDeadline {
  private readonly deadlines = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: ProxyEventBus,
    private timeoutMs: number,
    private readonly onExpired: (connectionId: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 turns it off (connections already tracked are forgotten). */
  setTimeout(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
    if (timeoutMs <= 0) this.stop();
  }

  track(connectionId: number): void {
    if (this.timeoutMs <= 0) return;
    this.deadlines.set(connectionId, this.now() + this.timeoutMs);
    if (this.unsubscribe === null) this.unsubscribe = this.bus.subscribe(this.onEvent);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, Math.floor(this.timeoutMs / 4))));
      this.timer.unref();
    }
  }

  forget(connectionId: number): void {
    this.deadlines.delete(connectionId);
  }

  get tracked(): number {
    return this.deadlines.size;
  }

  sweep(): void {
    const now = this.now();
    for (const [id, deadline] of this.deadlines) {
      if (deadline > now) break;
      this.deadlines.delete(id);
      this.onExpired(id);
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.deadlines.clear();
  }

  private readonly onEvent = (event: ProxyEvent): void => {
    if (event.type === 'stratum.request' && event.method === 'mining.authorize' && event.direction === 'miner_to_pool') {
      this.deadlines.delete(event.connectionId);
    }
  };
}
