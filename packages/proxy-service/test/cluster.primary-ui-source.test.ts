import { configFromValues } from '@stratum-relay/config';
import { createMetrics } from '@stratum-relay/metrics';
import { Registry } from 'prom-client';
import { MAX_WATCHED_CONNECTIONS, type RequestArgs, type RequestKind, type TraceLinesMessage, type WorkerReplies } from '../src/cluster/messages';
import { PrimaryUiSource, type ClusterConnectionDetails, type UiWorkers } from '../src/cluster/primary-ui-source';
import type { WorkerView } from '../src/cluster/worker-pool';
import type { ConnectionDetails } from '../src/trace/connection-details';
import type { TraceEntry } from '../src/trace/connection-trace';
import type { TracedLine } from '../src/ui/process-view';

type Answerer = { [K in RequestKind]?: (args: RequestArgs<K>) => WorkerReplies[K] | null };

/** Workers that answer from scripts (null or no script: did not answer in time). */
class FakeWorkers implements UiWorkers {
  readonly answers = new Map<number, Answerer>();
  readonly calls: Array<{ id: number; kind: RequestKind; args: unknown }> = [];

  constructor(readonly ids: number[]) {}

  call<K extends RequestKind>(id: number, kind: K, _timeoutMs: number, args?: RequestArgs<K>): Promise<WorkerReplies[K] | null> {
    this.calls.push({ id, kind, args });
    const answer = this.answers.get(id)?.[kind] as ((a: RequestArgs<K> | undefined) => WorkerReplies[K] | null) | undefined;
    return Promise.resolve(answer === undefined ? null : answer(args));
  }

  callAll<K extends RequestKind>(kind: K, timeoutMs: number, _states?: unknown, args?: RequestArgs<K>): Promise<Array<{ view: WorkerView; reply: WorkerReplies[K] | null }>> {
    return Promise.all(
      this.ids.map(async (id) => ({ view: { id, slot: id, generation: 1, pid: 1, state: 'running', startedAt: 0, listening: null } as WorkerView, reply: await this.call(id, kind, timeoutMs, args) })),
    );
  }

  answer(id: number, answerer: Answerer): void {
    this.answers.set(id, { ...this.answers.get(id), ...answerer });
  }
}

function conn(connectionId: number, overrides: Partial<ConnectionDetails> = {}): ConnectionDetails {
  return { connectionId, worker: `rig${connectionId}`, since: '2026-01-01T00:00:00.000Z', closedAt: null, ...overrides } as unknown as ConnectionDetails;
}

function line(t: number, text: string, seq = t): TraceEntry {
  return { t, direction: 'miner_to_pool', line: text, seq };
}

function source(workers: FakeWorkers, options: { metricsText?: string; farmRegistry?: () => Registry; now?: () => number } = {}): PrimaryUiSource {
  return new PrimaryUiSource({
    workers,
    farmRegistry: options.farmRegistry ?? (() => new Registry()),
    metricsText: () => Promise.resolve(options.metricsText ?? ''),
    version: '9.9.9',
    config: () => configFromValues({ poolHost: '127.0.0.1', metricsToken: 'token-secret', traceLines: 50 }),
    requestTimeoutMs: 100,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
}

describe('the primary\'s /api answers merged over the workers', () => {
  it('lists every worker\'s connections with the worker that holds each, open before closed, and names a worker that did not answer', async () => {
    const workers = new FakeWorkers([1, 2, 3]);
    const a = 1_000_000_001;
    const b = 2_000_000_001;
    workers.answer(1, { connections: () => [conn(a, { since: '2026-01-01T00:00:02.000Z' }), conn(a + 1, { closedAt: '2026-01-01T00:00:09.000Z' })] });
    // Open ones by accept time, closed ones by close time, whichever worker holds them.
    workers.answer(2, { connections: () => [conn(b, { since: '2026-01-01T00:00:01.000Z' }), conn(b + 1, { closedAt: '2026-01-01T00:00:05.000Z' })] });
    const list = await source(workers).connections();
    expect(list.missingWorkers).toEqual([3]);
    expect(list.connections.map((c) => [c.connectionId, (c as ClusterConnectionDetails).workerId])).toEqual([
      [b, 2],
      [a, 1],
      [b + 1, 2],
      [a + 1, 1],
    ]);
  });

  it('keeps the open record of a connection two workers report (one relays it now), whichever answered first', async () => {
    const workers = new FakeWorkers([1, 2]);
    workers.answer(1, { connections: () => [conn(7)] });
    workers.answer(2, { connections: () => [conn(7, { closedAt: '2026-01-01T00:00:01.000Z' })] });
    expect((await source(workers).connections()).connections).toEqual([{ ...conn(7), workerId: 1 }]);
  });

  it('joins a handed-over connection\'s lines from the retiring worker and its successor in time order, up to the limit', async () => {
    const workers = new FakeWorkers([1, 2, 3]);
    const traced = (t: number, text: string): TracedLine => ({ ...line(t, text), session: 9 });
    workers.answer(1, { trace: (args) => ({ connections: args.connectionIds.includes(9) ? [9] : [], entries: [traced(10, 'old1'), traced(20, 'old2')], traceLines: 50 }) });
    workers.answer(2, { trace: () => ({ connections: [9], entries: [traced(30, 'new1'), traced(40, 'new2')], traceLines: 50 }) });
    const ui = source(workers);
    const answer = await ui.trace({ connection: 9, limit: 3 });
    expect(answer).toMatchObject({ connections: [9], traceLines: 50, missingWorkers: [3] });
    expect(answer.entries.map((e) => e.line)).toEqual(['old2', 'new1', 'new2']);
    expect(workers.calls.filter((c) => c.kind === 'trace').map((c) => c.args)).toEqual([
      { connectionIds: [9], limit: 3 },
      { connectionIds: [9], limit: 3 },
      { connectionIds: [9], limit: 3 },
    ]);
  });

  it('answers a trace by worker name from the connections of that name on every worker', async () => {
    const workers = new FakeWorkers([1, 2]);
    workers.answer(1, {
      connections: () => [conn(1, { worker: 'rig' }), conn(2, { worker: 'other' })],
      trace: (args) => ({ connections: args.connectionIds.filter((id) => id === 1), entries: [{ ...line(5, 'from-1'), session: 1 }], traceLines: 50 }),
    });
    workers.answer(2, {
      connections: () => [conn(3, { worker: 'rig', closedAt: '2026-01-01T00:00:03.000Z' })],
      trace: (args) => ({ connections: args.connectionIds.filter((id) => id === 3), entries: [{ ...line(4, 'from-3'), session: 3 }], traceLines: 50 }),
    });
    const ui = source(workers);
    const answer = await ui.trace({ worker: 'rig', limit: 10 });
    expect(answer.connections).toEqual([1, 3]);
    expect(answer.entries.map((e) => [e.session, e.line])).toEqual([
      [3, 'from-3'],
      [1, 'from-1'],
    ]);
    expect(workers.calls.filter((c) => c.kind === 'trace').map((c) => c.args)).toEqual([
      { connectionIds: [1, 3], limit: 10 },
      { connectionIds: [1, 3], limit: 10 },
    ]);

    workers.calls.length = 0;
    expect(await ui.trace({ worker: 'nobody', limit: 10 })).toEqual({ connections: [], entries: [], traceLines: 50, missingWorkers: [] });
    expect(workers.calls.some((c) => c.kind === 'trace')).toBe(false);
  });

  it('builds the bundle from the worker relaying the connection, the lines every worker holds and the merged metrics of its worker series, without secrets', async () => {
    const workers = new FakeWorkers([1, 2, 3]);
    workers.answer(1, { bundle: () => ({ part: { connection: null, trace: [line(1, 'before the handover')], clientId: null } }) });
    workers.answer(2, { bundle: () => ({ part: { connection: conn(4), trace: [line(2, 'after')], clientId: 'rig4' } }) });
    const metricsText = ['# HELP x', 'stratum_accepted_shares_total{client_id="rig4",pool_host="p"} 7', 'stratum_accepted_shares_total{client_id="rig5",pool_host="p"} 1', ''].join('\n');
    const answer = await source(workers, { metricsText }).bundle(4);
    expect(answer.missingWorkers).toEqual([3]);
    expect(answer.bundle).toMatchObject({
      kind: 'stratum-relay-debug-bundle',
      version: '9.9.9',
      workerId: 2,
      missingWorkers: [3],
      connection: conn(4),
      metrics: ['stratum_accepted_shares_total{client_id="rig4",pool_host="p"} 7'],
    });
    expect(answer.bundle?.trace.map((e) => e.line)).toEqual(['before the handover', 'after']);
    expect(JSON.stringify(answer.bundle)).not.toContain('token-secret');
  });

  it('has no bundle for a connection no worker has details of, and says which workers did not answer', async () => {
    const workers = new FakeWorkers([1, 2]);
    workers.answer(1, { bundle: () => ({ part: null }) });
    expect(await source(workers).bundle(4)).toEqual({ bundle: null, missingWorkers: [2] });
  });

  it('tells every worker the whole set of followed connections when it changes, a new worker at once, and hands each batch to the streams following it', async () => {
    const workers = new FakeWorkers([1, 2]);
    const ui = source(workers);
    const watchArgs = (): unknown[] => workers.calls.filter((c) => c.kind === 'watch').map((c) => [c.id, c.args]);
    const got: Array<[string, number, string[], number | undefined]> = [];
    const stopA = ui.watch(5, (id, entries, skipped) => got.push(['a', id, entries.map((e) => e.line), skipped]));
    const stopB = ui.watch(5, (id, entries, skipped) => got.push(['b', id, entries.map((e) => e.line), skipped]));
    const stopC = ui.watch(6, () => undefined);
    expect(watchArgs()).toEqual([
      [1, { connectionIds: [5] }],
      [2, { connectionIds: [5] }],
      [1, { connectionIds: [5, 6] }],
      [2, { connectionIds: [5, 6] }],
    ]);

    const batch: TraceLinesMessage = { v: 1, type: 'trace-lines', connectionId: 5, entries: [line(1, 'x')], skipped: 2 };
    ui.onTraceLines(2, batch);
    ui.onTraceLines(2, { ...batch, connectionId: 8 });
    expect(got).toEqual([
      ['a', 5, ['x'], 2],
      ['b', 5, ['x'], 2],
    ]);

    workers.calls.length = 0;
    ui.workerListening(3);
    expect(watchArgs()).toEqual([[3, { connectionIds: [5, 6] }]]);

    workers.calls.length = 0;
    stopA();
    stopA();
    expect(watchArgs()).toEqual([]);
    stopB();
    stopC();
    expect(watchArgs()).toEqual([
      [1, { connectionIds: [6] }],
      [2, { connectionIds: [6] }],
      [1, { connectionIds: [] }],
      [2, { connectionIds: [] }],
    ]);
    workers.calls.length = 0;
    ui.workerListening(3);
    expect(watchArgs()).toEqual([]);
  });

  it(`follows at most ${MAX_WATCHED_CONNECTIONS} connections at once`, () => {
    const workers = new FakeWorkers([1]);
    const ui = source(workers);
    for (let id = 1; id <= MAX_WATCHED_CONNECTIONS; id++) ui.watch(id, () => undefined);
    const sent = workers.calls.length;
    const stop = ui.watch(MAX_WATCHED_CONNECTIONS + 1, () => undefined);
    expect(workers.calls.length).toBe(sent);
    stop();
    expect(workers.calls.length).toBe(sent);
  });

  it('reads the farm from the merged registry, merged at most once a second however many pages ask', async () => {
    const clock = { now: 1_000_000 };
    let merges = 0;
    const registry = new Registry();
    const metrics = createMetrics(registry, { collectDefault: false });
    metrics.cells.acceptedShares.cell({ client_id: 'rig', pool_host: 'p' }).add(4);
    const ui = source(new FakeWorkers([1]), {
      now: () => clock.now,
      farmRegistry: () => {
        merges++;
        return registry;
      },
    });
    expect((await ui.farm()).accepted).toBe(4);
    await ui.farm();
    expect(merges).toBe(1);
    clock.now += 1_000;
    await ui.farm();
    expect(merges).toBe(2);
  });
});
