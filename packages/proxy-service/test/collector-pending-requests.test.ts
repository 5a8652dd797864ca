import { PendingRequests } from '../src/pending-requests';
import { mulberry32, testSeed, withSeed } from '@stratum-relay/prng';

describe('PendingRequests', () => {
  it('answers requests sharing an id in FIFO order', () => {
    const p = new PendingRequests<string>(10);
    p.add(4, 1, 'first');
    p.add(4, 2, 'second');
    p.add(5, 3, 'other');
    p.add(4, 4, 'third');
    expect([p.take(4)?.data, p.take(4)?.data, p.take(4)?.data, p.take(4)]).toEqual(['first', 'second', 'third', undefined]);
    expect(p.size).toBe(1);
  });

  it('never confuses 4 with "4"', () => {
    const p = new PendingRequests<string>(10);
    p.add('4', 1, 'string');
    p.add(4, 2, 'number');
    expect(p.take(4)?.data).toBe('number');
    expect(p.take('4')?.data).toBe('string');
  });

  it('keeps ids apart while one waits outside the map and others in it, whichever goes first', () => {
    const p = new PendingRequests<string>(10);
    p.add(1, 1, 'a'); // alone: kept outside the map
    p.add(2, 2, 'b');
    p.add(1, 3, 'c');
    expect(p.take(1)?.data).toBe('a');
    p.add(3, 4, 'd');
    expect(p.take(2)?.data).toBe('b');
    expect(p.take(1)?.data).toBe('c');
    expect(p.take(1)).toBeUndefined();
    p.add('3', 5, 'e');
    expect(p.take('3')?.data).toBe('e');
    expect(p.take(3)?.data).toBe('d');
    expect(p.size).toBe(0);
    for (let i = 0; i < 100; i++) {
      p.add(i, i, String(i));
      expect(p.take(i)?.data).toBe(String(i));
    }
    expect(p.size).toBe(0);
  });

  it('evicts the oldest entry when full and returns it', () => {
    const p = new PendingRequests<number>(2);
    expect(p.add(1, 1, 1)).toBeNull();
    expect(p.add(1, 2, 2)).toBeNull();
    expect(p.add(2, 3, 3)?.data).toBe(1);
    expect(p.take(1)?.data).toBe(2);
    expect(p.size).toBe(1);
  });

  it('expires from the old end up to the deadline only', () => {
    const p = new PendingRequests<number>(10);
    for (let i = 0; i < 5; i++) p.add(i % 2, i * 10, i);
    const seen: number[] = [];
    expect(p.expire(20, (e) => seen.push(e.data))).toBe(3);
    expect(seen).toEqual([0, 1, 2]);
    expect(p.take(1)?.data).toBe(3);
    expect(p.take(0)?.data).toBe(4);
  });

  it('matches a reference model over a seeded random sequence of adds, takes and expiries', () => {
    const seed = testSeed();
    try {
      const rand = mulberry32(seed);
      const max = 8;
      const p = new PendingRequests<number>(max);
      let model: Array<{ id: number | string; t: number; n: number }> = [];
      let t = 0;
      for (let step = 0; step < 5000; step++) {
        t += Math.floor(rand() * 3);
        const r = rand();
        const id = rand() < 0.5 ? Math.floor(rand() * 4) : String(Math.floor(rand() * 4));
        if (r < 0.5) {
          const evicted = p.add(id, t, step);
          const expected = model.length >= max ? model.shift() : undefined;
          expect(evicted?.data).toBe(expected?.n);
          model.push({ id, t, n: step });
        } else if (r < 0.9) {
          const i = model.findIndex((m) => m.id === id);
          const got = p.take(id);
          expect(got?.data).toBe(i === -1 ? undefined : model[i]?.n);
          if (i !== -1) model.splice(i, 1);
        } else {
          const deadline = t - 5;
          const expired: number[] = [];
          p.expire(deadline, (e) => expired.push(e.data));
          expect(expired).toEqual(model.filter((m) => m.t <= deadline).map((m) => m.n));
          model = model.filter((m) => m.t > deadline);
        }
        expect(p.size).toBe(model.length);
      }
      expect(p.clear()).toBe(model.length);
      expect(p.size).toBe(0);
    } catch (err) {
      throw new Error(`[seed ${seed}; replay with SRL_TEST_SEED=${seed}] ${(err as Error).message}`);
    }
  });
  it('marks timed-out entries without removing them: still matchable, no longer waiting, each marked once', () => {
    const p = new PendingRequests<string>(10);
    p.add(4, 10, 'a');
    p.add(5, 20, 'b');
    p.add(4, 30, 'c');
    const marked: string[] = [];
    expect(p.markTimedOut(20, (e) => marked.push(e.data))).toBe(2);
    expect(p.markTimedOut(20, (e) => marked.push(e.data))).toBe(0);
    expect(marked).toEqual(['a', 'b']);
    expect([p.size, p.waiting]).toEqual([3, 1]);
    const a = p.take(4);
    expect([a?.data, a?.timedOut]).toEqual(['a', true]);
    expect(p.take(4)?.timedOut).toBe(false);
    expect([p.size, p.waiting]).toEqual([1, 0]);
    p.add(6, 40, 'd');
    expect(p.markTimedOut(100, (e) => marked.push(e.data))).toBe(1);
    expect(marked).toEqual(['a', 'b', 'd']);
    const dropped: string[] = [];
    expect(p.clear((e) => dropped.push(`${e.data}:${e.timedOut}`))).toBe(2);
    expect(dropped).toEqual(['b:true', 'd:true']);
    expect([p.size, p.waiting]).toEqual([0, 0]);
  });

  it('keeps marks, waiting and size like a reference model over a seeded random sequence of adds, takes, marks and expiries', () => {
    const seed = testSeed();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      const max = 8;
      const p = new PendingRequests<number>(max);
      let model: Array<{ id: number | string; t: number; n: number; timedOut: boolean }> = [];
      let t = 0;
      for (let step = 0; step < 5000; step++) {
        t += Math.floor(rand() * 3);
        const r = rand();
        const id = rand() < 0.5 ? Math.floor(rand() * 4) : String(Math.floor(rand() * 4));
        if (r < 0.4) {
          const evicted = p.add(id, t, step);
          const expected = model.length >= max ? model.shift() : undefined;
          expect([evicted?.data, evicted?.timedOut]).toEqual([expected?.n, expected?.timedOut]);
          model.push({ id, t, n: step, timedOut: false });
        } else if (r < 0.7) {
          const i = model.findIndex((m) => m.id === id);
          const got = p.take(id);
          expect([got?.data, got?.timedOut]).toEqual([model[i]?.n, model[i]?.timedOut]);
          if (i !== -1) model.splice(i, 1);
        } else if (r < 0.9) {
          const deadline = t - 3;
          const marked: number[] = [];
          expect(p.markTimedOut(deadline, (e) => marked.push(e.data))).toBe(marked.length);
          const expected = model.filter((m) => !m.timedOut && m.t <= deadline);
          expect(marked).toEqual(expected.map((m) => m.n));
          for (const m of expected) m.timedOut = true;
        } else {
          const deadline = t - 9;
          const expired: number[] = [];
          p.expire(deadline, (e) => expired.push(e.data));
          expect(expired).toEqual(model.filter((m) => m.t <= deadline).map((m) => m.n));
          model = model.filter((m) => m.t > deadline);
        }
        expect(p.size).toBe(model.length);
        expect(p.waiting).toBe(model.filter((m) => !m.timedOut).length);
      }
      const dropped: number[] = [];
      expect(p.clear((e) => dropped.push(e.data))).toBe(model.length);
      expect(dropped).toEqual(model.map((m) => m.n));
      expect([p.size, p.waiting]).toEqual([0, 0]);
    });
  });
});
