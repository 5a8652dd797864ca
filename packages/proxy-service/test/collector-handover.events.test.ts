/**
 * MetricsCollector.exportConnection / importConnection driven by scripted events (no sockets):
 * two collectors on two registries stand for the old and the new worker, each with its own
 * monotonic clock, sharing the wall clock as two processes on one machine do.
 */
import type { ConnectionAdoptedEvent } from '@stratum-relay/shared-types';
import type { CollectorConnectionExport } from '../src/connection-state';
import { collectorFixture } from './helpers/metrics-collector-fixture';
import type { CollectorFixture } from './helpers/metrics-collector-fixture';
import { POOL } from './helpers/metrics-events';
import { sampleValue, sumSamples } from './helpers/metrics-exposition';

const W = { client_id: 'rig.1', pool_host: POOL };

/** Another process: the same wall clock, a monotonic clock with another origin. */
function twoCollectors(overridesB: Parameters<typeof collectorFixture>[0] = {}): { a: CollectorFixture; b: CollectorFixture } {
  const a = collectorFixture();
  const b = collectorFixture(overridesB);
  b.script.t = 9_000_000;
  b.script.wall = a.script.wall;
  return { a, b };
}

/** Through JSON, as over IPC. */
function move(a: CollectorFixture, b: CollectorFixture, connectionId: number): CollectorConnectionExport {
  const exported = a.collector.exportConnection(connectionId);
  if (exported === null) throw new Error(`no state for connection ${connectionId}`);
  const wire = JSON.parse(JSON.stringify(exported)) as CollectorConnectionExport;
  expect(b.collector.importConnection(wire)).toBe(true);
  return wire;
}

function adopted(f: CollectorFixture, connectionId: number, poolName = POOL): void {
  const event: ConnectionAdoptedEvent = {
    type: 'connection.adopted',
    connectionId,
    t: f.script.t,
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    wallTime: f.script.wall - 60_000,
    poolName,
    bytesMinerToPool: 0,
    bytesPoolToMiner: 0,
  };
  f.collector.handle(event);
}

/** Both fixtures' clocks move together (the time passes for both processes). */
function advance(a: CollectorFixture, b: CollectorFixture, ms: number): void {
  a.script.advance(ms);
  b.script.advance(ms);
}

function authorizedMiner(f: CollectorFixture, id: number): void {
  f.script.openToPool(id);
  f.script.subscribe(id, 1);
  f.script.authorize(id, 2, 'rig.1');
  f.script.setDifficulty(id, 16);
}

describe('collector handover, scripted', () => {
  it('answers requests sharing an id in their order after the move, with latencies measured from the original submit', async () => {
    const { a, b } = twoCollectors();
    authorizedMiner(a, 7);
    a.script.submit(7, 4);
    advance(a, b, 10);
    a.script.submit(7, 4);
    advance(a, b, 10);
    a.script.submit(7, 4);
    const exported = move(a, b, 7);
    expect(exported.minerRequests.map((r) => r.id)).toEqual([4, 4, 4]);
    adopted(b, 7);
    advance(a, b, 30); // the time the sockets spent travelling counts in the latency
    b.script.answer(7, 4, true);
    b.script.answer(7, 4, null, [23, 'Low difficulty share', null]);
    b.script.answer(7, 4, true);

    const eb = await b.scrape();
    expect(sampleValue(eb, 'stratum_accepted_shares_total', W)).toBe(2);
    expect(sampleValue(eb, 'stratum_rejected_shares_total', { ...W, reason: 'low_difficulty' })).toBe(1);
    expect(sampleValue(eb, 'stratum_accepted_difficulty_total', W)).toBe(32);
    expect(sampleValue(eb, 'stratum_request_response_seconds_count', { method: 'mining.submit' })).toBe(3);
    // 50 + 40 + 30 ms: from each submit on A's clock to the answers on B's.
    expect(sampleValue(eb, 'stratum_request_response_seconds_sum', { method: 'mining.submit' })).toBeCloseTo(0.12, 9);
    expect(sumSamples(eb, 'stratum_unmatched_responses_total')).toBe(0);
    expect(sampleValue(eb, 'stratum_current_difficulty', W)).toBe(16);
    expect(b.collector.stateSize()).toEqual({ connections: 1, pending: 0 });
  });

  it('leaves the old collector without a close, a lost submit or a pending request', async () => {
    const { a, b } = twoCollectors();
    authorizedMiner(a, 7);
    a.script.submit(7, 10);
    a.script.poolRequest(7, 'gv', 'client.get_version');
    move(a, b, 7);
    const ea = await a.scrape();
    expect(sumSamples(ea, 'stratum_connection_closes_total')).toBe(0);
    expect(sumSamples(ea, 'stratum_submits_lost_total')).toBe(0);
    expect(sumSamples(ea, 'stratum_active_connections')).toBe(0);
    expect(sumSamples(ea, 'stratum_pending_requests')).toBe(0);
    expect(sumSamples(ea, 'stratum_connection_duration_seconds_count')).toBe(0);
    expect(a.collector.stateSize()).toEqual({ connections: 0, pending: 0 });
    expect(a.collector.exportConnection(7)).toBeNull();

    const eb = await b.scrape();
    expect(sumSamples(eb, 'stratum_active_connections', { pool_host: POOL })).toBe(1);
    expect(sumSamples(eb, 'stratum_pending_requests')).toBe(2);
    expect(sumSamples(eb, 'stratum_connections_total')).toBe(0); // counted once, where it was accepted
    // The pool's request moved too: the miner's answer after the move is matched.
    b.script.minerAnswer(7, 'gv', 'cgminer/4.12');
    b.script.answer(7, 10, true);
    const after = await b.scrape();
    expect(sumSamples(after, 'stratum_unmatched_responses_total')).toBe(0);
    expect(sumSamples(after, 'stratum_pending_requests')).toBe(0);
  });

  it('keeps timed-out marks: a timeout is counted once, where it happened, and its late answer once, where it came', async () => {
    const { a, b } = twoCollectors();
    authorizedMiner(a, 7);
    a.script.submit(7, 1);
    advance(a, b, 31_000);
    a.collector.sweep();
    a.script.submit(7, 2);
    move(a, b, 7);
    advance(a, b, 31_000);
    b.collector.sweep(); // 2 times out on B; 1 is not counted again
    b.collector.sweep();
    b.script.answer(7, 1, true);
    b.script.answer(7, 2, true);
    const [ea, eb] = [await a.scrape(), await b.scrape()];
    expect([sampleValue(ea, 'stratum_submit_timeouts_total', W), sampleValue(eb, 'stratum_submit_timeouts_total', W)]).toEqual([1, 1]);
    expect([sampleValue(ea, 'stratum_late_answers_total', W), sampleValue(eb, 'stratum_late_answers_total', W)]).toEqual([0, 2]);
    expect(sampleValue(eb, 'stratum_accepted_shares_total', W)).toBe(2);
    expect(sumSamples(eb, 'stratum_pending_requests')).toBe(0);
  });

  it('drops a moved request past the late-answer window as it would have been dropped where it was', async () => {
    const { a, b } = twoCollectors();
    authorizedMiner(a, 7);
    a.script.submit(7, 1);
    move(a, b, 7);
    advance(a, b, 30_000 * 10 + 1);
    b.collector.sweep();
    b.script.answer(7, 1, true);
    const eb = await b.scrape();
    expect(sampleValue(eb, 'stratum_submit_timeouts_total', W)).toBe(1);
    expect(sampleValue(eb, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(1);
    expect(b.collector.stateSize()).toEqual({ connections: 1, pending: 0 });
  });

  it('evicts the oldest moved requests, as timeouts, when the new collector holds fewer per connection', async () => {
    const { a, b } = twoCollectors({ maxPendingPerConnection: 2 });
    authorizedMiner(a, 7);
    for (const id of [1, 2, 3, 4]) a.script.submit(7, id);
    move(a, b, 7);
    b.script.answer(7, 4, true);
    b.script.answer(7, 1, true);
    const eb = await b.scrape();
    expect(sampleValue(eb, 'stratum_submit_timeouts_total', W)).toBe(2);
    expect(sampleValue(eb, 'stratum_accepted_shares_total', W)).toBe(1);
    expect(sampleValue(eb, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(1);
    expect(b.collector.stateSize()).toEqual({ connections: 1, pending: 1 });
  });

  it('counts an adopted connection without an imported state as active on its pool, and its close once', async () => {
    const { b } = twoCollectors();
    adopted(b, 7);
    b.script.bytes(7, 'miner_to_pool', 100);
    let eb = await b.scrape();
    expect(sumSamples(eb, 'stratum_active_connections', { pool_host: POOL })).toBe(1);
    expect(sumSamples(eb, 'stratum_connections_total')).toBe(0);
    expect(sampleValue(eb, 'stratum_bytes_sent_total', { client_id: 'unknown', pool_host: POOL })).toBe(100);
    b.script.close(7, 'miner', 'end', 1000, POOL);
    eb = await b.scrape();
    expect(sumSamples(eb, 'stratum_active_connections')).toBe(0);
    expect(sampleValue(eb, 'stratum_connection_closes_total', { side: 'miner', reason: 'end' })).toBe(1);
    expect(sumSamples(eb, 'stratum_connections_total')).toBe(0);
  });

  it('an import after connection.adopted keeps what was counted and awaited meanwhile', async () => {
    const { a, b } = twoCollectors();
    authorizedMiner(a, 7);
    a.script.submit(7, 1);
    const exported = a.collector.exportConnection(7) as CollectorConnectionExport;
    adopted(b, 7);
    b.script.bytes(7, 'miner_to_pool', 50);
    b.script.submit(7, 2);
    expect(b.collector.importConnection(exported)).toBe(true);
    b.script.answer(7, 1, true);
    b.script.answer(7, 2, true);
    expect(b.collector.connectionStatuses()).toEqual([expect.objectContaining({ worker: 'rig.1', submits: 2, accepted: 2, bytesSent: exported.bytesSent + 50 })]);
    expect(b.collector.stateSize()).toEqual({ connections: 1, pending: 0 });
  });

  it('refuses what is not a collector export, changing nothing', () => {
    const { b } = twoCollectors();
    const bad = [null, 42, { version: 2 }, { version: 1, connectionId: 'x' }];
    for (const value of bad) expect(b.collector.importConnection(value as unknown as CollectorConnectionExport)).toBe(false);
    expect(b.collector.internalErrors).toBe(bad.length);
    expect(b.collector.stateSize()).toEqual({ connections: 0, pending: 0 });
  });
});
