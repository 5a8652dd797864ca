/**
 * prometheus/alertmanager.yml checked by Alertmanager's own tools: amtool accepts it (and its
 * commented examples, uncommented), every alert of prometheus/rules/alerts.yml routes to the
 * receiver the issue names, every alert links to its runbook section, and a real Alertmanager
 * groups and inhibits as the file says.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startAlertWebhook, startAlertmanager, waitFor, type AlertWebhook, type AlertmanagerProcess, type PostableAlert } from '../src';
import { localAlertmanagerConfig, receiverNames, withExamplesUncommented } from './helpers/ops-alertmanager-config';
import { ALERTMANAGER_CONFIG, OPERATING_DOC, RULE_FILES } from './helpers/ops-paths';
import { requireTool, runAmtool } from './helpers/ops-promtool';
import { loadRules } from './helpers/ops-rules';

/** The alerts that wake someone up (issue 15); every other alert opens a ticket. */
const PAGE = new Set(['StratumRelayDown', 'StratumAllPoolsDown', 'StratumPoolRejectsValidShares']);

const rules = loadRules(RULE_FILES);

/** GitHub's anchor for a heading: lower case, spaces to '-', punctuation dropped. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('prometheus/alertmanager.yml checked by amtool', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'srl-ops-amtool-'));
  });
  afterAll(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('is a valid Alertmanager config', () => {
    const run = runAmtool(['check-config', ALERTMANAGER_CONFIG]);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('stays valid with its e-mail, Slack, PagerDuty and Telegram examples uncommented', () => {
    const text = withExamplesUncommented(readFileSync(ALERTMANAGER_CONFIG, 'utf8'));
    const doc = parse(text) as { receivers: Array<Record<string, unknown>> };
    const kinds = new Set(doc.receivers.flatMap((r) => Object.keys(r).filter((k) => k.endsWith('_configs'))));
    expect([...kinds].sort()).toEqual(['email_configs', 'pagerduty_configs', 'slack_configs', 'telegram_configs', 'webhook_configs']);
    const file = join(tmp, 'alertmanager-examples.yml');
    writeFileSync(file, text);
    const run = runAmtool(['check-config', file]);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('pages for StratumRelayDown, StratumAllPoolsDown and StratumPoolRejectsValidShares, and opens a ticket for every other alert', () => {
    expect(receiverNames().sort()).toEqual(['page', 'ticket']);
    expect(rules.alerts.length).toBeGreaterThan(0);
    const routed: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const a of rules.alerts) {
      const labels = { alertname: a.alert, ...a.labels, instance: 'relay-1:9333', pool_host: 'pool.example:3333' };
      const want = PAGE.has(a.alert) ? 'page' : 'ticket';
      const run = runAmtool([
        'config',
        'routes',
        'test',
        `--config.file=${ALERTMANAGER_CONFIG}`,
        `--verify.receivers=${want}`,
        ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
      ]);
      // amtool prints the receiver(s) and exits 1 when they are not the expected ones.
      routed[a.alert] = `${run.stdout.trim()} (exit ${String(run.status)})`;
      expected[a.alert] = `${want} (exit 0)`;
    }
    expect(routed).toEqual(expected);
    // The routes are by severity: the paging alerts are exactly the critical ones.
    expect(rules.alerts.filter((a) => a.labels['severity'] === 'critical').map((a) => a.alert).sort()).toEqual([...PAGE].sort());
  });

  it('gives every alert a runbook_url to its own section of docs/OPERATING.md "Alerts and what to do"', () => {
    const doc = readFileSync(OPERATING_DOC, 'utf8');
    const section = doc.slice(doc.indexOf('\n### Alerts and what to do\n'));
    expect(section.length).toBeGreaterThan(0);
    const end = section.indexOf('\n## ', 1);
    const headings = [...(end === -1 ? section : section.slice(0, end)).matchAll(/^#### (.+)$/gm)].map((m) => anchorOf(m[1] as string));
    const problems: string[] = [];
    for (const a of rules.alerts) {
      const url = a.annotations['runbook_url'] ?? '';
      if (url !== `docs/OPERATING.md#${anchorOf(a.alert)}`) problems.push(`${a.alert}: runbook_url "${url}"`);
      else if (!headings.includes(anchorOf(a.alert))) problems.push(`${a.alert}: no "#### ${a.alert}" under "Alerts and what to do"`);
    }
    expect(problems).toEqual([]);
  });
});

describe('a real Alertmanager with prometheus/alertmanager.yml', () => {
  let webhook: AlertWebhook | undefined;
  let am: AlertmanagerProcess | undefined;

  beforeAll(async () => {
    webhook = await startAlertWebhook();
    am = await startAlertmanager(localAlertmanagerConfig({ webhookUrl: webhook.url, groupWait: '1s', groupInterval: '1s' }), {
      bin: requireTool('alertmanager'),
    });
  }, 30_000);

  afterAll(async () => {
    await am?.stop();
    await webhook?.close();
  });

  const alert = (alertname: string, labels: Record<string, string>): PostableAlert => {
    const rule = rules.alerts.find((a) => a.alert === alertname);
    if (rule === undefined) throw new Error(`no alert ${alertname} in the rules`);
    return { labels: { alertname, ...rule.labels, ...labels }, annotations: { summary: `${alertname} test`, runbook_url: rule.annotations['runbook_url'] ?? '' } };
  };

  it('groups by instance and pool, and inhibits what StratumAllPoolsDown and StratumRelayDown explain', async () => {
    const m = am as AlertmanagerProcess;
    const w = webhook as AlertWebhook;
    await m.postAlerts([
      // Relay a lost every pool: its per-pool alerts and the workers' silence are that outage.
      alert('StratumAllPoolsDown', { job: 'stratum-relay', instance: 'a:9333' }),
      alert('StratumPoolDown', { job: 'stratum-relay', instance: 'a:9333', pool_host: 'pool.example' }),
      alert('StratumOnBackupPool', { job: 'stratum-relay', instance: 'a:9333', pool_host: 'backup.example' }),
      alert('StratumWorkerStoppedSubmitting', { client_id: 'rig-7' }),
      // Relay b lost its primary only: two alerts about that pool, one notification.
      alert('StratumPoolDown', { job: 'stratum-relay', instance: 'b:9333', pool_host: 'pool.example' }),
      alert('StratumUpstreamConnectFailures', { job: 'stratum-relay', instance: 'b:9333', pool_host: 'pool.example', reason: 'refused' }),
      // Relay c cannot be scraped: nothing else about c is believed.
      alert('StratumRelayDown', { job: 'stratum-relay', instance: 'c:9333' }),
      alert('StratumConnectionsNearLimit', { job: 'stratum-relay', instance: 'c:9333' }),
    ]);

    const names = (path: string): string[] =>
      w.notifications
        .filter((n) => n.path === path && n.status === 'firing')
        .flatMap((n) => n.alerts.map((a) => `${a.labels['alertname'] ?? ''}@${a.labels['instance'] ?? ''}`))
        .sort();
    const expectedPage = ['StratumAllPoolsDown@a:9333', 'StratumRelayDown@c:9333'];
    const expectedTicket = ['StratumPoolDown@b:9333', 'StratumUpstreamConnectFailures@b:9333'];
    await waitFor(() => names('/page').length >= 2 && names('/ticket').length >= 2, {
      timeoutMs: 20_000,
      what: 'the page and ticket notifications',
      context: () => `${JSON.stringify(w.notifications, null, 1)}\n${m.logs()}`,
    });

    // Alertmanager's own view: the other four are held, each by the alert that explains it.
    const inhibited = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${m.port}/api/v2/alerts?inhibited=true&active=false&silenced=false`, { signal: AbortSignal.timeout(5_000) });
        const all = (await res.json()) as Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>;
        const held = all.filter((a) => a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0);
        return held.length === 4 ? held.map((a) => `${a.labels['alertname'] ?? ''}@${a.labels['instance'] ?? a.labels['client_id'] ?? ''}`).sort() : undefined;
      },
      { timeoutMs: 10_000, what: 'four inhibited alerts in /api/v2/alerts' },
    );
    expect(inhibited).toEqual(['StratumConnectionsNearLimit@c:9333', 'StratumOnBackupPool@a:9333', 'StratumPoolDown@a:9333', 'StratumWorkerStoppedSubmitting@rig-7']);

    expect({ page: names('/page'), ticket: names('/ticket'), malformed: w.malformed }).toEqual({ page: expectedPage, ticket: expectedTicket, malformed: [] });
    // b's two alerts about pool.example came as one notification, grouped by instance and pool.
    const b = w.notifications.filter((n) => n.path === '/ticket');
    expect(b.map((n) => ({ receiver: n.receiver, groupLabels: n.groupLabels, alerts: n.alerts.length }))).toEqual([
      { receiver: 'ticket', groupLabels: { instance: 'b:9333', pool_host: 'pool.example' }, alerts: 2 },
    ]);
    // Every notification carries the runbook link of each alert.
    expect(w.notifications.flatMap((n) => n.alerts).filter((a) => !(a.annotations['runbook_url'] ?? '').startsWith('docs/OPERATING.md#'))).toEqual([]);
  }, 40_000);
});
