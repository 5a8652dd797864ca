import type { ProxyEvent } from '@stratum-relay/shared-types';
import { ProxyEventBus } from '../src/event-bus';

const event = (connectionId: number): ProxyEvent => ({
  type: 'bytes',
  connectionId,
  t: 0,
  direction: 'miner_to_pool',
  bytes: 1,
});

describe('ProxyEventBus', () => {
  it('delivers each event synchronously to every listener in subscription order', () => {
    const bus = new ProxyEventBus();
    const calls: string[] = [];
    bus.subscribe((e) => calls.push(`a${'connectionId' in e ? e.connectionId : ''}`));
    bus.subscribe((e) => calls.push(`b${'connectionId' in e ? e.connectionId : ''}`));
    bus.emit(event(1));
    expect(calls).toEqual(['a1', 'b1']);
    bus.emit(event(2));
    expect(calls).toEqual(['a1', 'b1', 'a2', 'b2']);
  });

  it('reports whether anyone listens so emitters can skip building payloads', () => {
    const bus = new ProxyEventBus();
    expect(bus.hasListeners).toBe(false);
    const off1 = bus.subscribe(() => {});
    const off2 = bus.subscribe(() => {});
    expect(bus.hasListeners).toBe(true);
    expect(bus.listenerCount).toBe(2);
    off1();
    expect(bus.hasListeners).toBe(true);
    off2();
    expect(bus.hasListeners).toBe(false);
  });

  it('emits to nobody without error when there are no listeners', () => {
    const bus = new ProxyEventBus();
    expect(() => bus.emit(event(1))).not.toThrow();
    expect(bus.listenerErrors).toBe(0);
  });

  it('removes only its own subscription and ignores a second unsubscribe call', () => {
    const bus = new ProxyEventBus();
    const seen: string[] = [];
    const listener = (): void => {
      seen.push('x');
    };
    const offFirst = bus.subscribe(listener);
    bus.subscribe(listener);
    offFirst();
    offFirst();
    bus.emit(event(1));
    expect(seen).toEqual(['x']);
    expect(bus.listenerCount).toBe(1);
  });

  it('catches and counts a throwing listener and still delivers to the listeners after it', () => {
    const bus = new ProxyEventBus();
    const seen: number[] = [];
    bus.subscribe(() => {
      throw new Error('listener bug');
    });
    bus.subscribe((e) => seen.push('connectionId' in e ? e.connectionId : -1));
    expect(() => bus.emit(event(7))).not.toThrow();
    expect(() => bus.emit(event(8))).not.toThrow();
    expect(seen).toEqual([7, 8]);
    expect(bus.listenerErrors).toBe(2);
  });

  it('applies subscribe and unsubscribe made during an emit from the next emit on', () => {
    const bus = new ProxyEventBus();
    const seen: string[] = [];
    let offB: () => void = () => {};
    bus.subscribe(() => {
      seen.push('a');
      if (seen.length === 1) {
        bus.subscribe(() => seen.push('late'));
        offB();
      }
    });
    offB = bus.subscribe(() => seen.push('b'));
    bus.emit(event(1));
    expect(seen).toEqual(['a', 'b']);
    bus.emit(event(2));
    expect(seen).toEqual(['a', 'b', 'a', 'late']);
  });

  it('lends events only while every listener borrows them', () => {
    const bus = new ProxyEventBus();
    expect(bus.lendsEvents).toBe(true);
    const offBorrower = bus.subscribe(() => {}, { borrowsEvents: true });
    expect(bus.lendsEvents).toBe(true);
    const offKeeper = bus.subscribe(() => {});
    expect(bus.lendsEvents).toBe(false);
    const offExplicitKeeper = bus.subscribe(() => {}, { borrowsEvents: false });
    offKeeper();
    offKeeper();
    expect(bus.lendsEvents).toBe(false);
    offExplicitKeeper();
    expect(bus.lendsEvents).toBe(true);
    offBorrower();
    expect(bus.lendsEvents).toBe(true);
    expect(bus.listenerCount).toBe(0);
  });
});
