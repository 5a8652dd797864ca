import { OPTIONS, type Config } from '@stratum-relay/config';
import { redactConfig } from '../status';
import type { BundlePart } from './process-view';

/** Options whose values never leave the process (the config package marks them), whatever they are called. */
const SECRET_KEYS: ReadonlySet<string> = new Set(OPTIONS.filter((o) => o.kind === 'secret' || o.kind === 'secret-file').map((o) => o.key));

/** The config without its secrets: the config package's secret options, and every key that looks like a credential (pool passwords). */
export function configWithoutSecrets(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!SECRET_KEYS.has(key)) out[key] = value;
  return redactConfig(out);
}

/**
 * What an operator attaches when taking a dispute to the pool: one JSON document with the
 * connection's details, its trace (password masked when it was stored), its worker's metric
 * samples, the proxy's version and its config without secrets.
 */
export interface DebugBundle {
  readonly kind: 'stratum-relay-debug-bundle';
  readonly version: string;
  readonly generatedAt: string;
  readonly connection: BundlePart['connection'];
  readonly trace: BundlePart['trace'];
  readonly metrics: BundlePart['metrics'];
  readonly config: Record<string, unknown>;
  /** WORKERS > 1: the worker process (node:cluster id) that relays the connection, or relayed it last. */
  readonly workerId?: number;
  /**
   * WORKERS > 1: workers that did not answer in time. The trace may lack lines they held (a
   * retiring worker keeps a handed-over connection's earlier lines until it exits).
   */
  readonly missingWorkers?: readonly number[];
}

export function buildDebugBundle(part: BundlePart, version: string, config: Config, now: number): DebugBundle {
  return {
    kind: 'stratum-relay-debug-bundle',
    version,
    generatedAt: new Date(now).toISOString(),
    connection: part.connection,
    trace: part.trace,
    metrics: part.metrics,
    config: configWithoutSecrets(config),
  };
}
