import type { ProxyEvent, ProxyEventListener } from '@stratum-relay/shared-types';

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

  /** True when at least one listener is attached: emitters skip building payloads otherwise. */
  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  /** Number of attached listeners. */
  get listenerCount(): number {
    return this.listeners.length;
  }

  /** Returns an unsubscribe function (idempotent). */
  subscribe(listener: ProxyEventListener): () => void {
    this.listeners = [...this.listeners, listener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const index = this.listeners.indexOf(listener);
      if (index === -1) return;
      const next = this.listeners.slice();
      next.splice(index, 1);
      this.listeners = next;
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
