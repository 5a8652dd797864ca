import { Registry, register as globalRegistry } from 'prom-client';
import { createMetrics, LATENCY_BUCKETS_SECONDS, SHARE_DIFFICULTY_BUCKETS } from '@stratum-relay/metrics';
import type { PoolGaugeState } from '@stratum-relay/metrics';

/** name → [type, label names]: the contract with dashboards and docs/METRICS.md. */
const EXPECTED: Record<string, [string, string[]]> = {
  stratum_connections_total: ['counter', ['pool_host']],
  stratum_bytes_sent_total: ['counter', ['client_id', 'pool_host']],
  stratum_bytes_received_total: ['counter', ['client_id', 'pool_host']],
  stratum_submits_total: ['counter', ['client_id', 'pool_host']],
  stratum_accepted_shares_total: ['counter', ['client_id', 'pool_host']],
  stratum_rejected_shares_total: ['counter', ['client_id', 'pool_host', 'reason']],
  stratum_accepted_difficulty_total: ['counter', ['client_id', 'pool_host']],
  stratum_submit_timeouts_total: ['counter', ['client_id', 'pool_host']],
  stratum_late_answers_total: ['counter', ['client_id', 'pool_host']],
  stratum_submits_lost_total: ['counter', ['client_id', 'pool_host']],
  stratum_messages_total: ['counter', ['direction', 'method']],
  stratum_parse_errors_total: ['counter', ['direction']],
  stratum_oversized_lines_total: ['counter', ['direction']],
  stratum_upstream_connect_failures_total: ['counter', ['pool_host', 'reason']],
  stratum_jobs_total: ['counter', ['clean']],
  stratum_connections_rejected_total: ['counter', ['reason']],
  stratum_connection_closes_total: ['counter', ['side', 'reason']],
  stratum_unmatched_responses_total: ['counter', ['direction']],
  stratum_block_candidates_total: ['counter', ['client_id', 'pool_host']],
  stratum_share_audit_total: ['counter', ['verdict']],
  stratum_pool_failovers_total: ['counter', ['pool_host']],
  stratum_failbacks_total: ['counter', []],
  stratum_account_rewrites_total: ['counter', ['pool_host', 'result']],
  stratum_tls_handshake_failures_total: ['counter', ['reason']],
  stratum_config_reloads_total: ['counter', ['result']],
  stratum_active_connections: ['gauge', ['pool_host']],
  stratum_current_difficulty: ['gauge', ['client_id', 'pool_host']],
  stratum_pool_up: ['gauge', ['pool_host']],
  stratum_pool_priority: ['gauge', ['pool_host']],
  stratum_pool_miners: ['gauge', ['pool_host']],
  stratum_pending_requests: ['gauge', []],
  stratum_best_share_difficulty: ['gauge', ['client_id', 'pool_host']],
  stratum_max_connections: ['gauge', []],
  stratum_client_ids_capped: ['gauge', []],
  stratum_connection_duration_seconds: ['histogram', ['pool_host']],
  stratum_connect_latency_seconds: ['histogram', ['pool_host']],
  stratum_pool_probe_seconds: ['histogram', ['pool_host']],
  stratum_pool_probe_failures_total: ['counter', ['pool_host', 'reason']],
  stratum_pool_disconnects_total: ['counter', ['pool_host']],
  stratum_request_response_seconds: ['histogram', ['method']],
  stratum_share_difficulty: ['histogram', []],
};

describe('createMetrics', () => {
  it('registers exactly the documented stratum metrics with their types, labels and a help text', () => {
    const registry = new Registry();
    createMetrics(registry, { collectDefault: false });
    const got: Record<string, [string, string[]]> = {};
    for (const m of registry.getMetricsAsArray()) {
      const metric = m as unknown as { name: string; type: string; help: string; labelNames: string[] };
      got[metric.name] = [metric.type, [...metric.labelNames]];
      expect(metric.help.length).toBeGreaterThan(20);
    }
    expect(got).toEqual(EXPECTED);
  });

  it('never touches the global registry, so two instances can live in one process', () => {
    const before = globalRegistry.getMetricsAsArray().length;
    createMetrics(new Registry(), { collectDefault: false });
    createMetrics(new Registry(), { collectDefault: false });
    expect(globalRegistry.getMetricsAsArray().length).toBe(before);
  });

  it('adds process metrics including event-loop lag by default, without gauges named like counters', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('process_cpu_seconds_total');
    const gaugesEndingInTotal = text.split('\n').filter((l) => /^# TYPE \S+_total (gauge|histogram|summary)$/.test(l));
    expect(gaugesEndingInTotal).toEqual([]);
  });

  it('flushes hot-path counter cells into the counters exactly at scrape time', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { collectDefault: false });
    const cell = m.bytesSentCell('rig', 'pool');
    expect(m.bytesSentCell('rig', 'pool')).toBe(cell);
    expect(await registry.getSingleMetricAsString('stratum_bytes_sent_total')).toContain('stratum_bytes_sent_total{client_id="rig",pool_host="pool"} 0');
    cell.add(10);
    cell.add(5);
    m.messagesCell('miner_to_pool', 'mining.submit').add(3);
    const text = await registry.metrics();
    expect(text).toContain('stratum_bytes_sent_total{client_id="rig",pool_host="pool"} 15');
    expect(text).toContain('stratum_messages_total{direction="miner_to_pool",method="mining.submit"} 3');
    cell.add(1);
    expect(await registry.metrics()).toContain('stratum_bytes_sent_total{client_id="rig",pool_host="pool"} 16');
  });

  it('keeps cells of label values that only differ by separators apart', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { collectDefault: false });
    m.bytesReceivedCell('a,b', 'c').add(1);
    m.bytesReceivedCell('a', 'b,c').add(2);
    const text = await registry.metrics();
    expect(text).toContain('stratum_bytes_received_total{client_id="a,b",pool_host="c"} 1');
    expect(text).toContain('stratum_bytes_received_total{client_id="a",pool_host="b,c"} 2');
  });

  it('reads stratum_pending_requests from the provider at scrape time, 0 without one', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { collectDefault: false });
    expect(await registry.getSingleMetricAsString('stratum_pending_requests')).toMatch(/\nstratum_pending_requests 0$/);
    let live = 7;
    m.setPendingRequestsProvider(() => live);
    expect(await registry.getSingleMetricAsString('stratum_pending_requests')).toMatch(/\nstratum_pending_requests 7$/);
    live = 2;
    expect(await registry.getSingleMetricAsString('stratum_pending_requests')).toMatch(/\nstratum_pending_requests 2$/);
  });

  it('reads the pool gauges and account rewrites from the pool list at scrape time, and exports none without one', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { collectDefault: false });
    const poolSeries = async (): Promise<string[]> =>
      (await registry.metrics()).split('\n').filter((l) => /^stratum_(pool_up|pool_priority|pool_miners|account_rewrites_total)\{/.test(l));
    expect(await poolSeries()).toEqual([]);
    const pools: PoolGaugeState[] = [
      { name: 'primary', priority: 0, up: null, miners: 0, rewrites: null },
      { name: 'backup', priority: 1, up: false, miners: 0, rewrites: { rewritten: 0, unsafe: 0 } },
    ];
    m.setPoolStateProvider(() => pools);
    expect(await poolSeries()).toEqual([
      'stratum_pool_up{pool_host="primary"} 0',
      'stratum_pool_up{pool_host="backup"} 0',
      'stratum_pool_priority{pool_host="primary"} 0',
      'stratum_pool_priority{pool_host="backup"} 1',
      'stratum_pool_miners{pool_host="primary"} 0',
      'stratum_pool_miners{pool_host="backup"} 0',
      'stratum_account_rewrites_total{pool_host="backup",result="rewritten"} 0',
      'stratum_account_rewrites_total{pool_host="backup",result="unsafe"} 0',
    ]);
    pools[0] = { name: 'primary', priority: 0, up: true, miners: 3, rewrites: null };
    pools[1] = { name: 'backup', priority: 1, up: false, miners: 1, rewrites: { rewritten: 7, unsafe: 1 } };
    const text = await registry.metrics();
    expect(text).toContain('stratum_pool_up{pool_host="primary"} 1');
    expect(text).toContain('stratum_pool_miners{pool_host="primary"} 3');
    expect(text).toContain('stratum_account_rewrites_total{pool_host="backup",result="rewritten"} 7');
    expect(text).toContain('stratum_account_rewrites_total{pool_host="backup",result="unsafe"} 1');
    // A pool dropped from the list (a reload) leaves with its series.
    pools.pop();
    expect((await poolSeries()).filter((l) => l.includes('backup'))).toEqual([]);
  });

  it('reads stratum_active_connections per pool from the provider at scrape time', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { collectDefault: false });
    let live = new Map([
      ['primary', 2],
      ['none', 1],
    ]);
    m.setActiveConnectionsProvider(() => live);
    let text = await registry.getSingleMetricAsString('stratum_active_connections');
    expect(text).toContain('stratum_active_connections{pool_host="primary"} 2');
    expect(text).toContain('stratum_active_connections{pool_host="none"} 1');
    live = new Map([['backup', 4]]);
    text = await registry.getSingleMetricAsString('stratum_active_connections');
    expect(text).toContain('stratum_active_connections{pool_host="backup"} 4');
    expect(text).not.toContain('primary');
  });

  it('uses the latency buckets for pool probes', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { collectDefault: false });
    m.poolProbeSeconds.cell({ pool_host: 'primary' }).observe(0.012);
    const text = await registry.getSingleMetricAsString('stratum_pool_probe_seconds');
    expect(text).toContain(`stratum_pool_probe_seconds_bucket{le="${LATENCY_BUCKETS_SECONDS[0]}",pool_host="primary"} 0`);
    expect(text).toContain('stratum_pool_probe_seconds_bucket{le="+Inf",pool_host="primary"} 1');
    expect(text).toContain('stratum_pool_probe_seconds_sum{pool_host="primary"} 0.012');
  });

  it('uses one share-difficulty bucket per power of ten from 1e-6 to 1e12, printed exactly', async () => {
    expect(SHARE_DIFFICULTY_BUCKETS).toHaveLength(19);
    expect(SHARE_DIFFICULTY_BUCKETS[0]).toBe(1e-6);
    expect(SHARE_DIFFICULTY_BUCKETS[18]).toBe(1e12);
    const registry = new Registry();
    const m = createMetrics(registry, { collectDefault: false });
    m.shareDifficulty.observe(0.00005);
    const text = await registry.getSingleMetricAsString('stratum_share_difficulty');
    expect(text).toContain('stratum_share_difficulty_bucket{le="0.00001"} 0');
    expect(text).toContain('stratum_share_difficulty_bucket{le="0.0001"} 1');
    expect(text).toContain('stratum_share_difficulty_bucket{le="1000000000000"} 1');
  });

  it('covers latencies from 0.5 ms to 30 s', () => {
    expect(LATENCY_BUCKETS_SECONDS[0]).toBe(0.0005);
    expect(LATENCY_BUCKETS_SECONDS[LATENCY_BUCKETS_SECONDS.length - 1]).toBe(30);
    expect([...LATENCY_BUCKETS_SECONDS].sort((a, b) => a - b)).toEqual(LATENCY_BUCKETS_SECONDS);
  });
});
