import type { ProxyEvent, ProxyEventListener } from '@stratum-relay/shared-types';

/**
 * CONTRACT STUB (the core helper implements): synchronous fan-out of ProxyEvents.
 * A throwing listener must never break the relay (caught, counted in `listenerErrors`).
 */
export class ProxyEventBus {
  listenerErrors = 0;
  /** True when at least one listener is attached: emitters skip building payloads otherwise. */
  get hasListeners(): boolean {
    throw new Error('not implemented');
  }
  /** Returns an unsubscribe function. */
  subscribe(_listener: ProxyEventListener): () => void {
    throw new Error('not implemented');
  }
  emit(_event: ProxyEvent): void {
    throw new Error('not implemented');
  }
}
