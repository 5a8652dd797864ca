import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { announcedTypeMismatches, withAnnounced } from './helpers/ops-announced-metrics';
import { allPanels, dashboardExprs, dashboardLogQueries, loadDashboards, type DashboardExpr } from './helpers/ops-dashboards';
import { parseExposition, scrapeRealProxyMetrics, type ExportedMetrics } from './helpers/ops-exported-metrics';
import { DASHBOARDS_DIR, RULE_FILES } from './helpers/ops-paths';
import { promqlOfVariableQuery, seriesNamesIn, substituteGrafanaVariables } from './helpers/ops-promql';
import { runPromtool } from './helpers/ops-promtool';
import { loadRules } from './helpers/ops-rules';

/** Series Prometheus itself creates: they are never on the proxy's /metrics page. */
const PROMETHEUS_BUILTINS = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added']);

const dashboards = loadDashboards(DASHBOARDS_DIR);
const exprs: DashboardExpr[] = dashboards.flatMap(dashboardExprs);
const rules = loadRules(RULE_FILES);
const recorded = new Set(rules.recording.map((r) => r.record));

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

describe('PromQL series-name extraction used by these checks', () => {
  it.each([
    ['sum by (pool_host) (rate(stratum_accepted_difficulty_total{client_id=~"$client_id"}[$__rate_interval])) * 4294967296', ['stratum_accepted_difficulty_total']],
    ['histogram_quantile(0.99, sum by (le, method) (rate(stratum_request_response_seconds_bucket{method="mining.submit"}[5m])))', ['stratum_request_response_seconds_bucket']],
    ['increase(stratum_submits_total[1h] offset 15m) > 0 unless on (client_id) stratum:worker_shares:rate5m', ['stratum_submits_total', 'stratum:worker_shares:rate5m']],
    ['(a_total or vector(0)) / ignoring (reason) group_left b:c:rate5m', ['a_total', 'b:c:rate5m']],
    ['sum(x) without (instance) / on(job) count(y) by (job)', ['x', 'y']],
    ['label_replace(up{job="a"}, "dst", "$1", "src", "(.*)") > bool 1e3', ['up']],
    ['max_over_time(stratum_pool_up[10m:1m])', ['stratum_pool_up']],
  ])('finds the series names in %s', (expr, names) => {
    expect(seriesNamesIn(expr)).toEqual(names);
  });

  it('reads the selector out of a Grafana label_values() variable query', () => {
    expect(promqlOfVariableQuery('label_values(stratum_submits_total, client_id)')).toBe('stratum_submits_total');
    expect(promqlOfVariableQuery('label_values(client_id)')).toBeNull();
    expect(promqlOfVariableQuery('label_values(stratum_submits_total{client_id!="unknown"}, client_id)')).toBe('stratum_submits_total{client_id!="unknown"}');
  });
});

describe('grafana/dashboards', () => {
  /** The real proxy's /metrics page. */
  let live: ExportedMetrics;
  /** That, plus the announced families it does not export yet (helpers/ops-announced-metrics.ts). */
  let exported: ExportedMetrics;
  let tmp = '';

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'srl-ops-dash-'));
    live = parseExposition(await scrapeRealProxyMetrics());
    exported = withAnnounced(live);
  });
  afterAll(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  const known = (name: string): boolean => exported.seriesNames.has(name) || recorded.has(name) || PROMETHEUS_BUILTINS.has(name);

  it('ships the farm overview and the per-worker dashboard', () => {
    expect(dashboards.map((d) => d.file)).toEqual(expect.arrayContaining(['stratum-farm-overview.json', 'stratum-worker.json']));
  });

  it('gives every dashboard a unique uid, a title and a Prometheus datasource variable used by every query', () => {
    const problems: string[] = [];
    const uids = new Set<string>();
    for (const d of dashboards) {
      const uid = d.json['uid'];
      if (typeof uid !== 'string' || uid === '' || uids.has(uid)) problems.push(`${d.file}: missing or duplicate uid`);
      else uids.add(uid);
      if (typeof d.json['title'] !== 'string' || d.json['title'] === '') problems.push(`${d.file}: no title`);
      const vars = isObject(d.json['templating']) && Array.isArray(d.json['templating']['list']) ? d.json['templating']['list'].filter(isObject) : [];
      if (!vars.some((v) => v['name'] === 'DS_PROMETHEUS' && v['type'] === 'datasource' && v['query'] === 'prometheus')) {
        problems.push(`${d.file}: no datasource variable DS_PROMETHEUS`);
      }
      for (const p of allPanels(d.json)) {
        if (p['type'] === 'row') continue;
        const ds = p['datasource'];
        // Log panels read Loki through their own variable; everything else reads Prometheus.
        const lokiOk = p['type'] === 'logs' && isObject(ds) && ds['uid'] === '${DS_LOKI}' && vars.some((v) => v['name'] === 'DS_LOKI' && v['type'] === 'datasource' && v['query'] === 'loki');
        if (!lokiOk && (!isObject(ds) || ds['uid'] !== '${DS_PROMETHEUS}')) problems.push(`${d.file}: panel "${String(p['title'])}" does not use \${DS_PROMETHEUS}`);
        const targets = Array.isArray(p['targets']) ? p['targets'] : [];
        if (targets.length === 0) problems.push(`${d.file}: panel "${String(p['title'])}" has no query`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lets the worker dashboard pick workers from label_values(stratum_submits_total, client_id), without the pre-authorize "unknown"', () => {
    const worker = dashboards.find((d) => d.file === 'stratum-worker.json');
    const vars = worker && isObject(worker.json['templating']) && Array.isArray(worker.json['templating']['list']) ? worker.json['templating']['list'].filter(isObject) : [];
    const clientId = vars.find((v) => v['name'] === 'client_id');
    const query = clientId && isObject(clientId['query']) ? clientId['query']['query'] : clientId?.['query'];
    // client_id="unknown" holds what connections send before mining.authorize names a worker (it
    // keeps the byte totals true); it is no worker to pick. "other" (past MAX_CLIENT_IDS) stays.
    expect(query).toBe('label_values(stratum_submits_total{client_id!="unknown"}, client_id)');
    expect(clientId?.['definition']).toBe(query);
    const perWorker = exprs.filter((e) => e.dashboard === 'stratum-worker.json' && e.where.startsWith('panel') && e.expr.includes('$client_id'));
    expect(perWorker.length).toBeGreaterThan(5);
  });

  it('shows the picked workers\' log lines from Loki on the worker dashboard, selected by Promtail\'s labels and filtered by client_id', () => {
    const worker = dashboards.find((d) => d.file === 'stratum-worker.json');
    if (worker === undefined) throw new Error('no stratum-worker.json');
    const logs = allPanels(worker.json).filter((p) => p['type'] === 'logs');
    expect(logs.map((p) => p['title'])).toEqual(['Logs of the selected workers']);
    const [query] = dashboardLogQueries(worker);
    const expr = query?.expr ?? '';
    // The stream selector uses only labels docker/promtail.yml sets (job, instance, level); the
    // worker is a field of the JSON line, filtered after `| json` with the dashboard's picker.
    const selector = /^\{([^}]*)\}/.exec(expr)?.[1] ?? '';
    const labels = [...selector.matchAll(/(\w+)\s*=~?/g)].map((m) => m[1]);
    expect(labels.filter((l) => !['job', 'instance', 'level'].includes(l ?? ''))).toEqual([]);
    expect(labels).toContain('job');
    expect(expr).toMatch(/\| json \|.*client_id=~"\$\{client_id:regex\}"/);
    // "Workers by hashrate" links each worker to its log lines.
    const table = allPanels(worker.json).find((p) => p['title'] === 'Workers by hashrate');
    const logsId = logs[0]?.['id'];
    expect(JSON.stringify(table?.['fieldConfig'])).toContain(`var-client_id=\${__value.raw}&viewPanel=${String(logsId)}`);
  });

  it('holds only PromQL that promtool accepts', () => {
    expect(exprs.length).toBeGreaterThan(20);
    const file = join(tmp, 'dashboard-exprs.yml');
    const rulesDoc = {
      groups: [{ name: 'dashboard-exprs', rules: exprs.map((e, i) => ({ record: `dashboard:expr_${i}:check`, expr: substituteGrafanaVariables(e.expr) })) }],
    };
    writeFileSync(file, stringify(rulesDoc));
    const run = runPromtool(['check', 'rules', file]);
    // promtool names the failing rule by index; map it back to the panel for the failure message.
    const where = exprs.map((e, i) => `#${i}: ${e.dashboard} ${e.where}: ${e.expr}`).join('\n');
    expect({ status: run.status, output: run.status === 0 ? 'ok' : `${run.output}\n${where}` }).toEqual({ status: 0, output: 'ok' });
  });

  it('reads only series the real proxy exports (or is announced to), recording rules define, or Prometheus creates', () => {
    const unknown = exprs.flatMap((e) => seriesNamesIn(e.expr).filter((n) => !known(n)).map((n) => `${n} (${e.dashboard} ${e.where})`));
    expect(unknown).toEqual([]);
  });

  it('uses only recording rule names defined in prometheus/rules', () => {
    const undefinedRules = exprs.flatMap((e) => seriesNamesIn(e.expr).filter((n) => n.includes(':') && !recorded.has(n)).map((n) => `${n} (${e.dashboard} ${e.where})`));
    expect(undefinedRules).toEqual([]);
  });

  it('has recording and alerting rules that read only series the real proxy exports or other rules record', () => {
    const all = [...rules.recording.map((r) => ({ name: r.record, expr: r.expr })), ...rules.alerts.map((a) => ({ name: a.alert, expr: a.expr }))];
    const unknown = all.flatMap((r) => seriesNamesIn(r.expr).filter((n) => !known(n)).map((n) => `${n} (in ${r.name})`));
    expect(unknown).toEqual([]);
  });

  it('announces metrics not yet exported with the type the proxy later exports them with', () => {
    expect(announcedTypeMismatches(live)).toEqual([]);
  });

  it('shows every stratum_ metric family the proxy exports, or is announced to, somewhere in the dashboards', () => {
    const used = new Set(exprs.flatMap((e) => seriesNamesIn(e.expr)));
    // A recording rule used by a dashboard shows the series it reads, and rules build on rules.
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of rules.recording) {
        if (!used.has(r.record)) continue;
        for (const n of seriesNamesIn(r.expr)) {
          if (!used.has(n)) {
            used.add(n);
            grew = true;
          }
        }
      }
    }
    const shown = (family: string, type: string): boolean =>
      type === 'histogram' ? ['_bucket', '_sum', '_count'].some((s) => used.has(family + s)) : used.has(family);
    const hidden = [...exported.families].filter(([family, type]) => family.startsWith('stratum_') && !shown(family, type)).map(([f]) => f);
    expect(hidden).toEqual([]);
  });

  it('gives hashrate panels the hash/s unit and ratio panels the percent unit', () => {
    const problems: string[] = [];
    for (const d of dashboards) {
      for (const p of allPanels(d.json)) {
        // Log lines have no unit.
        if (p['type'] === 'row' || p['type'] === 'logs' || !Array.isArray(p['targets'])) continue;
        const unit = isObject(p['fieldConfig']) && isObject(p['fieldConfig']['defaults']) ? p['fieldConfig']['defaults']['unit'] : undefined;
        const text = p['targets'].filter(isObject).map((t) => String(t['expr'] ?? '')).join('\n');
        if (unit === undefined) problems.push(`${d.file} "${String(p['title'])}": no unit`);
        if (/hashrate|4294967296/.test(text) && unit !== 'Hs') problems.push(`${d.file} "${String(p['title'])}": hashrate in unit ${String(unit)}`);
        if (/_ratio:/.test(text) && unit !== 'percentunit') problems.push(`${d.file} "${String(p['title'])}": ratio in unit ${String(unit)}`);
        if (/_seconds_bucket/.test(text) && /histogram_quantile/.test(text) && unit !== 's') problems.push(`${d.file} "${String(p['title'])}": latency in unit ${String(unit)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
