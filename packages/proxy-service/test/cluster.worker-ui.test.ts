import { MAX_WATCHED_CONNECTIONS, type TraceLinesMessage } from '../src/cluster/messages';
import { WorkerUi } from '../src/cluster/worker-ui';
import type { ConnectionDetails } from '../src/trace/connection-details';
import { TraceStore } from '../src/trace/trace-store';
import { ProcessView } from '../src/ui/process-view';
import { TraceBatcher, TRACE_BATCH_MAX_LINES } from '../src/ui/ui-source';

function store(): TraceStore {
  return new TraceStore({
    linesPerDirection: 10,
    maxBytes: 1_000_000,
    keepClosedMs: 60_000,
    timeOrigin: 0,
    details: (connectionId) => ({ connectionId }) as unknown as ConnectionDetails,
  });
}

function push(s: TraceStore, id: number, text: string, t = 1): void {
  const buf = Buffer.from(text);
  s.line(id, 'miner_to_pool', buf, 0, buf.length, t);
}

/** A worker's UI over a real trace store, with a collector that relays connection 1 only. */
function workerUi(): { ui: WorkerUi; s: TraceStore; sent: TraceLinesMessage[] } {
  const s = store();
  const collector = {
    connectionStates: () => [][Symbol.iterator](),
    connectionState: () => undefined,
  };
  const view = new ProcessView(collector, s, null);
  const sent: TraceLinesMessage[] = [];
  const ui = new WorkerUi({ view: () => view, store: () => s, send: (m) => sent.push(m), batchMs: 5 });
  return { ui, s, sent };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("a cluster worker's part of /api", () => {
  it('follows exactly the set it was last sent and pushes each followed connection\'s new lines in batches', async () => {
    const { ui, s, sent } = workerUi();
    expect(ui.watch({ connectionIds: [1, 2] })).toEqual({ following: 2 });
    push(s, 1, 'a');
    push(s, 1, 'b');
    push(s, 3, 'not followed');
    await until(() => sent.length > 0);
    expect(sent).toEqual([{ v: 1, type: 'trace-lines', connectionId: 1, entries: [expect.objectContaining({ line: 'a' }), expect.objectContaining({ line: 'b' })], skipped: 0 }]);

    sent.length = 0;
    expect(ui.watch({ connectionIds: [2, 3] })).toEqual({ following: 2 });
    push(s, 1, 'no longer followed');
    push(s, 3, 'c');
    await until(() => sent.length > 0);
    expect(sent.map((m) => [m.connectionId, m.entries.map((e) => e.line)])).toEqual([[3, ['c']]]);

    // A connection that arrives later (adopted in an upgrade) is followed from its first line.
    sent.length = 0;
    push(s, 2, 'adopted');
    await until(() => sent.length > 0);
    expect(sent.map((m) => m.connectionId)).toEqual([2]);

    expect(ui.watch({ connectionIds: [] })).toEqual({ following: 0 });
    ui.close();
  });

  it(`follows at most ${MAX_WATCHED_CONNECTIONS} connections, and none before its service started`, () => {
    const { ui } = workerUi();
    const ids = Array.from({ length: MAX_WATCHED_CONNECTIONS + 5 }, (_, i) => i + 1);
    expect(ui.watch({ connectionIds: ids })).toEqual({ following: MAX_WATCHED_CONNECTIONS });
    ui.close();
    const early = new WorkerUi({ view: () => undefined, store: () => undefined, send: () => undefined });
    expect(early.watch({ connectionIds: [1] })).toEqual({ following: 0 });
    expect(early.connections()).toEqual([]);
    expect(early.trace({ connectionIds: [1], limit: 5 })).toEqual({ connections: [], entries: [], traceLines: 0 });
    expect(early.bundle({ connectionId: 1 })).toEqual({ part: null });
  });

  it('answers for the lines it still holds of a connection it handed over (no details here: its successor has them)', () => {
    const { ui, s } = workerUi();
    push(s, 7, 'before the handover', 5);
    expect(ui.trace({ connectionIds: [7, 8], limit: 10 })).toMatchObject({ connections: [7], entries: [{ line: 'before the handover', session: 7 }] });
    expect(ui.bundle({ connectionId: 7 })).toEqual({ part: { connection: null, trace: [expect.objectContaining({ line: 'before the handover' })], clientId: null } });
    expect(ui.bundle({ connectionId: 8 })).toEqual({ part: null });
  });
});

describe('TraceBatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it(`hands a connection's lines on once per delay, the newest ${TRACE_BATCH_MAX_LINES} at most, counting the older ones it left out`, () => {
    const got: Array<[number, string[], number | undefined]> = [];
    const batcher = new TraceBatcher((id, entries, skipped) => got.push([id, entries.map((e) => e.line), skipped]), 200);
    for (let i = 1; i <= TRACE_BATCH_MAX_LINES + 100; i++) batcher.add(1, { t: i, direction: 'pool_to_miner', line: `l${i}`, seq: i });
    batcher.add(2, { t: 1, direction: 'pool_to_miner', line: 'other', seq: 1 });
    jest.advanceTimersByTime(199);
    expect(got).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(got.map(([id, lines, skipped]) => [id, lines.length, lines[0], skipped])).toEqual([
      [1, TRACE_BATCH_MAX_LINES, 'l101', 100],
      [2, 1, 'other', 0],
    ]);
  });
});
