import { HashScheduler, type HashTask } from '../src/hash-scheduler';

class CountingTask implements HashTask {
  budget = 0;
  hashed = 0;
  constructor(
    readonly hashrate: number,
    public active = true,
    private readonly cost: () => void = () => undefined,
  ) {}
  canHash(): boolean {
    return this.active;
  }
  runBatch(max: number): number {
    this.hashed += max;
    this.cost();
    return max;
  }
}

describe('HashScheduler', () => {
  it('gives each task its hashrate times the elapsed time', () => {
    let now = 0;
    const s = new HashScheduler({ now: () => now });
    const a = new CountingTask(1000);
    const b = new CountingTask(3000);
    s.add(a);
    s.add(b);
    s.start();
    s.stop();
    for (let i = 0; i < 20; i++) {
      now += 50;
      s.tick();
    }
    expect(a.hashed).toBe(1000);
    expect(b.hashed).toBe(3000);
  });

  it('accrues nothing for idle tasks and caps banked budget', () => {
    let now = 0;
    const s = new HashScheduler({ now: () => now, maxBurstMs: 1000 });
    const idle = new CountingTask(1000, false);
    s.add(idle);
    s.start();
    s.stop();
    now += 10_000;
    s.tick();
    expect(idle.hashed).toBe(0);
    idle.active = true;
    now += 10_000;
    s.tick();
    expect(idle.hashed).toBe(1000);
  });

  it('stops at the CPU slice and resumes with the next task in rotation', () => {
    let now = 0;
    // Each batch "costs" 10 ms of the 25 ms slice.
    const s = new HashScheduler({ now: () => now, sliceMs: 25, batchMax: 100 });
    const tasks = [0, 1, 2, 3].map(() => new CountingTask(2000, true, () => (now += 10)));
    for (const t of tasks) s.add(t);
    s.start();
    s.stop();
    now += 50; // 100 hashes of budget each
    s.tick();
    expect(tasks.map((t) => t.hashed)).toEqual([100, 100, 100, 0]);
    now += 50;
    s.tick();
    // The rotation starts where the last round ran out: task 3 is served first now.
    expect(tasks.map((t) => t.hashed)).toEqual([100, 100, 100, 260]);
  });

  it('does not starve the others when one task alone could use every slice', () => {
    let now = 0;
    const s = new HashScheduler({ now: () => now, sliceMs: 30, batchMax: 1000 });
    const tasks = [0, 1, 2].map(() => new CountingTask(1_000_000, true, () => (now += 10)));
    for (const t of tasks) s.add(t);
    s.start();
    s.stop();
    for (let i = 0; i < 30; i++) {
      now += 50;
      s.tick();
    }
    for (const t of tasks) expect(t.hashed).toBeGreaterThan(10_000);
  });

  it('forgets removed tasks', () => {
    let now = 0;
    const s = new HashScheduler({ now: () => now });
    const a = new CountingTask(1000);
    const b = new CountingTask(1000);
    s.add(a);
    s.add(b);
    s.remove(a);
    s.remove(a);
    expect(s.size).toBe(1);
    s.start();
    s.stop();
    now += 1000;
    s.tick();
    expect(a.hashed).toBe(0);
    expect(b.hashed).toBe(1000);
  });
});
