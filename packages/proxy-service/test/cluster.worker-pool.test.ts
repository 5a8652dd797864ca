import { MetricsStore } from '../src/cluster/metrics-store';
import { RestartBackoff } from '../src/cluster/restart-backoff';
import { resolveWorkerCount } from '../src/cluster/worker-count';
import { WorkerPool, type WorkerPoolOptions } from '../src/cluster/worker-pool';
import { fakeFork, memoryLogger, settle, type FakeWorkerBehaviour } from './helpers/cluster-fakes';

function pool(count: number, behaviours: FakeWorkerBehaviour[] = [{}], extra: Partial<WorkerPoolOptions> = {}) {
  const { fork, forked } = fakeFork(...behaviours);
  const { logger, lines } = memoryLogger();
  let restarts = 0;
  let clock = 0;
  const p = new WorkerPool({
    count,
    logger,
    store: new MetricsStore(),
    fork,
    onRestart: () => restarts++,
    backoff: { initialMs: 5, maxMs: 20, resetAfterMs: 1_000 },
    now: () => clock,
    ...extra,
  });
  return {
    pool: p,
    forked,
    lines,
    restarts: () => restarts,
    advanceClock: (ms: number) => {
      clock += ms;
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('resolveWorkerCount', () => {
  it('takes a number as given and auto as one per core', () => {
    expect(resolveWorkerCount(1, 8)).toBe(1);
    expect(resolveWorkerCount(3, 8)).toBe(3);
    expect(resolveWorkerCount('auto', 8)).toBe(8);
    expect(resolveWorkerCount('auto', 1)).toBe(1);
    expect(resolveWorkerCount('auto')).toBeGreaterThanOrEqual(1);
  });
});

describe('RestartBackoff', () => {
  it('waits 100 ms, doubling to 10 s while the worker keeps crashing at once, and 100 ms again after one ran 30 s', () => {
    const b = new RestartBackoff();
    expect([0, 0, 0, 0, 0, 0, 0, 0, 0, 0].map((ran) => b.next(ran))).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
    expect(b.next(29_999)).toBe(10_000);
    expect(b.next(30_000)).toBe(100);
    expect(b.next(10)).toBe(200);
  });
});

describe('WorkerPool', () => {
  it('fills every slot and reports each worker running once it listens', async () => {
    const t = pool(3);
    const views = await t.pool.start();
    expect(views.map((v) => [v.slot, v.generation, v.state])).toEqual([
      [1, 1, 'running'],
      [2, 1, 'running'],
      [3, 1, 'running'],
    ]);
    expect(t.pool.counts()).toEqual({ starting: 0, running: 3, draining: 0 });
    expect(t.pool.alive).toBe(3);
  });

  it('restarts a worker that exits unexpectedly in the same slot, counts it, and backs off while it keeps crashing', async () => {
    const t = pool(2);
    await t.pool.start();
    const first = t.forked[0]!;
    first.exit(null, 'SIGKILL');
    expect(t.pool.alive).toBe(1);
    await until('the restart', () => t.pool.counts().running === 2);
    expect(t.restarts()).toBe(1);
    expect(t.pool.restarts).toBe(1);
    const replacement = t.pool.views().find((v) => v.id !== t.forked[1]!.id)!;
    expect(replacement).toMatchObject({ slot: 1, generation: 1, state: 'running' });
    expect(t.lines.find((l) => l.msg === 'worker exited unexpectedly')).toMatchObject({ level: 'error', slot: 1, signal: 'SIGKILL' });

    // It crashes at once, again and again: 5, 10, 20, 20 ms.
    for (let i = 0; i < 3; i++) {
      const current = t.forked[t.forked.length - 1]!;
      current.exit(1, null);
      await until('the next restart', () => t.pool.counts().running === 2);
    }
    expect(t.lines.filter((l) => l.msg === 'restarting worker').map((l) => l.restart_in_ms)).toEqual([5, 10, 20, 20]);
    // One that ran past resetAfterMs is back after the first delay again.
    t.advanceClock(1_000);
    t.forked[t.forked.length - 1]!.exit(1, null);
    await until('the restart after a long run', () => t.pool.counts().running === 2);
    expect(t.lines.filter((l) => l.msg === 'restarting worker').map((l) => l.restart_in_ms)).toEqual([5, 10, 20, 20, 5]);
    expect(t.restarts()).toBe(5);
    // The other slot was never touched.
    expect(t.forked[1]!.exited).toBe(false);
  });

  it('does not restart a worker it retired, and resolves with the drain it reported', async () => {
    const t = pool(2, [{ retireResult: { drained: 3, forced: 1, aborted: false, ok: true } }]);
    const [a] = await t.pool.start();
    const result = await t.pool.retireWorker(a!.id, 'drain');
    expect(result).toEqual({ drained: 3, forced: 1, aborted: false, ok: true });
    await settle();
    expect(t.pool.alive).toBe(1);
    expect(t.restarts()).toBe(0);
    expect(t.forked[0]!.received).toContainEqual({ v: 1, type: 'retire', mode: 'drain' });
  });

  it('keeps the final metrics of a retired worker even when its exit is reported before they are read', async () => {
    const store = new MetricsStore();
    const t = pool(1, [{ exitBeforeFinalMessage: true }], { store });
    const [a] = await t.pool.start();
    t.forked[0]!.metrics.cells.submits.cell({ client_id: 'rig', pool_host: 'p' }).add(11);
    expect(await t.pool.retireWorker(a!.id, 'drain')).toEqual({ drained: 1, forced: 0, aborted: false, ok: true });
    const text = await store.aggregate([]).metrics();
    expect(text).toContain('stratum_submits_total{client_id="rig",pool_host="p"} 11');
    expect(t.pool.alive).toBe(0);
  });

  it('restarts a worker that left on its own (SIGTERM to it alone), keeping its final metrics', async () => {
    const t = pool(1);
    await t.pool.start();
    const w = t.forked[0]!;
    w.metrics.cells.submits.cell({ client_id: 'rig', pool_host: 'p' }).add(9);
    // The worker drains on its own and says so before it exits.
    w.send({ v: 1, type: 'retire', mode: 'drain' });
    await until('the replacement', () => t.forked.length === 2 && t.pool.counts().running === 1);
    expect(t.lines.find((l) => l.msg === 'worker left without being asked')).toMatchObject({ final_metrics: true });
    expect(t.restarts()).toBe(1);
  });

  it('upgrades one slot at a time: the new worker listens before the old one is told to retire', async () => {
    const t = pool(2);
    await t.pool.start();
    const [old1, old2] = t.forked;
    await t.pool.upgrade();
    await until('the old workers to leave', () => old1!.exited && old2!.exited);
    expect(t.pool.generation).toBe(2);
    expect(t.pool.views().map((v) => [v.slot, v.generation, v.state])).toEqual([
      [1, 2, 'running'],
      [2, 2, 'running'],
    ]);
    // With a handover plan: the old worker hands its connections to its successor.
    expect(old1!.received).toContainEqual({ v: 1, type: 'retire', mode: 'upgrade', handover: { handoverId: 1, successor: t.forked[2]!.id } });
    const order = t.lines.filter((l) => l.msg === 'worker listening' || l.msg === 'retiring worker').map((l) => `${String(l.msg)} ${String(l.worker_id)}`);
    expect(order).toEqual([
      `worker listening ${old1!.id}`,
      `worker listening ${old2!.id}`,
      `worker listening ${t.forked[2]!.id}`,
      `retiring worker ${old1!.id}`,
      `worker listening ${t.forked[3]!.id}`,
      `retiring worker ${old2!.id}`,
    ]);
    expect(t.restarts()).toBe(0);
  });

  it('stops an upgrade whose new worker cannot start and leaves the old workers running', async () => {
    const t = pool(2, [{}, {}, { startFails: 'cannot listen on 127.0.0.1:3333: address already in use' }]);
    await t.pool.start();
    await t.pool.upgrade();
    expect(t.lines.find((l) => l.msg?.toString().startsWith('upgrade stopped'))).toBeDefined();
    expect(t.forked[0]!.exited).toBe(false);
    expect(t.forked[1]!.exited).toBe(false);
    // The failed newcomer is not restarted: its slot is still held by the old worker.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(t.forked).toHaveLength(3);
    expect(t.restarts()).toBe(0);
    expect(t.pool.counts()).toEqual({ starting: 0, running: 2, draining: 0 });
  });

  it('fails start() with the error of a worker that cannot listen, and kills the others', async () => {
    const t = pool(2, [{}, { startFails: 'cannot listen on 127.0.0.1:3333: address already in use (PROXY_PORT / --proxy-port)' }]);
    await expect(t.pool.start()).rejects.toMatchObject({ code: 'SRL_ERR_ADDRESS_IN_USE', message: expect.stringContaining('address already in use') });
    expect(t.forked[0]!.exited).toBe(true);
    await settle();
    expect(t.forked.length).toBe(2);
    expect(t.restarts()).toBe(0);
  });

  it('gives up on a worker that never listens', async () => {
    const t = pool(1, [{ neverListens: true }], { startTimeoutMs: 30 });
    await expect(t.pool.start()).rejects.toMatchObject({ code: 'SRL_ERR_START', message: expect.stringContaining('did not listen within 30 ms') });
    expect(t.forked[0]!.exited).toBe(true);
  });

  it('shuts down: retires every worker, kills one still there after the deadline, restarts none', async () => {
    const t = pool(2, [{ retireResult: { drained: 2, forced: 0, aborted: false, ok: true } }, { ignoresRetire: true }]);
    await t.pool.start();
    const result = await t.pool.shutdown(50);
    expect(result).toEqual({ drained: 2, forced: 0, ok: false });
    expect(t.forked.every((w) => w.exited)).toBe(true);
    expect(t.lines.find((l) => l.msg === 'worker did not exit after its drain: killing it')).toMatchObject({ worker_id: t.forked[1]!.id });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(t.forked).toHaveLength(2);
    expect(t.restarts()).toBe(0);
  });

  it('answers null for a worker that does not answer in time or is gone, and forwards a force to everyone', async () => {
    const t = pool(2, [{ readiness: null }, {}]);
    const [a, b] = await t.pool.start();
    expect(await t.pool.call(a!.id, 'readiness', 20)).toBeNull();
    expect(await t.pool.call(b!.id, 'readiness', 1_000)).toEqual({ ready: true });
    expect(await t.pool.call(12345, 'readiness', 1_000)).toBeNull();
    t.pool.force();
    expect(t.forked.every((w) => w.received.some((m) => m.type === 'force'))).toBe(true);
  });

  it('drops and logs a message of another protocol version instead of acting on it', async () => {
    const t = pool(1);
    const [a] = await t.pool.start();
    t.forked[0]!.emit('message', { v: 2, type: 'listening', proxy: { host: 'x', port: 1 }, tls: null });
    t.forked[0]!.emit('message', { cmd: 'something else entirely' });
    expect(t.pool.views()[0]!.listening?.proxy).toEqual({ host: '127.0.0.1', port: 3333 });
    expect(t.lines.filter((l) => l.msg === 'dropped a worker message this primary does not understand')).toEqual([
      expect.objectContaining({ worker_id: a!.id, message_version: 2, message_type: 'listening' }),
    ]);
  });
});
