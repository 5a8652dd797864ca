import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PROMETHEUS_DIR, PROMETHEUS_TESTS_DIR, RULE_FILES } from './helpers/ops-paths';
import { localPrometheusConfig } from './helpers/ops-prometheus-config';
import { runPromtool } from './helpers/ops-promtool';
import { loadRules, loadRuleTests } from './helpers/ops-rules';

const testFiles = readdirSync(PROMETHEUS_TESTS_DIR)
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort()
  .map((f) => join(PROMETHEUS_TESTS_DIR, f));
const rules = loadRules(RULE_FILES);
const ruleTests = loadRuleTests(testFiles);

describe('prometheus/ checked by promtool', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'srl-ops-promtool-'));
  });
  afterAll(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('accepts prometheus.yml together with the rule files it loads', () => {
    const run = runPromtool(['check', 'config', 'prometheus.yml'], PROMETHEUS_DIR);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('accepts every rule file', () => {
    const run = runPromtool(['check', 'rules', ...RULE_FILES]);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('passes the unit tests of the recording and alerting rules', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const run = runPromtool(['test', 'rules', ...testFiles.map((f) => relative(PROMETHEUS_DIR, f))], PROMETHEUS_DIR);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.not.stringContaining('FAILED') });
  });

  it('accepts the local config the Prometheus integration test generates from prometheus.yml', () => {
    const file = join(tmp, 'prometheus.yml');
    writeFileSync(file, localPrometheusConfig({ proxyTarget: '127.0.0.1:9333', scrapeInterval: '1s', evaluationInterval: '1s' }));
    const run = runPromtool(['check', 'config', file]);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('has a unit test where each alert fires and one where it stays quiet', () => {
    expect(rules.alerts.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const { alert } of rules.alerts) {
      const cases = ruleTests.alertCases.filter((c) => c.alertname === alert);
      if (!cases.some((c) => c.expectsFiring)) missing.push(`${alert}: no case where it fires`);
      if (!cases.some((c) => !c.expectsFiring)) missing.push(`${alert}: no case where it stays quiet`);
    }
    const unknown = ruleTests.alertCases.filter((c) => !rules.alerts.some((a) => a.alert === c.alertname));
    expect({ missing, unknown: unknown.map((c) => `${c.alertname} in ${c.file}`) }).toEqual({ missing: [], unknown: [] });
  });

  it('pins the value of every recording rule in a unit test', () => {
    const untested = rules.recording
      .map((r) => r.record)
      .filter((name) => !ruleTests.exprs.some((e) => new RegExp(`(^|[^A-Za-z0-9_:])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_:])`).test(e)));
    expect(untested).toEqual([]);
  });

  it('gives every alert a known severity, a summary and a description that says what to do', () => {
    const problems: string[] = [];
    for (const a of rules.alerts) {
      if (!['critical', 'warning', 'info'].includes(a.labels['severity'] ?? '')) problems.push(`${a.alert}: severity "${a.labels['severity']}"`);
      if ((a.annotations['summary'] ?? '').trim() === '') problems.push(`${a.alert}: no summary`);
      // A description that only restates the summary does not help at 3 a.m.
      if ((a.annotations['description'] ?? '').trim().length < 80) problems.push(`${a.alert}: description too short to guide the operator`);
    }
    expect(problems).toEqual([]);
  });

  it('uses each recording rule and alert name once', () => {
    const names = [...rules.recording.map((r) => r.record), ...rules.alerts.map((a) => a.alert)];
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
