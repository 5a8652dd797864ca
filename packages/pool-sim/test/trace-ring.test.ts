import { TraceRing, type TraceDirection, type TraceRecord } from '../src/trace-ring';

function fill(ring: TraceRing, n: number, start = 0): void {
  for (let i = start; i < start + n; i += 1) {
    const direction: TraceDirection = i % 2 === 0 ? 'miner_to_pool' : 'pool_to_miner';
    ring.record(1_000 + i, i % 3, direction, i % 4 === 0 ? 'mining.submit' : 'mining.notify', `line ${i}`, { kind: 'request', bytes: 8 });
  }
}

const lines = (rs: TraceRecord[]): string[] => rs.map((r) => r.line);

describe('the pool-sim trace ring', () => {
  it('keeps the last `capacity` lines, oldest first, numbering every line ever recorded', () => {
    const ring = new TraceRing(5);
    fill(ring, 12);
    expect(ring.size).toBe(5);
    expect(ring.recorded).toBe(12);
    const all = ring.query({ limit: 100 });
    expect(lines(all)).toEqual(['line 7', 'line 8', 'line 9', 'line 10', 'line 11']);
    expect(all.map((r) => r.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(ring.oldest()?.line).toBe('line 7');
  });

  it('answers the newest `limit` matches, still oldest first', () => {
    const ring = new TraceRing(100);
    fill(ring, 10);
    expect(lines(ring.query({ limit: 3 }))).toEqual(['line 7', 'line 8', 'line 9']);
  });

  it('filters by session, direction and method, all at once', () => {
    const ring = new TraceRing(100);
    fill(ring, 24);
    expect(lines(ring.query({ session: 1, limit: 100 }))).toEqual(['line 1', 'line 4', 'line 7', 'line 10', 'line 13', 'line 16', 'line 19', 'line 22']);
    expect(ring.query({ direction: 'pool_to_miner', limit: 100 }).every((r) => r.direction === 'pool_to_miner')).toBe(true);
    expect(ring.query({ direction: 'pool_to_miner', limit: 100 })).toHaveLength(12);
    expect(lines(ring.query({ method: 'mining.submit', limit: 100 }))).toEqual(['line 0', 'line 4', 'line 8', 'line 12', 'line 16', 'line 20']);
    expect(lines(ring.query({ session: 1, direction: 'miner_to_pool', method: 'mining.submit', limit: 100 }))).toEqual(['line 4', 'line 16']);
    expect(ring.query({ session: 7, limit: 100 })).toEqual([]);
  });

  it('answers only lines after `since`, so a poller sees each line once', () => {
    const ring = new TraceRing(100);
    fill(ring, 5);
    const first = ring.query({ limit: 100 });
    const last = first[first.length - 1]?.seq ?? 0;
    expect(ring.query({ since: last, limit: 100 })).toEqual([]);
    fill(ring, 3, 5);
    expect(lines(ring.query({ since: last, limit: 100 }))).toEqual(['line 5', 'line 6', 'line 7']);
    expect(lines(ring.query({ since: 0, limit: 2 }))).toEqual(['line 6', 'line 7']);
  });

  it('is empty before the first line', () => {
    const ring = new TraceRing(3);
    expect(ring.query({ limit: 10 })).toEqual([]);
    expect(ring.oldest()).toBeUndefined();
    expect(ring.recorded).toBe(0);
  });

  it.each([0, -1, 2.5])('refuses capacity %p', (capacity) => {
    expect(() => new TraceRing(capacity)).toThrow(RangeError);
  });
});
