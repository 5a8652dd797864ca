/**
 * The alert path end to end, every piece real: pool-sim (a primary and a backup) ← the built
 * stratum-proxy (POOLS=primary,backup) ← miner-sim, scraped by a real `prometheus` that loads
 * the repository's rules and sends to a real Alertmanager configured by
 * prometheus/alertmanager.yml, whose webhook receivers post to an HTTP server run by this test.
 *
 * The primary dies: StratumPoolDown (primary down, miners failed over) and StratumOnBackupPool
 * (miners on the backup) must arrive at the `ticket` receiver; the primary comes back and the
 * miners fail back: both must arrive resolved. Only delays change for the test, never what is
 * checked: the rule file is generated from prometheus/rules/alerts.yml with every `for:` at 2s,
 * Prometheus scrapes and evaluates every second, and Alertmanager's group delays are 1s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim } from '@stratum-relay/pool-sim';
import {
  startAlertWebhook,
  startAlertmanager,
  startPrometheus,
  startProxyProcess,
  waitFor,
  type AlertWebhook,
  type AlertmanagerProcess,
  type PrometheusProcess,
  type ProxyProcess,
  type WebhookNotification,
} from '../src';
import { localAlertmanagerConfig } from './helpers/ops-alertmanager-config';
import { shortenedAlertRules } from './helpers/ops-fast-rules';
import { RULE_FILES } from './helpers/ops-paths';
import { localPrometheusConfig } from './helpers/ops-prometheus-config';
import { requireTool } from './helpers/ops-promtool';

const [RECORDING_RULES, ALERT_RULES] = RULE_FILES;
/** Alert delivery after the condition holds: 2s `for`, 1s scrape/evaluation, 1s group_wait, plus a loaded machine. */
const DELIVERY_MS = 20_000;

describe('the alert path: pool-sim ← proxy ← miner-sim, Prometheus, Alertmanager, a webhook', () => {
  let tmp = '';
  let primary: PoolSim | undefined;
  let backup: PoolSim | undefined;
  let primaryPort = 0;
  let primaryName = '';
  let backupName = '';
  let proxy: ProxyProcess | undefined;
  let webhook: AlertWebhook | undefined;
  let am: AlertmanagerProcess | undefined;
  let prom: PrometheusProcess | undefined;
  let farm: MinerFarm | undefined;

  const context = (): string =>
    `--- notifications ---\n${JSON.stringify(webhook?.notifications ?? [], null, 1)}\n--- alertmanager ---\n${am?.logs() ?? ''}\n` +
    `--- prometheus ---\n${prom?.logs() ?? ''}\n--- proxy ---\n${proxy?.logs() ?? ''}`;

  /** The ticket notifications that carry `alertname` for `pool_host` with `status`. */
  const delivered = (alertname: string, poolHost: string, status: 'firing' | 'resolved'): WebhookNotification[] =>
    (webhook?.notifications ?? []).filter((n) => n.alerts.some((a) => a.status === status && a.labels['alertname'] === alertname && a.labels['pool_host'] === poolHost));

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'srl-ops-alert-path-'));
    const alertRules = join(tmp, 'alerts.fast.yml');
    writeFileSync(alertRules, shortenedAlertRules(ALERT_RULES, '2s'));

    primary = new PoolSim({ host: '127.0.0.1', port: 0, profile: 'easy', logLevel: 'silent' });
    backup = new PoolSim({ host: '127.0.0.1', port: 0, profile: 'easy', logLevel: 'silent' });
    primaryPort = (await primary.listen()).port;
    const backupPort = (await backup.listen()).port;
    primaryName = `127.0.0.1:${primaryPort}`;
    backupName = `127.0.0.1:${backupPort}`;
    proxy = await startProxyProcess({
      pools: [`stratum+tcp://${primaryName}`, `stratum+tcp://${backupName}`],
      env: { POOL_PROBE_INTERVAL_MS: '250', FAILBACK_DELAY_MS: '1000', FAILBACK_RATE: '100', UPSTREAM_CONNECT_TIMEOUT_MS: '1000', DRAIN_TIMEOUT_MS: '2000' },
    });

    webhook = await startAlertWebhook();
    am = await startAlertmanager(localAlertmanagerConfig({ webhookUrl: webhook.url, groupWait: '1s', groupInterval: '1s' }), { bin: requireTool('alertmanager') });
    prom = await startPrometheus(
      localPrometheusConfig({
        proxyTarget: `127.0.0.1:${proxy.metricsPort}`,
        scrapeInterval: '1s',
        evaluationInterval: '1s',
        alertmanagerTarget: `127.0.0.1:${am.port}`,
        ruleFiles: [RECORDING_RULES, alertRules],
      }),
      { bin: requireTool('prometheus') },
    );
    const p = prom;
    // Prometheus has found its Alertmanager and sees both pools up.
    await waitFor(async () => ((await p.api('/api/v1/alertmanagers')) as { activeAlertmanagers: unknown[] }).activeAlertmanagers.length === 1, {
      timeoutMs: 15_000,
      what: 'Prometheus to discover the Alertmanager',
      context,
    });
    await waitFor(async () => (await p.query('sum(stratum_pool_up{job="stratum-relay"})'))[0]?.value === 2, {
      timeoutMs: 15_000,
      what: 'Prometheus to see both pools up',
      context,
    });

    farm = new MinerFarm({ url: `stratum+tcp://127.0.0.1:${proxy.proxyPort}`, miners: 2, user: 'alerts', seed: 15, backoffBaseMs: 100, backoffMaxMs: 500 });
    await farm.start();
    await waitFor(async () => (await p.query(`stratum_pool_miners{pool_host="${primaryName}"}`))[0]?.value === 2, {
      timeoutMs: 15_000,
      what: 'Prometheus to see both miners on the primary',
      context,
    });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await prom?.stop();
    await am?.stop();
    await webhook?.close();
    await proxy?.stop();
    await Promise.all([primary?.close(), backup?.close()]);
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('sends nothing about the pools while both are up', () => {
    expect((webhook as AlertWebhook).notifications.filter((n) => n.alerts.some((a) => /Pool/.test(a.labels['alertname'] ?? '')))).toEqual([]);
  });

  it('delivers StratumPoolDown and StratumOnBackupPool to the ticket receiver when the primary dies', async () => {
    await (primary as PoolSim).close();
    primary = undefined;
    await waitFor(() => delivered('StratumPoolDown', primaryName, 'firing').length > 0 && delivered('StratumOnBackupPool', backupName, 'firing').length > 0, {
      timeoutMs: DELIVERY_MS,
      what: 'StratumPoolDown and StratumOnBackupPool at the webhook',
      context,
    });
    const down = delivered('StratumPoolDown', primaryName, 'firing')[0] as WebhookNotification;
    const onBackup = delivered('StratumOnBackupPool', backupName, 'firing')[0] as WebhookNotification;
    // Warnings open a ticket; each pool is its own group (instance, pool_host).
    expect({ path: down.path, receiver: down.receiver, groupLabels: down.groupLabels }).toEqual({
      path: '/ticket',
      receiver: 'ticket',
      groupLabels: { instance: `127.0.0.1:${(proxy as ProxyProcess).metricsPort}`, pool_host: primaryName },
    });
    expect({ path: onBackup.path, receiver: onBackup.receiver, pool: onBackup.groupLabels['pool_host'] }).toEqual({ path: '/ticket', receiver: 'ticket', pool: backupName });
    // What the operator reads: the shipped annotations, rendered with the numbers.
    const alert = down.alerts.find((a) => a.labels['alertname'] === 'StratumPoolDown');
    expect(alert?.annotations).toEqual({
      summary: `Primary pool ${primaryName} is down for 127.0.0.1:${(proxy as ProxyProcess).metricsPort}; miners are on backups`,
      description: expect.stringContaining(`The primary pool ${primaryName} has failed its probes`),
      runbook_url: 'docs/OPERATING.md#stratumpooldown',
    });
    expect(onBackup.alerts.find((a) => a.labels['alertname'] === 'StratumOnBackupPool')?.annotations['summary']).toBe(
      `2 miners of 127.0.0.1:${(proxy as ProxyProcess).metricsPort} are on backup pool ${backupName}`,
    );
    // Nothing critical: one primary down is not a page.
    expect((webhook as AlertWebhook).notifications.filter((n) => n.path === '/page')).toEqual([]);
  }, DELIVERY_MS + 10_000);

  it('delivers both resolved when the primary comes back and the miners fail back', async () => {
    primary = new PoolSim({ host: '127.0.0.1', port: primaryPort, profile: 'easy', logLevel: 'silent' });
    await primary.listen();
    await waitFor(() => delivered('StratumPoolDown', primaryName, 'resolved').length > 0 && delivered('StratumOnBackupPool', backupName, 'resolved').length > 0, {
      timeoutMs: DELIVERY_MS,
      what: 'StratumPoolDown and StratumOnBackupPool resolved at the webhook',
      context,
    });
    const resolved = [...delivered('StratumPoolDown', primaryName, 'resolved'), ...delivered('StratumOnBackupPool', backupName, 'resolved')];
    expect(resolved.map((n) => n.path)).toEqual(['/ticket', '/ticket']);
    expect((webhook as AlertWebhook).malformed).toEqual([]);
  }, DELIVERY_MS + 10_000);
});
