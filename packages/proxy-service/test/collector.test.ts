import { collectorFixture } from './helpers/metrics-collector-fixture';
import { sampleValue, seriesOf } from './helpers/metrics-exposition';

const W = { client_id: 'rig1', pool_host: 'pool.test' };
const U = { client_id: 'unknown', pool_host: 'pool.test' };

describe('MetricsCollector connection lifecycle', () => {
  it('counts opened, active and closed connections with their duration, side and reason', async () => {
    const { script, scrape } = collectorFixture();
    script.open(1);
    script.open(2);
    script.close(1, 'pool', 'reset', 2500);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_connections_total', { pool_host: 'pool.test' })).toBe(2);
    expect(sampleValue(exp, 'stratum_active_connections', { pool_host: 'pool.test' })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_closes_total', { side: 'pool', reason: 'reset' })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_count', { pool_host: 'pool.test' })).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_sum', { pool_host: 'pool.test' })).toBe(2.5);
  });

  it('counts a max_connections rejection both as rejected and as a proxy/limit close, a draining one only as rejected', async () => {
    const { script, scrape } = collectorFixture();
    script.rejected('max_connections');
    script.rejected('draining');
    const exp = await scrape();
    expect(seriesOf(exp, 'stratum_connections_rejected_total')).toEqual({ 'reason=max_connections': 1, 'reason=draining': 1 });
    expect(seriesOf(exp, 'stratum_connection_closes_total')).toEqual({ 'reason=limit,side=proxy': 1 });
  });

  it('tracks the pool being up or down and the connect latency of successful attempts', async () => {
    const { script, scrape, collector } = collectorFixture();
    expect(collector.poolStatus().up).toBeNull();
    script.open(1);
    script.upstreamConnected(1, 4);
    expect((await scrape()).samples.find((s) => s.name === 'stratum_pool_up')?.value).toBe(1);
    script.open(2);
    script.upstreamFailed(2, 'refused');
    script.upstreamFailed(2, 'timeout', 'connect ETIMEDOUT');
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_pool_up', { pool_host: 'pool.test' })).toBe(0);
    expect(seriesOf(exp, 'stratum_upstream_connect_failures_total')).toEqual({
      'pool_host=pool.test,reason=refused': 1,
      'pool_host=pool.test,reason=timeout': 1,
    });
    expect(sampleValue(exp, 'stratum_connect_latency_seconds_count', { pool_host: 'pool.test' })).toBe(1);
    expect(sampleValue(exp, 'stratum_connect_latency_seconds_sum', { pool_host: 'pool.test' })).toBe(0.004);
    expect(collector.poolStatus()).toMatchObject({ up: false, lastError: 'connect ETIMEDOUT' });
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
    script.open(1);
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
    expect(collector.connectionStatuses()[0]).toMatchObject({ worker: 'rig1', bytesSent: 107, bytesReceived: 43 });
  });

  it('counts messages by direction and method, responses as "response" and unknown methods as "other"', async () => {
    const { script, scrape } = collectorFixture();
    script.open(1);
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
    script.open(1);
    script.setDifficulty(1, 16);
    script.authorize(1, 1, 'rig1');
    expect(sampleValue(await scrape(), 'stratum_current_difficulty', W)).toBe(16);
    script.setDifficulty(1, 0.5);
    expect(sampleValue(await scrape(), 'stratum_current_difficulty', W)).toBe(0.5);
    expect(collector.connectionStatuses()[0]?.currentDifficulty).toBe(0.5);
  });

  it('ignores nonsense difficulties and worker names without throwing', async () => {
    const { script, collector } = collectorFixture();
    script.open(1);
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
    script.open(1);
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
    script.open(1);
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.answer(1, 2, true);
    expect(sampleValue(await scrape(), 'stratum_accepted_difficulty_total', W)).toBe(1);
  });

  it('maps every reject shape to its reason: codes, strings, objects and false without error', async () => {
    const { script, scrape, collector } = collectorFixture();
    script.open(1);
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
    expect(seriesOf(exp, 'stratum_rejected_shares_total')).toEqual({
      'client_id=rig1,pool_host=pool.test,reason=stale': 2,
      'client_id=rig1,pool_host=pool.test,reason=duplicate': 2,
      'client_id=rig1,pool_host=pool.test,reason=low_difficulty': 3,
      'client_id=rig1,pool_host=pool.test,reason=unauthorized': 1,
      'client_id=rig1,pool_host=pool.test,reason=not_subscribed': 1,
      'client_id=rig1,pool_host=pool.test,reason=other': 2,
    });
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(0);
    expect(collector.connectionStatuses()[0]).toMatchObject({ submits: 11, accepted: 0, rejected: 11 });
  });
});

describe('MetricsCollector request/response correlation', () => {
  it('matches several requests reusing id 4 to their answers in order (cpuminer)', async () => {
    const { script, scrape } = collectorFixture();
    script.open(1);
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
    script.open(1);
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
    script.open(1);
    script.answer(1, 77, true);
    script.answer(1, null, null, [20, 'bad request', null]);
    script.minerAnswer(1, 'nope', 'x');
    const exp = await scrape();
    expect(seriesOf(exp, 'stratum_unmatched_responses_total')).toEqual({ 'direction=pool_to_miner': 2, 'direction=miner_to_pool': 1 });
  });

  it('correlates a pool request answered by the miner without touching share counters', async () => {
    const { script, scrape, collector } = collectorFixture();
    script.open(1);
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
    script.open(1);
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

  it('expires unanswered requests after submitTimeoutMs, counting only submits as timeouts; a late answer is unmatched', async () => {
    const { script, scrape, collector } = collectorFixture({ submitTimeoutMs: 1000 });
    script.open(1);
    script.authorize(1, 1, 'rig1');
    script.submit(1, 2, 'rig1');
    script.request(1, 3, 'mining.suggest_difficulty', [1]);
    script.advance(999);
    collector.sweep();
    expect(collector.stateSize().pending).toBe(2);
    script.advance(1);
    collector.sweep();
    expect(collector.stateSize().pending).toBe(0);
    script.answer(1, 2, true);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(0);
    expect(sampleValue(exp, 'stratum_unmatched_responses_total', { direction: 'pool_to_miner' })).toBe(1);
  });

  it('evicts the oldest pending request past maxPendingPerConnection and counts an evicted submit as a timeout', async () => {
    const { script, scrape, collector } = collectorFixture({ maxPendingPerConnection: 3 });
    script.open(1);
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
      script.open(1);
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
    script.open(1);
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

  it('attributes events of a connection it never saw open to "unknown" without creating state', async () => {
    const { collector, script, scrape } = collectorFixture();
    script.bytes(42, 'pool_to_miner', 9);
    script.submit(42, 1);
    script.answer(42, 1, true);
    script.close(42);
    expect(collector.stateSize()).toEqual({ connections: 0, pending: 0 });
    expect(sampleValue(await scrape(), 'stratum_bytes_received_total', U)).toBe(9);
  });
});

function sumSubmits(exp: Awaited<ReturnType<ReturnType<typeof collectorFixture>['scrape']>>): number {
  return exp.samples.filter((s) => s.name === 'stratum_submits_total').reduce((a, s) => a + s.value, 0);
}
