import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promqlOfVariableQuery } from './ops-promql';

/** One PromQL expression found in a dashboard, with where it was found (for failure messages). */
export interface DashboardExpr {
  readonly dashboard: string;
  readonly where: string;
  readonly expr: string;
}

export interface LoadedDashboard {
  readonly file: string;
  readonly json: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function loadDashboards(dir: string): LoadedDashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const json: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (!isObject(json)) throw new Error(`${file}: a dashboard must be a JSON object`);
      return { file, json };
    });
}

/** Every panel, including those nested in collapsed rows (`row.panels`) and library-free nesting. */
export function allPanels(dashboard: Json): Json[] {
  const out: Json[] = [];
  const visit = (panels: unknown[]): void => {
    for (const p of panels) {
      if (!isObject(p)) continue;
      out.push(p);
      visit(asArray(p['panels']));
    }
  };
  visit(asArray(dashboard['panels']));
  // Pre-schema-16 dashboards kept panels under rows[].panels.
  for (const r of asArray(dashboard['rows'])) if (isObject(r)) visit(asArray(r['panels']));
  return out;
}

/** A panel that reads Loki (LogQL, not PromQL): the worker dashboard's log lines. */
export function isLokiPanel(panel: Record<string, unknown>): boolean {
  const ds = panel['datasource'];
  return isObject(ds) && ds['type'] === 'loki';
}

/** The LogQL queries of the Loki panels. */
export function dashboardLogQueries(d: LoadedDashboard): DashboardExpr[] {
  const out: DashboardExpr[] = [];
  for (const panel of allPanels(d.json).filter(isLokiPanel)) {
    for (const t of asArray(panel['targets'])) {
      if (isObject(t) && typeof t['expr'] === 'string') out.push({ dashboard: d.file, where: `panel "${String(panel['title'])}" target ${String(t['refId'])}`, expr: t['expr'] });
    }
  }
  return out;
}

/** PromQL of the Prometheus panels' targets, annotation queries and templating queries. */
export function dashboardExprs(d: LoadedDashboard): DashboardExpr[] {
  const out: DashboardExpr[] = [];
  for (const panel of allPanels(d.json)) {
    if (isLokiPanel(panel)) continue;
    const title = typeof panel['title'] === 'string' ? panel['title'] : `panel ${String(panel['id'])}`;
    for (const t of asArray(panel['targets'])) {
      if (isObject(t) && typeof t['expr'] === 'string') {
        out.push({ dashboard: d.file, where: `panel "${title}" target ${String(t['refId'])}`, expr: t['expr'] });
      }
    }
  }
  const annotations = isObject(d.json['annotations']) ? asArray(d.json['annotations']['list']) : [];
  for (const a of annotations) {
    if (isObject(a) && typeof a['expr'] === 'string') {
      out.push({ dashboard: d.file, where: `annotation "${String(a['name'])}"`, expr: a['expr'] });
    }
  }
  const variables = isObject(d.json['templating']) ? asArray(d.json['templating']['list']) : [];
  for (const v of variables) {
    if (!isObject(v) || v['type'] !== 'query') continue;
    const q = v['query'];
    const text = typeof q === 'string' ? q : isObject(q) && typeof q['query'] === 'string' ? q['query'] : null;
    if (text === null) continue;
    const expr = promqlOfVariableQuery(text);
    if (expr !== null) out.push({ dashboard: d.file, where: `variable $${String(v['name'])}`, expr });
  }
  return out;
}
