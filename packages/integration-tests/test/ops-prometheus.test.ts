/**
 * The observability stack end to end with real tools: pool-sim ← the built stratum-proxy
 * program ← miner-sim, scraped every second by a real `prometheus` that loads the repository's
 * rule files. Recording rules and dashboard queries are evaluated through the HTTP API and
 * compared with pool-sim's ground truth.
 */
import { MinerFarm, parseFaultSpec } from '@stratum-relay/miner-sim';
import { PoolSim, type PoolStats } from '@stratum-relay/pool-sim';
import {
  startPrometheus,
  startProxyProcess,
  waitFor,
  type PrometheusProcess,
  type PrometheusQueryResult,
  type ProxyProcess,
} from '../src';
import { dashboardExprs, loadDashboards } from './helpers/ops-dashboards';
import { DASHBOARDS_DIR, RULE_FILES } from './helpers/ops-paths';
import { localPrometheusConfig } from './helpers/ops-prometheus-config';
import { requireTool } from './helpers/ops-promtool';
import { loadRules } from './helpers/ops-rules';

const MINERS = 3;
const USER = 'ops';
/** Answered shares to wait for before stopping the miners (pool-sim's easy profile gives a few per second). */
const SHARES = 30;

const sum = (rs: PrometheusQueryResult[]): number => rs.reduce((a, r) => a + r.value, 0);
const totalRejected = (s: PoolStats): number => Object.values(s.totals.rejected).reduce((a, n) => a + n, 0);

/** Grafana variables replaced for a live query: every worker selected, 5m windows. */
const liveExpr = (expr: string): string =>
  expr
    .replace(/\$__rate_interval|\$__range|\$__interval/g, '5m')
    .replace(/\$\{?client_id\}?/g, '.+');

describe('a real Prometheus scraping the real proxy', () => {
  let pool: PoolSim | undefined;
  let proxy: ProxyProcess | undefined;
  let prom: PrometheusProcess | undefined;
  let farm: MinerFarm | undefined;
  let truth: PoolStats;

  beforeAll(async () => {
    pool = new PoolSim({ host: '127.0.0.1', port: 0, profile: 'easy', logLevel: 'silent' });
    const poolAddr = await pool.listen();
    // A short drain deadline: afterAll stops the proxy with no miner left.
    proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: poolAddr.port, env: { DRAIN_TIMEOUT_MS: '2000' } });
    // A missing `prometheus` fails with how to install it (never a skip).
    prom = await startPrometheus(
      localPrometheusConfig({ proxyTarget: `127.0.0.1:${proxy.metricsPort}`, scrapeInterval: '1s', evaluationInterval: '1s' }),
      { bin: requireTool('prometheus') },
    );
    const p = prom;
    const proxyLogs = proxy.logs;
    await waitFor(async () => sum(await p.query('up{job="stratum-relay"}')) === 1, {
      timeoutMs: 15_000,
      what: 'Prometheus to scrape the proxy',
      context: proxyLogs,
    });

    // A few duplicate and invalid-nonce submits per miner give the reject panels real data.
    farm = new MinerFarm({
      url: `stratum+tcp://127.0.0.1:${proxy.proxyPort}`,
      miners: MINERS,
      user: USER,
      shares: SHARES,
      seed: 7,
      faults: [parseFaultSpec('duplicate:2'), parseFaultSpec('invalid_nonce:1')],
    });
    await farm.start();
    const f = farm;
    // whenDone() resolves at SHARES answered submits; bounded so a stuck farm fails, not hangs.
    await Promise.race([
      f.whenDone(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`miners did not get ${SHARES} answers in 25 s: ${JSON.stringify(f.progress())}`)), 25_000).unref()),
    ]);
    await f.stop();
    farm = undefined;
    truth = pool.stats();

    // Counters only grow; once Prometheus' sum equals the pool's own count, the final scrape happened.
    await waitFor(async () => sum(await p.query('sum(stratum_accepted_shares_total)')) === truth.totals.accepted, {
      timeoutMs: 15_000,
      what: `Prometheus to see pool-sim's ${truth.totals.accepted} accepted shares`,
      context: proxyLogs,
    });
    // One more rule evaluation after that scrape.
    await waitFor(async () => sum(await p.query('stratum:hashrate:rate5m')) > 0, {
      timeoutMs: 10_000,
      what: 'the recording rules to see the final scrape',
    });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await prom?.stop();
    await proxy?.stop();
    await pool?.close();
  });

  it('loaded every recording and alerting rule, and none failed to evaluate', async () => {
    const data = (await (prom as PrometheusProcess).api('/api/v1/rules')) as {
      groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string; type: string }> }>;
    };
    const loaded = data.groups.flatMap((g) => g.rules);
    const defined = loadRules(RULE_FILES);
    expect(loaded.map((r) => r.name).sort()).toEqual([...defined.recording.map((r) => r.record), ...defined.alerts.map((a) => a.alert)].sort());
    expect(loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  });

  it('counts exactly the accepted and rejected shares pool-sim answered', async () => {
    const p = prom as PrometheusProcess;
    expect(truth.totals.accepted).toBeGreaterThan(0);
    expect(sum(await p.query('sum(stratum_accepted_shares_total)'))).toBe(truth.totals.accepted);
    expect(sum(await p.query('sum(stratum_rejected_shares_total)'))).toBe(totalRejected(truth));
    expect(sum(await p.query('sum(stratum_submits_total)'))).toBeGreaterThanOrEqual(truth.totals.accepted + totalRejected(truth));
  });

  it('counts each worker\'s accepted shares and difficulty as pool-sim does', async () => {
    const p = prom as PrometheusProcess;
    // Zero-valued children (e.g. client_id="unknown", created before authorize) are not workers.
    const accepted = await p.query('sum by (client_id) (stratum_accepted_shares_total) > 0');
    const byWorker = Object.fromEntries(accepted.map((r) => [r.metric['client_id'], r.value]));
    const expected = Object.fromEntries(Object.entries(truth.workers).filter(([, w]) => w.accepted > 0).map(([name, w]) => [name, w.accepted]));
    expect(byWorker).toEqual(expected);
    const difficulty = sum(await p.query('sum(stratum_accepted_difficulty_total)'));
    expect(difficulty / truth.totals.acceptedDifficulty).toBeCloseTo(1, 6);
  });

  it('records a farm hashrate, a hashrate for each worker and share ratios that add up', async () => {
    const p = prom as PrometheusProcess;
    expect(sum(await p.query('stratum:hashrate:rate5m'))).toBeGreaterThan(0);
    // Every worker has a series. Its value may be 0 if all of a worker's shares came before its
    // counter's first scrape (rate() cannot see those), so only the farm total must be > 0.
    const workers = await p.query('stratum:worker_hashrate:rate5m');
    const mining = Object.keys(truth.workers).filter((n) => (truth.workers[n]?.accepted ?? 0) > 0);
    expect(workers.map((w) => w.metric['client_id'])).toEqual(expect.arrayContaining(mining));
    // The farm is the sum of its workers (same window, same evaluation).
    expect(sum(await p.query('sum(stratum:worker_hashrate:rate5m)')) / sum(await p.query('stratum:hashrate:rate5m'))).toBeCloseTo(1, 6);

    const accept = sum(await p.query('stratum:accept_ratio:rate5m'));
    const reject = sum(await p.query('stratum:reject_ratio:rate5m'));
    expect(accept + reject).toBeCloseTo(1, 9);
    // Not compared with pool-sim's totals: rate() cannot see the increments a counter child
    // already had at its first scrape (the injected rejects come early), so over a series' first
    // minutes the ratio may even read 0. The counters themselves are compared exactly above.
    expect(reject).toBeGreaterThanOrEqual(0);
    expect(reject).toBeLessThan(1);
    const byReason = await p.query('stratum:reject_ratio_by_reason:rate5m');
    const reasons = Object.entries(truth.totals.rejected).filter(([, n]) => n > 0).map(([reason]) => reason);
    expect(reasons.length).toBeGreaterThan(0);
    expect(byReason.map((r) => r.metric['reason'])).toEqual(expect.arrayContaining(reasons));
    expect(sum(byReason)).toBeCloseTo(reject, 9);
  });

  it('records submit latency percentiles from the proxy\'s histogram', async () => {
    const p = prom as PrometheusProcess;
    const p50 = sum(await p.query('stratum:submit_latency_seconds:p50_5m'));
    const p99 = sum(await p.query('stratum:submit_latency_seconds:p99_5m'));
    expect(Number.isFinite(p50) && p50 > 0).toBe(true);
    expect(p99).toBeGreaterThanOrEqual(p50);
  });

  it('evaluates every dashboard query, and the main panels show data', async () => {
    const p = prom as PrometheusProcess;
    const exprs = loadDashboards(DASHBOARDS_DIR).flatMap(dashboardExprs).filter((e) => !e.where.startsWith('variable'));
    const empty: string[] = [];
    for (const e of exprs) {
      const result = await p.query(liveExpr(e.expr)).catch((error: unknown) => {
        throw new Error(`${e.dashboard} ${e.where}: ${e.expr}: ${String(error)}`);
      });
      if (result.length === 0) empty.push(`${e.dashboard} ${e.where}`);
    }
    const mustShow = [
      'stratum-farm-overview.json panel "Farm hashrate (5m)" target A',
      'stratum-farm-overview.json panel "Accepted share ratio (5m)" target A',
      'stratum-farm-overview.json panel "Hashrate" target A',
      'stratum-farm-overview.json panel "Shares per second" target B',
      'stratum-farm-overview.json panel "mining.submit answer time" target C',
      'stratum-farm-overview.json panel "Bytes relayed" target A',
      'stratum-farm-overview.json panel "Bytes relayed" target B',
      'stratum-farm-overview.json panel "Stratum messages" target A',
      'stratum-farm-overview.json panel "Relays up" target A',
      'stratum-farm-overview.json panel "Pool reachable" target A',
      'stratum-farm-overview.json panel "Event loop lag" target A',
      'stratum-farm-overview.json panel "Reject ratio by reason" target B',
      'stratum-farm-overview.json panel "Share audit verdicts" target A',
      'stratum-worker.json panel "Hashrate (5m)" target A',
      'stratum-worker.json panel "Reject ratio (5m)" target A',
      'stratum-worker.json panel "Current difficulty" target A',
      'stratum-worker.json panel "Workers by hashrate" target A',
    ];
    expect(mustShow.filter((w) => empty.includes(w))).toEqual([]);
    // The list above must keep naming real panels.
    expect(mustShow.filter((w) => !exprs.some((e) => `${e.dashboard} ${e.where}` === w))).toEqual([]);
  });

  it('offers the miners\' workers in the worker dashboard\'s client_id variable', async () => {
    const p = prom as PrometheusProcess;
    const data = (await p.api(`/api/v1/label/client_id/values?match[]=${encodeURIComponent('stratum_submits_total')}`)) as string[];
    expect(data).toEqual(expect.arrayContaining(Object.keys(truth.workers)));
  });
});
