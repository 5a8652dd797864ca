import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROMETHEUS_DIR } from './ops-paths';

export interface LocalPrometheusConfigOptions {
  /** host:port of the proxy's metrics server. */
  readonly proxyTarget: string;
  /** e.g. '1s' so a test sees data quickly. */
  readonly scrapeInterval: string;
  readonly evaluationInterval: string;
  /**
   * host:port of an Alertmanager to send alerts to (the `alerting:` block's target); absent =
   * no Alertmanager (the block is dropped, so no alert goes to a compose hostname).
   */
  readonly alertmanagerTarget?: string;
  /** Rule files to load instead of prometheus.yml's (absolute paths; e.g. generated ones). */
  readonly ruleFiles?: readonly string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The repository's prometheus/prometheus.yml rewritten for a local run: the stratum-relay job
 * scrapes `proxyTarget`, intervals are shortened, rule files become absolute paths (the config
 * is written to a temp dir), alerts go to `alertmanagerTarget` (or nowhere), and other jobs,
 * which point at compose hostnames, are dropped.
 * Deriving it from the real file keeps the tested config and the shipped one the same.
 */
export function localPrometheusConfig(opts: LocalPrometheusConfigOptions): string {
  const file = join(PROMETHEUS_DIR, 'prometheus.yml');
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  if (!isObject(doc)) throw new Error(`${file}: not a Prometheus config`);
  const global = isObject(doc['global']) ? doc['global'] : {};
  global['scrape_interval'] = opts.scrapeInterval;
  global['evaluation_interval'] = opts.evaluationInterval;
  // scrape_timeout may not exceed scrape_interval.
  global['scrape_timeout'] = opts.scrapeInterval;
  doc['global'] = global;

  const ruleFiles = Array.isArray(doc['rule_files']) ? doc['rule_files'].map(String) : [];
  if (ruleFiles.length === 0) throw new Error(`${file}: no rule_files`);
  doc['rule_files'] = opts.ruleFiles !== undefined ? [...opts.ruleFiles] : ruleFiles.map((f) => (isAbsolute(f) ? f : resolve(PROMETHEUS_DIR, f)));

  const alerting = isObject(doc['alerting']) ? doc['alerting'] : null;
  const managers = alerting !== null && Array.isArray(alerting['alertmanagers']) ? alerting['alertmanagers'].filter(isObject) : [];
  if (opts.alertmanagerTarget === undefined) delete doc['alerting'];
  else {
    // The shipped block's settings (timeouts, api version), with the test's Alertmanager as target.
    const manager = managers[0];
    if (alerting === null || manager === undefined) throw new Error(`${file}: no alerting.alertmanagers block to point at ${opts.alertmanagerTarget}`);
    manager['static_configs'] = [{ targets: [opts.alertmanagerTarget] }];
    alerting['alertmanagers'] = [manager];
  }

  const jobs = Array.isArray(doc['scrape_configs']) ? doc['scrape_configs'].filter(isObject) : [];
  const relay = jobs.find((j) => j['job_name'] === 'stratum-relay');
  if (relay === undefined) throw new Error(`${file}: no scrape job named stratum-relay`);
  relay['static_configs'] = [{ targets: [opts.proxyTarget] }];
  doc['scrape_configs'] = [relay];
  return stringify(doc);
}
