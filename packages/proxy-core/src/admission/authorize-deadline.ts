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
  /**
   * Past their deadline before their first pool connected. The relay holds a miner's bytes until
   * then and the observer sees them only when they are relayed, so a `mining.authorize` sent in
   * time is not known yet: closing now killed miners whose pool was merely slow to connect (a
   * failover through a black-holed pool). Value: whether that pool has connected since.
   */
  private readonly held = new Map<number, boolean>();
  /** Tracked connections whose pool has connected (so their bytes have reached the observer). */
  private readonly relayed = new Set<number>();
  /**
   * A shorter timeout put new deadlines before older ones, so map order is no longer deadline
   * order and the sweep may not stop at the first deadline not reached (the older head shielded
   * every newer connection until it expired). Cleared by a sweep that finds the order restored.
   */
  private unordered = false;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: ProxyEventBus,
    private timeoutMs: number,
    private readonly onExpired: (connectionId: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 turns it off (connections already tracked are forgotten). New connections get the new timeout; tracked ones keep theirs. */
  setTimeout(timeoutMs: number): void {
    if (timeoutMs > 0 && timeoutMs < this.timeoutMs && this.deadlines.size > 0) this.unordered = true;
    this.timeoutMs = timeoutMs;
    if (timeoutMs <= 0) {
      this.stop();
      return;
    }
    // The sweep period follows the timeout (a 60 s timeout lowered to 300 ms must not be checked once a second).
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.startTimer();
    }
  }

  /** `relayed`: its pool is connected already (an adopted connection), so its bytes reach the observer. */
  track(connectionId: number, relayed = false): void {
    if (this.timeoutMs <= 0) return;
    this.deadlines.set(connectionId, this.now() + this.timeoutMs);
    if (relayed) this.relayed.add(connectionId);
    // It reads two fields of an event during the call, so it borrows (the relay lends reused events).
    if (this.unsubscribe === null) this.unsubscribe = this.bus.subscribe(this.onEvent, { borrowsEvents: true });
    if (this.timer === null) this.startTimer();
  }

  forget(connectionId: number): void {
    this.deadlines.delete(connectionId);
    this.held.delete(connectionId);
    this.relayed.delete(connectionId);
  }

  /** Whether the connection is still waiting for its mining.authorize (a handover carries this). */
  has(connectionId: number): boolean {
    return this.deadlines.has(connectionId) || this.held.has(connectionId);
  }

  get tracked(): number {
    return this.deadlines.size + this.held.size;
  }

  sweep(): void {
    const now = this.now();
    for (const [id, poolConnected] of this.held) {
      // Its pool has connected since: the relay hands the held bytes to the observer synchronously
      // right after `upstream.connected`, so an authorize among them would have untracked it.
      if (!poolConnected) continue;
      this.held.delete(id);
      this.onExpired(id);
    }
    let ordered = true;
    let previous = -Infinity;
    for (const [id, deadline] of this.deadlines) {
      if (deadline > now) {
        if (!this.unordered) break;
        if (deadline < previous) ordered = false;
        previous = deadline;
        continue;
      }
      this.deadlines.delete(id);
      if (this.relayed.delete(id)) this.onExpired(id);
      else this.held.set(id, false);
    }
    if (this.unordered && ordered) this.unordered = false;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.deadlines.clear();
    this.held.clear();
    this.relayed.clear();
    this.unordered = false;
  }

  private startTimer(): void {
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, Math.floor(this.timeoutMs / 4))));
    this.timer.unref();
  }

  private readonly onEvent = (event: ProxyEvent): void => {
    if (event.type === 'stratum.request' && event.method === 'mining.authorize' && event.direction === 'miner_to_pool') {
      this.forget(event.connectionId);
    } else if (event.type === 'upstream.connected') {
      const id = event.connectionId;
      if (this.held.has(id)) this.held.set(id, true);
      else if (this.deadlines.has(id)) this.relayed.add(id);
    }
  };
}
