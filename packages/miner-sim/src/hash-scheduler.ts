/** Something that hashes when given a budget: one simulated miner. */
export interface HashTask {
  /** Hashes per second this task may spend at most. */
  readonly hashrate: number;
  /** Unspent hashes, accrued by the scheduler. */
  budget: number;
  /** Cheap check: has work, is authorized, may submit. */
  canHash(): boolean;
  /** Hash at most `maxHashes`; returns how many were done (0 = nothing to do right now). */
  runBatch(maxHashes: number): number;
}

export interface HashSchedulerOptions {
  /** Timer period. */
  readonly tickMs?: number;
  /** CPU time per tick spent hashing at most, so sockets and timers keep being served. */
  readonly sliceMs?: number;
  /** Hashes per runBatch call, so one fast miner cannot hold the slice. */
  readonly batchMax?: number;
  /** Budget a task may bank while starved for CPU (ms of its hashrate). */
  readonly maxBurstMs?: number;
  readonly now?: () => number;
}

/**
 * Shares one event loop fairly between many miners: every tick each task accrues
 * hashrate × elapsed hashes of budget, then tasks are served round-robin in small batches until
 * the tick's CPU slice is used. When the miners together ask for more than one core can do, the
 * slice bounds the total and the rotation spreads it; with thousands of miners most are idle
 * connections waiting for their turn, which is what a load test of a relay needs anyway.
 */
export class HashScheduler {
  private readonly tasks: HashTask[] = [];
  private readonly tickMs: number;
  private readonly sliceMs: number;
  private readonly batchMax: number;
  private readonly maxBurstMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private cursor = 0;

  constructor(opts: HashSchedulerOptions = {}) {
    this.tickMs = opts.tickMs ?? 50;
    this.sliceMs = opts.sliceMs ?? 30;
    this.batchMax = opts.batchMax ?? 2048;
    this.maxBurstMs = opts.maxBurstMs ?? 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.tasks.length;
  }

  add(task: HashTask): void {
    this.tasks.push(task);
  }

  remove(task: HashTask): void {
    const i = this.tasks.indexOf(task);
    if (i === -1) return;
    // Swap-remove: order only matters for fairness, which the rotating cursor provides.
    const last = this.tasks.pop() as HashTask;
    if (i < this.tasks.length) this.tasks[i] = last;
  }

  start(): void {
    if (this.timer !== null) return;
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    // Sockets and the CLI's own timers keep the process alive, not the hashing.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One scheduling round (public so tests can drive it without timers). */
  tick(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    const tasks = this.tasks;
    const n = tasks.length;
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const t = tasks[i] as HashTask;
      if (!t.canHash()) {
        t.budget = 0;
        continue;
      }
      t.budget = Math.min(t.budget + (t.hashrate * elapsed) / 1000, (t.hashrate * this.maxBurstMs) / 1000);
    }
    const deadline = now + this.sliceMs;
    const start = this.cursor % n;
    for (let k = 0; k < n; k++) {
      const idx = (start + k) % n;
      const t = tasks[idx];
      if (t === undefined) break; // removed during this round
      let served = false;
      while (t.budget >= 1 && t.canHash()) {
        if (this.now() >= deadline) {
          // Out of CPU: the next round starts with this task if it got nothing, else after it,
          // so a fast miner cannot keep the others starved; unspent budget stays banked.
          this.cursor = served ? idx + 1 : idx;
          return;
        }
        served = true;
        const done = t.runBatch(Math.min(Math.floor(t.budget), this.batchMax));
        if (done === 0) break;
        t.budget -= done;
      }
    }
    this.cursor = (start + 1) % n;
  }
}
