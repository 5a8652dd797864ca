import type { ProxyEvent, ProxyEventOf, ProxyEventType } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../../src/event-bus';

/** Keeps every event except per-chunk `bytes` (counted instead, so big transfers stay cheap). */
export class EventRecorder {
  readonly events: ProxyEvent[] = [];
  bytesEvents = 0;
  readonly unsubscribe: () => void;

  constructor(bus: ProxyEventBus, keepBytes = false) {
    this.unsubscribe = bus.subscribe((event) => {
      if (event.type === 'bytes') {
        this.bytesEvents++;
        if (!keepBytes) return;
      }
      this.events.push(event);
    });
  }

  ofType<T extends ProxyEventType>(type: T): Array<ProxyEventOf<T>> {
    return this.events.filter((e): e is ProxyEventOf<T> => e.type === type);
  }

  closed(connectionId?: number): Array<ProxyEventOf<'connection.closed'>> {
    return this.ofType('connection.closed').filter((e) => connectionId === undefined || e.connectionId === connectionId);
  }

  /** Event types of one connection, in order. */
  sequence(connectionId: number): string[] {
    return this.events.filter((e) => 'connectionId' in e && e.connectionId === connectionId).map((e) => e.type);
  }

  openedIds(): number[] {
    return this.ofType('connection.opened').map((e) => e.connectionId);
  }

  /**
   * Every opened connection: starts with connection.opened, has at most one final upstream
   * outcome (failed attempts that went on to the next pool do not count), then only
   * bytes/stratum events, and ends with exactly one connection.closed.
   */
  assertWellFormed(): void {
    for (const id of this.openedIds()) {
      const seq = this.sequence(id);
      const problems: string[] = [];
      if (seq[0] !== 'connection.opened') problems.push('does not start with connection.opened');
      if (seq.filter((t) => t === 'connection.opened').length !== 1) problems.push('opened more than once');
      if (seq.filter((t) => t === 'connection.closed').length !== 1) problems.push('not closed exactly once');
      if (seq[seq.length - 1] !== 'connection.closed') problems.push('events after connection.closed');
      const finals = this.events.filter(
        (e) =>
          'connectionId' in e &&
          e.connectionId === id &&
          (e.type === 'upstream.connected' || (e.type === 'upstream.connect_failed' && !e.failover)),
      );
      if (finals.length > 1) problems.push('more than one upstream outcome');
      const firstData = seq.findIndex((t) => t === 'bytes' || t.startsWith('stratum.'));
      if (firstData !== -1 && seq.indexOf('upstream.connected') > firstData) problems.push('bytes before upstream.connected');
      if (problems.length > 0) throw new Error(`connection ${id}: ${problems.join(', ')} (${seq.join(' > ')})`);
    }
  }
}
