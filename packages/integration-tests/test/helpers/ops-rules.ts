import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface RecordingRule {
  readonly file: string;
  readonly record: string;
  readonly expr: string;
}

export interface AlertRule {
  readonly file: string;
  readonly alert: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RuleSet {
  readonly recording: RecordingRule[];
  readonly alerts: AlertRule[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const stringMap = (v: unknown): Record<string, string> =>
  isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, val]) => [k, String(val)])) : {};

/** Reads Prometheus rule files (the `groups:` format). */
export function loadRules(files: readonly string[]): RuleSet {
  const recording: RecordingRule[] = [];
  const alerts: AlertRule[] = [];
  for (const file of files) {
    const doc: unknown = parse(readFileSync(file, 'utf8'));
    if (!isObject(doc)) throw new Error(`${file}: not a rule file`);
    for (const group of asArray(doc['groups'])) {
      if (!isObject(group)) continue;
      for (const rule of asArray(group['rules'])) {
        if (!isObject(rule)) continue;
        const expr = String(rule['expr'] ?? '');
        if (typeof rule['record'] === 'string') recording.push({ file, record: rule['record'], expr });
        if (typeof rule['alert'] === 'string') {
          alerts.push({ file, alert: rule['alert'], expr, labels: stringMap(rule['labels']), annotations: stringMap(rule['annotations']) });
        }
      }
    }
  }
  return { recording, alerts };
}

export interface AlertTestCase {
  readonly file: string;
  readonly alertname: string;
  readonly evalTime: string;
  readonly expectsFiring: boolean;
}

/** Every alert_rule_test case and every promql_expr_test expression in promtool unit-test files. */
export function loadRuleTests(files: readonly string[]): { alertCases: AlertTestCase[]; exprs: string[] } {
  const alertCases: AlertTestCase[] = [];
  const exprs: string[] = [];
  for (const file of files) {
    const doc: unknown = parse(readFileSync(file, 'utf8'));
    if (!isObject(doc)) throw new Error(`${file}: not a promtool test file`);
    for (const t of asArray(doc['tests'])) {
      if (!isObject(t)) continue;
      for (const c of asArray(t['alert_rule_test'])) {
        if (!isObject(c)) continue;
        alertCases.push({
          file,
          alertname: String(c['alertname']),
          evalTime: String(c['eval_time']),
          expectsFiring: asArray(c['exp_alerts']).length > 0,
        });
      }
      for (const c of asArray(t['promql_expr_test'])) {
        if (isObject(c) && typeof c['expr'] === 'string') exprs.push(c['expr']);
      }
    }
  }
  return { alertCases, exprs };
}
