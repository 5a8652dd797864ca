import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ALERTMANAGER_CONFIG } from './ops-paths';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

export interface LocalAlertmanagerConfigOptions {
  /** `http://127.0.0.1:<port>` of the test's webhook; each receiver keeps the path of its url. */
  readonly webhookUrl: string;
  /** Replace every route's group_wait / group_interval (e.g. '1s'), so a test hears within seconds. */
  readonly groupWait: string;
  readonly groupInterval: string;
}

/**
 * The repository's prometheus/alertmanager.yml for a local run: every webhook receiver posts to
 * the test's webhook (same path: `/page` stays `/page`), and every route's grouping delays are
 * shortened. Routes, matchers, grouping labels and inhibition rules stay as shipped: they are
 * what the test checks.
 */
export function localAlertmanagerConfig(opts: LocalAlertmanagerConfigOptions): string {
  const doc: unknown = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8'));
  if (!isObject(doc) || !isObject(doc['route'])) throw new Error(`${ALERTMANAGER_CONFIG}: not an Alertmanager config with a route`);
  const shorten = (route: Json): void => {
    route['group_wait'] = opts.groupWait;
    route['group_interval'] = opts.groupInterval;
    for (const child of objects(route['routes'])) shorten(child);
  };
  shorten(doc['route']);
  let webhooks = 0;
  for (const receiver of objects(doc['receivers'])) {
    for (const hook of objects(receiver['webhook_configs'])) {
      hook['url'] = `${opts.webhookUrl}${new URL(String(hook['url'])).pathname}`;
      webhooks++;
    }
  }
  if (webhooks === 0) throw new Error(`${ALERTMANAGER_CONFIG}: no webhook receiver to point at the test`);
  return stringify(doc);
}

/**
 * The config with its commented receiver examples (e-mail, Slack, PagerDuty, Telegram, SMTP
 * settings) switched on: every comment indented under a key whose text reads as YAML (`key:` or
 * `- `) is uncommented. Prose comments and the file's header (column 0) stay comments. So
 * `amtool check-config` proves an operator can uncomment them as they are.
 */
export function withExamplesUncommented(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s{2,})# ( *)(\S.*)$/.exec(line);
      if (m === null) return line;
      const [, indent = '', inner = '', rest = ''] = m;
      return /^(- |[A-Za-z_]+:( |$))/.test(rest) ? `${indent}${inner}${rest}` : line;
    })
    .join('\n');
}

/** The receiver names of prometheus/alertmanager.yml. */
export function receiverNames(): string[] {
  const doc: unknown = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8'));
  return isObject(doc) ? objects(doc['receivers']).map((r) => String(r['name'])) : [];
}
