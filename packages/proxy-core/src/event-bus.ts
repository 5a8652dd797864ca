import type { ProxyEvent, ProxyEventListener, ProxyEventSubscribeOptions } from '@stratum-relay/shared-types';

/**
 * Synchronous fan-out of ProxyEvents.
 *
 * The listener list is copy-on-write: `emit` iterates whatever array was current when it started,
 * so a listener that subscribes or unsubscribes during an emit changes the next emit, not this one,
 * and `emit` itself never allocates.
 */
export class ProxyEventBus {
  /** Listener calls that threw. They are swallowed: a metrics bug must never break the relay. */
  listenerErrors = 0;
  /** LineObserver calls (parser push/end) that threw; counted by the connections, same reason. */
  observerErrors = 0;

  private listeners: readonly ProxyEventListener[] = [];
  /** Attached listeners that keep event objects (subscribed without `borrowsEvents`). */
  private keepers = 0;

  /** True when at least one listener is attached: emitters skip building payloads otherwise. */
  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  /**
   * True while every attached listener borrows its events (ProxyEventSubscribeOptions): emitters
   * may then lend reused event objects (reused-events.ts) instead of building one per event.
   */
  get lendsEvents(): boolean {
    return this.keepers === 0;
  }

  /** Number of attached listeners. */
  get listenerCount(): number {
    return this.listeners.length;
  }

  /**
   * Returns an unsubscribe function (idempotent). A listener that reads each event during its
   * call only and keeps no reference to it should say so with `{ borrowsEvents: true }`: the
   * relay then observes lines without allocating event objects.
   */
  subscribe(listener: ProxyEventListener, options?: ProxyEventSubscribeOptions): () => void {
    const keeps = options?.borrowsEvents !== true;
    this.listeners = [...this.listeners, listener];
    if (keeps) this.keepers++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const index = this.listeners.indexOf(listener);
      if (index === -1) return;
      const next = this.listeners.slice();
      next.splice(index, 1);
      this.listeners = next;
      if (keeps) this.keepers--;
    };
  }

  /** Delivers `event` to every listener, in subscription order. Never throws. */
  emit(event: ProxyEvent): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as ProxyEventListener)(event);
      } catch {
        this.listenerErrors++;
      }
    }
  }
}
