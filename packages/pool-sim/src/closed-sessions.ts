import type { SessionInfo } from './pool-session';

/**
 * What the last `capacity` closed sessions looked like when they closed, so the debug bundle
 * of a miner that just dropped can still be built. Bounded by count: a reconnect storm
 * replaces old entries instead of growing the map.
 */
export class ClosedSessions {
  private readonly byId = new Map<number, SessionInfo>();

  constructor(readonly capacity: number) {}

  add(info: SessionInfo): void {
    this.byId.set(info.id, info);
    if (this.byId.size > this.capacity) {
      // Maps iterate in insertion order: the first key is the oldest close.
      const oldest = this.byId.keys().next().value as number;
      this.byId.delete(oldest);
    }
  }

  get(id: number): SessionInfo | undefined {
    return this.byId.get(id);
  }

  /** The newest `limit` closes, newest first. */
  newest(limit: number): SessionInfo[] {
    const all = [...this.byId.values()];
    return all.slice(Math.max(0, all.length - limit)).reverse();
  }

  get size(): number {
    return this.byId.size;
  }
}
