import { Registry } from 'prom-client';
import {
  aggregateSnapshots,
  createClusterMetrics,
  createMetrics,
  labelProcessMetrics,
  LATENCY_BUCKETS_SECONDS,
  RetiredTotals,
  snapshotRegistry,
  type FamilySnapshot,
  type StratumMetrics,
} from '@stratum-relay/metrics';

/** A worker's registry: the relay metrics without process metrics unless asked. */
function worker(collectDefault = false): StratumMetrics {
  return createMetrics(new Registry(), { collectDefault });
}

/** `name{labels} value` lines of the exposition, as a map (the order of label pairs as printed). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** The samples of the snapshots merged as the primary serves them. */
async function merged(...snapshots: FamilySnapshot[][]): Promise<Map<string, number>> {
  return samples(await aggregateSnapshots(snapshots).metrics());
}

/** How each gauge merges across workers (docs/OPERATING.md "Several cores"); counters and histograms all sum. */
const GAUGE_AGGREGATORS: Record<string, string> = {
  stratum_active_connections: 'sum',
  stratum_pool_miners: 'sum',
  stratum_pending_requests: 'sum',
  stratum_max_connections: 'sum',
  stratum_best_share_difficulty: 'max',
  stratum_current_difficulty: 'max',
  stratum_client_ids_capped: 'max',
  stratum_pool_up: 'max',
  stratum_pool_priority: 'first',
};

describe('aggregating the registries of several workers', () => {
  it('states how every relay metric merges: counters and histograms sum, each gauge as documented', () => {
    const m = worker();
    const got: Record<string, string> = {};
    for (const metric of m.registry.getMetricsAsArray()) {
      const { name, type, aggregator } = metric as unknown as { name: string; type: string; aggregator: string };
      if (type === 'gauge') got[name] = aggregator;
      else expect({ name, aggregator }).toEqual({ name, aggregator: 'sum' });
    }
    expect(got).toEqual(GAUGE_AGGREGATORS);
  });

  it('sums counter cells exactly across workers, label set by label set', async () => {
    const a = worker();
    const b = worker();
    a.cells.submits.cell({ client_id: 'rig1', pool_host: 'p' }).add(7);
    b.cells.submits.cell({ client_id: 'rig1', pool_host: 'p' }).add(5);
    b.cells.submits.cell({ client_id: 'rig2', pool_host: 'p' }).add(3);
    a.bytesSentCell('rig1', 'p').add(1_000_000);
    b.bytesSentCell('rig1', 'p').add(2_345);
    a.connectionsTotal.labels('p').inc(4);
    b.connectionsTotal.labels('p').inc(2);

    const got = await merged(await snapshotRegistry(a.registry), await snapshotRegistry(b.registry));
    expect(got.get('stratum_submits_total{client_id="rig1",pool_host="p"}')).toBe(12);
    expect(got.get('stratum_submits_total{client_id="rig2",pool_host="p"}')).toBe(3);
    expect(got.get('stratum_bytes_sent_total{client_id="rig1",pool_host="p"}')).toBe(1_002_345);
    expect(got.get('stratum_connections_total{pool_host="p"}')).toBe(6);
  });

  it("sums a cell histogram's buckets, sum and count exactly, and keeps its label sets apart", async () => {
    const a = worker();
    const b = worker();
    const obsA = [0.0004, 0.003, 0.003, 0.25, 40];
    const obsB = [0.003, 0.5, 0.75];
    for (const v of obsA) a.requestResponseSeconds.cell({ method: 'mining.submit' }).observe(v);
    for (const v of obsB) b.requestResponseSeconds.cell({ method: 'mining.submit' }).observe(v);
    b.requestResponseSeconds.cell({ method: 'mining.authorize' }).observe(0.01);
    a.shareDifficulty.observe(0.5);
    b.shareDifficulty.observe(1500);

    const got = await merged(await snapshotRegistry(a.registry), await snapshotRegistry(b.registry));
    const all = [...obsA, ...obsB];
    for (const le of LATENCY_BUCKETS_SECONDS) {
      expect(got.get(`stratum_request_response_seconds_bucket{le="${le}",method="mining.submit"}`)).toBe(all.filter((v) => v <= le).length);
    }
    expect(got.get('stratum_request_response_seconds_bucket{le="+Inf",method="mining.submit"}')).toBe(8);
    expect(got.get('stratum_request_response_seconds_count{method="mining.submit"}')).toBe(8);
    // Each worker's running sum, then the two added: the order the aggregate adds them in.
    const sumA = obsA.reduce((s, v) => s + v, 0);
    const sumB = obsB.reduce((s, v) => s + v, 0);
    expect(got.get('stratum_request_response_seconds_sum{method="mining.submit"}')).toBe(sumA + sumB);
    expect(got.get('stratum_request_response_seconds_count{method="mining.authorize"}')).toBe(1);
    expect(got.get('stratum_share_difficulty_bucket{le="1"}')).toBe(1);
    expect(got.get('stratum_share_difficulty_bucket{le="10000"}')).toBe(2);
    expect(got.get('stratum_share_difficulty_count')).toBe(2);
  });

  it('takes the best share and the difficulty as the highest, a pool as up when any worker sees it up, and its priority from the first', async () => {
    const a = worker();
    const b = worker();
    a.bestShareDifficulty.set({ client_id: 'rig1', pool_host: 'p' }, 3_000);
    b.bestShareDifficulty.set({ client_id: 'rig1', pool_host: 'p' }, 12_000);
    a.currentDifficulty.set({ client_id: 'rig1', pool_host: 'p' }, 512);
    b.currentDifficulty.set({ client_id: 'rig1', pool_host: 'p' }, 1024);
    a.setPoolStateProvider(() => [
      { name: 'p', priority: 0, up: true, miners: 3, rewrites: null },
      { name: 'q', priority: 1, up: false, miners: 0, rewrites: null },
    ]);
    b.setPoolStateProvider(() => [
      { name: 'p', priority: 0, up: false, miners: 2, rewrites: null },
      { name: 'q', priority: 1, up: false, miners: 1, rewrites: null },
    ]);

    const got = await merged(await snapshotRegistry(a.registry), await snapshotRegistry(b.registry));
    expect(got.get('stratum_best_share_difficulty{client_id="rig1",pool_host="p"}')).toBe(12_000);
    expect(got.get('stratum_current_difficulty{client_id="rig1",pool_host="p"}')).toBe(1024);
    expect(got.get('stratum_pool_up{pool_host="p"}')).toBe(1);
    expect(got.get('stratum_pool_up{pool_host="q"}')).toBe(0);
    expect(got.get('stratum_pool_priority{pool_host="p"}')).toBe(0);
    expect(got.get('stratum_pool_priority{pool_host="q"}')).toBe(1);
    expect(got.get('stratum_pool_miners{pool_host="p"}')).toBe(5);
    expect(got.get('stratum_pool_miners{pool_host="q"}')).toBe(1);
  });

  it('sums the live connection gauges: active connections, pending requests and the connection limit', async () => {
    const a = worker();
    const b = worker();
    a.setActiveConnectionsProvider(() => new Map([['p', 4]]));
    b.setActiveConnectionsProvider(
      () =>
        new Map([
          ['p', 6],
          ['none', 1],
        ]),
    );
    a.setPendingRequestsProvider(() => 2);
    b.setPendingRequestsProvider(() => 5);
    a.maxConnections.set(10_000);
    b.maxConnections.set(10_000);

    const got = await merged(await snapshotRegistry(a.registry), await snapshotRegistry(b.registry));
    expect(got.get('stratum_active_connections{pool_host="p"}')).toBe(10);
    expect(got.get('stratum_active_connections{pool_host="none"}')).toBe(1);
    expect(got.get('stratum_pending_requests')).toBe(7);
    expect(got.get('stratum_max_connections')).toBe(20_000);
  });

  it('keeps each process its own process metrics under a process label, the primary included', async () => {
    const a = worker(true);
    const b = worker(true);
    const primary = createClusterMetrics(new Registry());
    const text = await aggregateSnapshots([
      labelProcessMetrics(await snapshotRegistry(a.registry), 'worker-1'),
      labelProcessMetrics(await snapshotRegistry(b.registry), 'worker-2'),
      labelProcessMetrics(await snapshotRegistry(primary.registry), 'primary'),
    ]).metrics();
    const got = samples(text);
    for (const process of ['worker-1', 'worker-2', 'primary']) {
      expect(got.has(`process_resident_memory_bytes{process="${process}"}`)).toBe(true);
      expect(got.has(`process_start_time_seconds{process="${process}"}`)).toBe(true);
      expect(got.has(`nodejs_eventloop_lag_seconds{process="${process}"}`)).toBe(true);
    }
    // The relay's families carry no process label.
    expect([...got.keys()].filter((k) => k.startsWith('stratum_') && k.includes('process='))).toEqual([]);
    expect(got.get('stratum_workers{state="running"}')).toBe(0);
    expect(got.get('stratum_worker_restarts_total')).toBe(0);
  });
});

describe('RetiredTotals', () => {
  it("adds a retired worker's last counters and histograms to the live ones, so no counter goes backwards, and forgets its gauges", async () => {
    const a = worker();
    const b = worker();
    a.cells.acceptedShares.cell({ client_id: 'rig1', pool_host: 'p' }).add(10);
    b.cells.acceptedShares.cell({ client_id: 'rig1', pool_host: 'p' }).add(4);
    a.connectionDurationSeconds.cell({ pool_host: 'p' }).observe(30);
    a.bestShareDifficulty.set({ client_id: 'rig1', pool_host: 'p' }, 99);
    a.setActiveConnectionsProvider(() => new Map([['p', 3]]));
    const lastOfA = await snapshotRegistry(a.registry);
    const before = await merged(lastOfA, await snapshotRegistry(b.registry));
    expect(before.get('stratum_accepted_shares_total{client_id="rig1",pool_host="p"}')).toBe(14);

    // Worker a is gone (its last snapshot kept); its successor starts from zero.
    const retired = new RetiredTotals();
    retired.add(lastOfA);
    const successor = worker();
    successor.cells.acceptedShares.cell({ client_id: 'rig1', pool_host: 'p' }).add(1);
    successor.connectionDurationSeconds.cell({ pool_host: 'p' }).observe(2);

    const after = await merged(await snapshotRegistry(successor.registry), await snapshotRegistry(b.registry), retired.snapshot());
    expect(after.get('stratum_accepted_shares_total{client_id="rig1",pool_host="p"}')).toBe(15);
    expect(after.get('stratum_connection_duration_seconds_count{pool_host="p"}')).toBe(2);
    expect(after.get('stratum_connection_duration_seconds_sum{pool_host="p"}')).toBe(32);
    expect(after.get('stratum_connection_duration_seconds_bucket{le="10",pool_host="p"}')).toBe(1);
    expect(after.get('stratum_connection_duration_seconds_bucket{le="60",pool_host="p"}')).toBe(2);
    const cumulative = (key: string): boolean => /^stratum_\w+(_total|_bucket|_sum|_count)(\{|$)/.test(key);
    const wentBack = [...before].filter(([key, value]) => cumulative(key) && (after.get(key) ?? 0) < value);
    expect(wentBack).toEqual([]);
    // Gauges of the gone worker are not kept.
    expect(after.get('stratum_best_share_difficulty{client_id="rig1",pool_host="p"}')).toBeUndefined();
    expect(after.get('stratum_active_connections{pool_host="p"}')).toBeUndefined();
  });

  it('sums several retired workers and keeps series only a retired worker had', async () => {
    const retired = new RetiredTotals();
    for (const n of [3, 4]) {
      const gone = worker();
      gone.cells.rejectedShares.cell({ client_id: 'old', pool_host: 'p', reason: 'stale' }).add(n);
      gone.configReloadsTotal.inc({ result: 'failure' });
      retired.add(await snapshotRegistry(gone.registry));
    }
    const live = worker();
    const got = await merged(await snapshotRegistry(live.registry), retired.snapshot());
    expect(got.get('stratum_rejected_shares_total{client_id="old",pool_host="p",reason="stale"}')).toBe(7);
    expect(got.get('stratum_config_reloads_total{result="failure"}')).toBe(2);
  });

  it('keeps process counters per process label, so a replaced worker slot keeps counting CPU forward', async () => {
    const retired = new RetiredTotals();
    const cpu = (v: number, process: string): FamilySnapshot[] =>
      labelProcessMetrics(
        [{ name: 'process_cpu_seconds_total', help: 'cpu', type: 'counter', aggregator: 'sum', values: [{ value: v, labels: {} }] }],
        process,
      );
    retired.add(cpu(5, 'worker-1'));
    const got = await merged(cpu(0.5, 'worker-1'), cpu(7, 'worker-2'), retired.snapshot());
    expect(got.get('process_cpu_seconds_total{process="worker-1"}')).toBe(5.5);
    expect(got.get('process_cpu_seconds_total{process="worker-2"}')).toBe(7);
  });
});
