import { CONNECTION_REJECT_REASONS } from '@stratum-relay/metrics';
import { ProxyEventBus, UpstreamPools } from '@stratum-relay/proxy-core';
import type { UpstreamPool } from '@stratum-relay/proxy-core';
import type { PoolSpec } from '@stratum-relay/shared-types';
import { collectorFixture } from './helpers/metrics-collector-fixture';
import { POOL } from './helpers/metrics-events';
import { countedSeriesOf, sampleValue, seriesOf, sumSamples } from './helpers/metrics-exposition';

const W = { client_id: 'rig1', pool_host: POOL };
const U = { client_id: 'unknown', pool_host: POOL };

describe('MetricsCollector connection lifecycle', () => {
  it('counts opened, active and closed connections with their duration, side and reason', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.openToPool(2);
    script.close(1, 'pool', 'reset', 2500);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_connections_total', { pool_host: POOL })).toBe(2);
    expect(sampleValue(exp, 'stratum_active_connections', { pool_host: POOL })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_closes_total', { side: 'pool', reason: 'reset' })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_count', { pool_host: POOL })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_sum', { pool_host: POOL })).toBe(2.5);
  });

  it('counts a connection under its pool when the upstream connects, and one that never reached a pool at close under "none"', async () => {
    const { script, scrape } = collectorFixture();
    script.open(1);
    script.open(2);
    let exp = await scrape();
    expect(seriesOf(exp, 'stratum_active_connections')).toEqual({ 'pool_host=none': 2 });
    expect(sumSamples(exp, 'stratum_connections_total')).toBe(0);
    script.upstreamConnected(1);
    script.upstreamFailed(2, 'refused');
    script.close(2, 'proxy', 'upstream_failed', 40);
    exp = await scrape();
    expect(seriesOf(exp, 'stratum_connections_total')).toEqual({ [`pool_host=${POOL}`]: 1, 'pool_host=none': 1 });
    expect(seriesOf(exp, 'stratum_active_connections')).toEqual({ [`pool_host=${POOL}`]: 1, 'pool_host=none': 0 });
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_count', { pool_host: 'none' })).toBe(1);
    // Counted once, when it connected: closing it adds nothing.
    script.close(1);
    exp = await scrape();
    expect(sampleValue(exp, 'stratum_connections_total', { pool_host: POOL })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_count', { pool_host: POOL })).toBe(1);
  });

  it('counts a max_connections rejection both as rejected and as a proxy/limit close, a draining one only as rejected', async () => {
    const { script, scrape } = collectorFixture();
    script.rejected('max_connections');
    script.rejected('draining');
    const exp = await scrape();
    const zeros = Object.fromEntries(CONNECTION_REJECT_REASONS.map((reason) => [`reason=${reason}`, 0]));
    expect(seriesOf(exp, 'stratum_connections_rejected_total')).toEqual({ ...zeros, 'reason=max_connections': 1, 'reason=draining': 1 });
    expect(seriesOf(exp, 'stratum_connection_closes_total')).toEqual({ 'reason=limit,side=proxy': 1 });
  });

  it('counts connect failures per pool and reason, and the connect latency of successful attempts', async () => {
    const { script, scrape } = collectorFixture();
    script.open(1);
    script.upstreamConnected(1, POOL, { latencyMs: 4 });
    script.open(2);
    script.upstreamFailed(2, 'refused', { pool: 'backup.test:3333', failover: true });
    script.upstreamFailed(2, 'timeout', { message: 'connect ETIMEDOUT' });
    const exp = await scrape();
    expect(seriesOf(exp, 'stratum_upstream_connect_failures_total')).toEqual({
      'pool_host=backup.test:3333,reason=refused': 1,
      [`pool_host=${POOL},reason=timeout`]: 1,
    });
    expect(sampleValue(exp, 'stratum_connect_latency_seconds_count', { pool_host: POOL })).toBe(1);
    expect(sampleValue(exp, 'stratum_connect_latency_seconds_sum', { pool_host: POOL })).toBe(0.004);
  });

  it('counts parse errors and oversized lines per direction', async () => {
    const { script, scrape } = collectorFixture();
    script.open(1);
    script.parseError(1, 'miner_to_pool');
    script.parseError(1, 'pool_to_miner');
    script.parseError(1, 'pool_to_miner');
    script.oversized(1, 'miner_to_pool');
    const exp = await scrape();
    expect(seriesOf(exp, 'stratum_parse_errors_total')).toEqual({ 'direction=miner_to_pool': 1, 'direction=pool_to_miner': 2 });
    expect(seriesOf(exp, 'stratum_oversized_lines_total')).toEqual({ 'direction=miner_to_pool': 1, 'direction=pool_to_miner': 0 });
  });
});

describe('MetricsCollector attribution', () => {
  it('attributes bytes before mining.authorize to client_id="unknown" and after it to the worker', async () => {
    const { script, scrape, collector } = collectorFixture();
    script.openToPool(1);
    script.bytes(1, 'miner_to_pool', 100);
    script.bytes(1, 'pool_to_miner', 40);
    script.authorize(1, 2, 'rig1');
    script.bytes(1, 'miner_to_pool', 7);
    script.bytes(1, 'pool_to_miner', 3);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_bytes_sent_total', U)).toBe(100);
    expect(sampleValue(exp, 'stratum_bytes_received_total', U)).toBe(40);
    expect(sampleValue(exp, 'stratum_bytes_sent_total', W)).toBe(7);
    expect(sampleValue(exp, 'stratum_bytes_received_total', W)).toBe(3);
    expect(collector.connectionStatuses()[0]).toMatchObject({ worker: 'rig1', pool: POOL, bytesSent: 107, bytesReceived: 43 });
  });

  it('counts messages by direction and method, responses as "response" and unknown methods as "other"', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.subscribe(1, 1);
    script.request(1, 9, 'mining.fancy_extension', []);
    script.notify(1, 'mining.set_difficulty', [8]);
    script.notify(1, 'weird.notification', []);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'miner_to_pool', method: 'mining.subscribe' })).toBe(1);
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'miner_to_pool', method: 'other' })).toBe(1);
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'pool_to_miner', method: 'response' })).toBe(1);
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'pool_to_miner', method: 'mining.set_difficulty' })).toBe(1);
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'pool_to_miner', method: 'other' })).toBe(1);
  });

  it('sets stratum_current_difficulty for the worker from the latest mining.set_difficulty, also one sent before authorize', async () => {
    const { script, scrape, collector } = collectorFixture();
    script.openToPool(1);
    script.setDifficulty(1, 16);
    script.authorize(1, 1, 'rig1');
    expect(sampleValue(await scrape(), 'stratum_current_difficulty', W)).toBe(16);
    script.setDifficulty(1, 0.5);
    expect(sampleValue(await scrape(), 'stratum_current_difficulty', W)).toBe(0.5);
    expect(collector.connectionStatuses()[0]?.currentDifficulty).toBe(0.5);
  });

  it('ignores nonsense difficulties and worker names without throwing', async () => {
    const { script, collector } = collectorFixture();
    script.openToPool(1);
    script.setDifficulty(1, -3);
    script.notify(1, 'mining.set_difficulty', ['abc']);
    script.notify(1, 'mining.set_difficulty', []);
    script.request(1, 1, 'mining.authorize', [{ not: 'a string' }]);
    script.request(1, 2, 'mining.authorize', ['\u0000\u0001  ']);
    expect(collector.connectionStatuses()[0]).toMatchObject({ worker: null, currentDifficulty: null });
    expect(collector.internalErrors).toBe(0);
  });
});

describe('MetricsCollector share accounting', () => {
  it('credits an accepted share with the difficulty in force when it was submitted, not when answered', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.setDifficulty(1, 1024);
    script.submit(1, 10, 'rig1');
    script.setDifficulty(1, 2048);
    script.answer(1, 10, true);
    script.submit(1, 11, 'rig1');
    script.answer(1, 11, true);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_submits_total', W)).toBe(2);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(2);
    expect(sampleValue(exp, 'stratum_accepted_difficulty_total', W)).toBe(1024 + 2048);
  });

  it('uses Stratum default difficulty 1 before any mining.set_difficulty', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.answer(1, 2, true);
    expect(sampleValue(await scrape(), 'stratum_accepted_difficulty_total', W)).toBe(1);
  });

  it('maps every reject shape to its reason: codes, strings, objects and false without error', async () => {
    const { script, scrape, collector } = collectorFixture();
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    const answers: Array<[unknown, unknown]> = [
      [null, [21, 'Job not found', null]],
      [null, [22, 'Duplicate share', null]],
      [null, [23, 'Low difficulty share', null]],
      [null, [24, 'Unauthorized worker', null]],
      [null, [25, 'Not subscribed', null]],
      [null, [20, 'Other/Unknown', null]],
      [false, 'Stale'],
      [false, { code: -1, message: 'duplicate' }],
      [false, [-1, 'high-hash', null]],
      [false, null],
      [true, [23, 'low difficulty', null]],
    ];
    answers.forEach(([result, error], i) => {
      script.submit(1, 100 + i, 'rig1');
      script.answer(1, 100 + i, result, error);
    });
    const exp = await scrape();
    expect(countedSeriesOf(exp, 'stratum_rejected_shares_total')).toEqual({
      [`client_id=rig1,pool_host=${POOL},reason=stale`]: 2,
      [`client_id=rig1,pool_host=${POOL},reason=duplicate`]: 2,
      [`client_id=rig1,pool_host=${POOL},reason=low_difficulty`]: 3,
      [`client_id=rig1,pool_host=${POOL},reason=unauthorized`]: 1,
      [`client_id=rig1,pool_host=${POOL},reason=not_subscribed`]: 1,
      [`client_id=rig1,pool_host=${POOL},reason=other`]: 2,
    });
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(0);
    expect(collector.connectionStatuses()[0]).toMatchObject({ submits: 11, accepted: 0, rejected: 11 });
  });
});

describe('MetricsCollector request/response correlation', () => {
  it('matches several requests reusing id 4 to their answers in order (cpuminer)', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.authorize(1, 2, 'rig1');
    script.setDifficulty(1, 3);
    script.submit(1, 4, 'rig1');
    script.setDifficulty(1, 5);
    script.submit(1, 4, 'rig1');
    script.answer(1, 4, true); // first submit: difficulty 3
    script.answer(1, 4, false, [23, 'Low difficulty', null]); // second: rejected
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_accepted_difficulty_total', W)).toBe(3);
    expect(sampleValue(exp, 'stratum_rejected_shares_total', { ...W, reason: 'low_difficulty' })).toBe(1);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(0);
  });

  it('keeps numeric id 4 and string id "4" apart', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.setDifficulty(1, 7);
    script.submit(1, '4', 'rig1');
    script.request(1, 4, 'mining.suggest_difficulty', [100]);
    script.answer(1, 4, true); // answers the suggest_difficulty
    script.answer(1, '4', true); // answers the submit
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_request_response_seconds_count', { method: 'mining.suggest_difficulty' })).toBe(1);
    expect(sampleValue(exp, 'stratum_request_response_seconds_count', { method: 'mining.submit' })).toBe(1);
    expect(sampleValue(exp, 'stratum_accepted_difficulty_total', W)).toBe(7);
  });

  it('counts answers with unknown or null ids as unmatched', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.answer(1, 77, true);
    script.answer(1, null, null, [20, 'bad request', null]);
    script.minerAnswer(1, 'nope', 'x');
    const exp = await scrape();
    expect(seriesOf(exp, 'stratum_unmatched_responses_total')).toEqual({ 'direction=pool_to_miner': 2, 'direction=miner_to_pool': 1 });
  });

  it('correlates a pool request answered by the miner without touching share counters', async () => {
    const { script, scrape, collector } = collectorFixture();
    script.openToPool(1);
    script.poolRequest(1, 'gv', 'client.get_version');
    expect(collector.stateSize().pending).toBe(1);
    script.minerAnswer(1, 'gv', 'cpuminer/2.5');
    const exp = await scrape();
    expect(collector.stateSize().pending).toBe(0);
    expect(sumSubmits(exp)).toBe(0);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'miner_to_pool' })).toBe(0);
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'pool_to_miner', method: 'client.get_version' })).toBe(1);
  });

  it('observes request→answer latency per method from the events monotonic times', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.request(1, 1, 'mining.subscribe', []);
    script.advance(20);
    script.answer(1, 1, [[], '00', 4]);
    script.request(1, 2, 'vendor.custom', []);
    script.advance(3);
    script.answer(1, 2, true);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_request_response_seconds_sum', { method: 'mining.subscribe' })).toBeCloseTo(0.02, 9);
    expect(sampleValue(exp, 'stratum_request_response_seconds_count', { method: 'other' })).toBe(1);
    expect(sampleValue(exp, 'stratum_request_response_seconds_bucket', { method: 'mining.subscribe', le: '0.025' })).toBe(1);
    expect(sampleValue(exp, 'stratum_request_response_seconds_bucket', { method: 'mining.subscribe', le: '0.01' })).toBe(0);
  });

  it('counts a submit unanswered after submitTimeoutMs as a timeout, other requests not, and takes them out of stratum_pending_requests', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000 });
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.request(1, 3, 'mining.suggest_difficulty', [1]);
    script.advance(999);
    collector.sweep();
    expect(collector.stateSize().pending).toBe(2);
    script.advance(1);
    collector.sweep();
    collector.sweep(); // a second sweep counts nothing twice
    expect(collector.stateSize().pending).toBe(0);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_pending_requests')).toBe(0);
  });

  it('evicts the oldest pending request past maxPendingPerConnection and counts an evicted submit as a timeout', async () => {
    const { script, scrape, collector } = collectorFixture({ maxPendingPerConnection: 3 });
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    for (let id = 10; id < 15; id++) script.submit(1, id, 'rig1');
    expect(collector.stateSize().pending).toBe(3);
    script.answer(1, 10, true); // evicted: unmatched
    script.answer(1, 12, true);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(2);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_pending_requests')).toBe(2);
  });

  it('runs the sweeper on a timer once attached and stops it on detach', () => {
    jest.useFakeTimers();
    try {
      let now = 0;
      const { collector, script } = collectorFixture({ submitTimeoutMs: 400, now: () => now });
      const listeners: Array<(e: never) => void> = [];
      collector.attach({
        subscribe(l) {
          listeners.push(l as never);
          return () => listeners.splice(listeners.indexOf(l as never), 1);
        },
      });
      script.t = 0;
      script.openToPool(1);
      script.submit(1, 1);
      now = 500;
      jest.advanceTimersByTime(200);
      expect(collector.stateSize().pending).toBe(0);
      collector.detach();
      expect(listeners).toHaveLength(0);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('MetricsCollector robustness', () => {
  it('never throws on malformed events and keeps counting', async () => {
    const { collector, script, scrape } = collectorFixture();
    script.openToPool(1);
    const garbage: unknown[] = [
      null,
      {},
      { type: 'bytes' },
      { type: 'stratum.request', connectionId: 1, direction: 'miner_to_pool', id: 1, method: 'mining.submit', params: null },
      { type: 'stratum.notification', connectionId: 1, direction: 'pool_to_miner', method: 'mining.notify', params: [1, 2, 3] },
      { type: 'stratum.response', connectionId: 1, direction: 'sideways', id: 1, result: 1, error: null },
    ];
    for (const g of garbage) expect(() => collector.handle(g as never)).not.toThrow();
    script.bytes(1, 'miner_to_pool', 5);
    expect(sampleValue(await scrape(), 'stratum_bytes_sent_total', U)).toBe(5);
  });

  it('attributes events of a connection it never saw open to "unknown" on no pool without creating state', async () => {
    const { collector, script, scrape } = collectorFixture();
    script.bytes(42, 'pool_to_miner', 9);
    script.submit(42, 1);
    script.answer(42, 1, true);
    script.close(42);
    expect(collector.stateSize()).toEqual({ connections: 0, pending: 0 });
    expect(sampleValue(await scrape(), 'stratum_bytes_received_total', { client_id: 'unknown', pool_host: 'none' })).toBe(9);
  });

  it('ignores pool state changes and counts failed TLS handshakes by reason', async () => {
    const { collector, script, scrape } = collectorFixture();
    script.poolStateChanged(POOL, false, null);
    script.tlsHandshakeFailed('certificate');
    script.tlsHandshakeFailed('certificate');
    script.tlsHandshakeFailed('timeout');
    expect(collector.internalErrors).toBe(0);
    expect(seriesOf(await scrape(), 'stratum_tls_handshake_failures_total')).toEqual({ 'reason=certificate': 2, 'reason=timeout': 1 });
  });
});

describe('MetricsCollector late answers and lost submits', () => {
  it('counts a submit answered after its timeout as a timeout, then as accepted and in stratum_late_answers_total, not as unmatched', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000 });
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.setDifficulty(1, 64);
    script.submit(1, 2, 'rig1');
    script.advance(1000);
    collector.sweep();
    script.advance(3000);
    collector.sweep();
    script.answer(1, 2, true);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_accepted_difficulty_total', W)).toBe(64);
    expect(sampleValue(exp, 'stratum_late_answers_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(0);
    expect(sampleValue(exp, 'stratum_request_response_seconds_sum', { method: 'mining.submit' })).toBe(4);
    expect(collector.stateSize().pending).toBe(0);
    expect(collector.connectionStatuses()[0]).toMatchObject({ submits: 1, accepted: 1, rejected: 0 });
  });

  it('counts a late reject with the reason the pool gave, and in stratum_late_answers_total', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000 });
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.advance(5000);
    collector.sweep();
    script.answer(1, 2, null, [23, 'Low difficulty share', null]);
    const exp = await scrape();
    expect(countedSeriesOf(exp, 'stratum_rejected_shares_total')).toEqual({ [`client_id=rig1,pool_host=${POOL},reason=low_difficulty`]: 1 });
    expect(sampleValue(exp, 'stratum_late_answers_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(0);
  });

  it('forgets a submit after lateAnswerWindow timeouts: its answer is then unmatched and counts nowhere else', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000, lateAnswerWindow: 3 });
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.advance(1000);
    script.submit(1, 3, 'rig1');
    script.advance(1999); // submit 2 is 2999 ms old: still matchable; submit 3 timed out too
    collector.sweep();
    script.answer(1, 3, true);
    script.advance(1); // submit 2 is 3 timeouts old
    collector.sweep();
    script.answer(1, 2, true);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(2);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_late_answers_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(1);
    expect(collector.stateSize().pending).toBe(0);
  });

  it('uses a window of 10 timeouts by default', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000 });
    script.openToPool(1);
    script.submit(1, 2);
    script.submit(1, 3);
    script.advance(9999);
    collector.sweep();
    script.answer(1, 2, true);
    script.advance(1);
    collector.sweep();
    script.answer(1, 3, true);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_late_answers_total', U)).toBe(1);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(1);
  });

  it('counts every submit still held at close as lost, timed out or not, and nothing else', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000 });
    script.openToPool(1);
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.advance(1500);
    collector.sweep();
    script.submit(1, 3, 'rig1');
    script.submit(1, 4, 'rig1');
    script.answer(1, 4, true);
    script.request(1, 5, 'mining.suggest_difficulty', [1]);
    script.poolRequest(1, 'gv', 'client.get_version');
    script.close(1);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_submits_lost_total', W)).toBe(2);
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_pending_requests')).toBe(0);
    expect(collector.stateSize()).toEqual({ connections: 0, pending: 0 });
  });

  it('counts in stratum_pending_requests only requests still within their timeout', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000 });
    script.openToPool(1);
    script.submit(1, 1);
    script.advance(600);
    script.submit(1, 2);
    script.poolRequest(1, 'gv', 'client.get_version');
    expect(sampleValue(await scrape(), 'stratum_pending_requests')).toBe(3);
    script.advance(400);
    collector.sweep();
    expect(sampleValue(await scrape(), 'stratum_pending_requests')).toBe(2);
    script.answer(1, 1, true); // late: it was no longer pending
    expect(sampleValue(await scrape(), 'stratum_pending_requests')).toBe(2);
    script.advance(600);
    collector.sweep();
    expect(sampleValue(await scrape(), 'stratum_pending_requests')).toBe(0);
    script.answer(1, 2, true);
    script.minerAnswer(1, 'gv', 'cpuminer/2.5'); // late too, and not a submit
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_pending_requests')).toBe(0);
    expect(sampleValue(exp, 'stratum_late_answers_total', U)).toBe(2);
    expect(seriesOf(exp, 'stratum_unmatched_responses_total')).toEqual({ 'direction=miner_to_pool': 0, 'direction=pool_to_miner': 0 });
  });
});

describe('MetricsCollector with several pools', () => {
  const specs: PoolSpec[] = [
    { name: 'primary', scheme: 'tcp', host: '10.0.0.1', port: 3333, account: null, password: null },
    { name: 'backup', scheme: 'tls', host: 'backup.example', port: 443, account: 'farm', password: 'pw' },
  ];
  const pooled = () => {
    const upstreams = new UpstreamPools({ pools: specs, bus: new ProxyEventBus() });
    return { upstreams, ...collectorFixture({ pools: () => upstreams.states() }) };
  };

  it('exports every configured pool from the first scrape, down (0) until a probe or a miner shows it up', async () => {
    const { upstreams, scrape } = pooled();
    let exp = await scrape();
    expect(seriesOf(exp, 'stratum_pool_up')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 0 });
    expect(seriesOf(exp, 'stratum_pool_priority')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 1 });
    expect(seriesOf(exp, 'stratum_pool_miners')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 0 });
    expect(seriesOf(exp, 'stratum_pool_failovers_total')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 0 });
    expect(seriesOf(exp, 'stratum_connections_total')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 0 });
    expect(seriesOf(exp, 'stratum_active_connections')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 0, 'pool_host=none': 0 });
    // Only a pool with an account in its URL rewrites.
    expect(seriesOf(exp, 'stratum_account_rewrites_total')).toEqual({ 'pool_host=backup,result=rewritten': 0, 'pool_host=backup,result=unsafe': 0 });
    const [primary, backup] = upstreams.pools as [UpstreamPool, UpstreamPool];
    upstreams.reportUp(backup);
    upstreams.reportDown(primary, 'refused', 'ECONNREFUSED');
    backup.miners = 2;
    (backup.rewrites as { rewritten: number }).rewritten = 5;
    exp = await scrape();
    expect(seriesOf(exp, 'stratum_pool_up')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 1 });
    expect(sampleValue(exp, 'stratum_pool_miners', { pool_host: 'backup' })).toBe(2);
    expect(sampleValue(exp, 'stratum_account_rewrites_total', { pool_host: 'backup', result: 'rewritten' })).toBe(5);
    upstreams.reportUp(primary);
    expect(sampleValue(await scrape(), 'stratum_pool_up', { pool_host: 'primary' })).toBe(1);
  });

  it('counts a failover against the pool that failed, and the connection and its shares under the pool it ended on', async () => {
    const { script, scrape, collector } = pooled();
    script.open(1);
    script.upstreamFailed(1, 'refused', { pool: 'primary', failover: true });
    script.upstreamConnected(1, 'backup', { priority: 1, attempt: 1 });
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.answer(1, 2, true);
    const exp = await scrape();
    expect(seriesOf(exp, 'stratum_pool_failovers_total')).toEqual({ 'pool_host=primary': 1, 'pool_host=backup': 0 });
    expect(seriesOf(exp, 'stratum_upstream_connect_failures_total')).toEqual({ 'pool_host=primary,reason=refused': 1 });
    expect(seriesOf(exp, 'stratum_connections_total')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 1 });
    expect(seriesOf(exp, 'stratum_active_connections')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 1, 'pool_host=none': 0 });
    expect(sampleValue(exp, 'stratum_submits_total', { client_id: 'rig1', pool_host: 'backup' })).toBe(1);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', { client_id: 'rig1', pool_host: 'backup' })).toBe(1);
    expect(sampleValue(exp, 'stratum_submits_total', { client_id: 'rig1', pool_host: 'primary' })).toBeUndefined();
    expect(collector.connectionStatuses()[0]).toMatchObject({ pool: 'backup' });
  });

  it('moves a connection whose pool connected but fell silent to "none", then to the next pool; its pending requests are answered there', async () => {
    const { script, scrape, collector } = pooled();
    script.openToPool(1, 'primary');
    script.bytes(1, 'miner_to_pool', 50);
    script.request(1, 1, 'mining.subscribe', ['test-miner/1.0']);
    script.upstreamFailed(1, 'no_answer', { pool: 'primary', failover: true });
    expect(collector.connectionStatuses()[0]).toMatchObject({ pool: null });
    let exp = await scrape();
    expect(seriesOf(exp, 'stratum_active_connections')).toEqual({ 'pool_host=primary': 0, 'pool_host=backup': 0, 'pool_host=none': 1 });
    script.upstreamConnected(1, 'backup', { priority: 1, attempt: 1 });
    script.answer(1, 1, [[], 'bbbb0001', 4]);
    script.bytes(1, 'pool_to_miner', 70);
    exp = await scrape();
    // What the miner sent while on the primary stays the primary's; the rest is the backup's.
    expect(sampleValue(exp, 'stratum_bytes_sent_total', { client_id: 'unknown', pool_host: 'primary' })).toBe(50);
    expect(sampleValue(exp, 'stratum_bytes_received_total', { client_id: 'unknown', pool_host: 'backup' })).toBe(70);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(0);
    expect(sampleValue(exp, 'stratum_pool_failovers_total', { pool_host: 'primary' })).toBe(1);
    // Counted once, under the first pool that connected.
    expect(seriesOf(exp, 'stratum_connections_total')).toEqual({ 'pool_host=primary': 1, 'pool_host=backup': 0 });
  });

  it('counts a close with reason failback in stratum_failbacks_total and as a proxy/failback close of its pool', async () => {
    const { script, scrape } = pooled();
    script.openToPool(1, 'backup');
    script.openToPool(2, 'backup');
    script.close(1, 'proxy', 'failback', 2000);
    script.close(2, 'miner', 'end', 1000);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_failbacks_total')).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_closes_total', { side: 'proxy', reason: 'failback' })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_count', { pool_host: 'backup' })).toBe(2);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_sum', { pool_host: 'backup' })).toBe(3);
  });

  it('observes successful probes in stratum_pool_probe_seconds per pool and leaves failed ones out', async () => {
    const { script, scrape } = pooled();
    script.probed('primary', true, 12);
    script.probed('primary', false, 3000);
    script.probed('backup', true, 40);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_pool_probe_seconds_count', { pool_host: 'primary' })).toBe(1);
    expect(sampleValue(exp, 'stratum_pool_probe_seconds_sum', { pool_host: 'primary' })).toBeCloseTo(0.012, 9);
    expect(sampleValue(exp, 'stratum_pool_probe_seconds_bucket', { pool_host: 'primary', le: '0.025' })).toBe(1);
    expect(sampleValue(exp, 'stratum_pool_probe_seconds_bucket', { pool_host: 'primary', le: '0.01' })).toBe(0);
    expect(sampleValue(exp, 'stratum_pool_probe_seconds_count', { pool_host: 'backup' })).toBe(1);
  });

  it('keeps a worker on two pools in two separate series', async () => {
    const { script, scrape, collector } = pooled();
    script.openToPool(1, 'primary');
    script.authorize(1, 1, 'rig1');
    script.setDifficulty(1, 8);
    script.submit(1, 2, 'rig1');
    script.answer(1, 2, true);
    script.openToPool(2, 'backup');
    script.authorize(2, 1, 'rig1');
    script.setDifficulty(2, 32);
    script.submit(2, 2, 'rig1');
    script.submit(2, 3, 'rig1');
    script.answer(2, 2, true);
    script.answer(2, 3, false, [21, 'Job not found', null]);
    const exp = await scrape();
    expect(seriesOf(exp, 'stratum_submits_total')).toEqual({
      'client_id=unknown,pool_host=none': 0,
      'client_id=unknown,pool_host=primary': 0,
      'client_id=unknown,pool_host=backup': 0,
      'client_id=rig1,pool_host=primary': 1,
      'client_id=rig1,pool_host=backup': 2,
    });
    expect(sampleValue(exp, 'stratum_accepted_difficulty_total', { client_id: 'rig1', pool_host: 'primary' })).toBe(8);
    expect(sampleValue(exp, 'stratum_accepted_difficulty_total', { client_id: 'rig1', pool_host: 'backup' })).toBe(32);
    expect(sampleValue(exp, 'stratum_current_difficulty', { client_id: 'rig1', pool_host: 'primary' })).toBe(8);
    expect(sampleValue(exp, 'stratum_current_difficulty', { client_id: 'rig1', pool_host: 'backup' })).toBe(32);
    expect(countedSeriesOf(exp, 'stratum_rejected_shares_total')).toEqual({ 'client_id=rig1,pool_host=backup,reason=stale': 1 });
    expect(collector.connectionStatuses().map((c) => [c.worker, c.pool])).toEqual([
      ['rig1', 'primary'],
      ['rig1', 'backup'],
    ]);
  });
});

function sumSubmits(exp: Awaited<ReturnType<ReturnType<typeof collectorFixture>['scrape']>>): number {
  return exp.samples.filter((s) => s.name === 'stratum_submits_total').reduce((a, s) => a + s.value, 0);
}
