import type { ConfigKey } from './schema';

/**
 * How an option is written as text (CLI flag, environment variable):
 * - string: taken as is (must be non-empty).
 * - int: decimal digits only (an optional leading `-`); `12abc`, `1e3`, `0x10`, ` 1` and `` are rejected.
 * - bool: true/false/1/0/yes/no, any case.
 * - enum: one of the schema's values, exactly.
 * - int-or-none: an int, or `none` for "no limit" (null).
 */
export type OptionKind = 'string' | 'int' | 'bool' | 'enum' | 'int-or-none';

export interface OptionMeta {
  readonly key: ConfigKey;
  /** Environment variable name. */
  readonly env: string;
  /** Long CLI flag, kebab-case of the key. */
  readonly flag: string;
  readonly kind: OptionKind;
  /** Placeholder shown in `--help` after the flag. */
  readonly valueName: string;
  /** One line for `--help`. */
  readonly description: string;
}

/**
 * One row per config key: env name, CLI flag, kind, help line. The schema (schema.ts) owns
 * types, bounds and defaults; the loader and `--help` derive from both. Keyed by ConfigKey so
 * adding a key to the schema without describing it here is a type error.
 */
const TABLE: { readonly [K in ConfigKey]: Omit<OptionMeta, 'key'> } = {
  poolHost: {
    env: 'POOL_HOST',
    flag: '--pool-host',
    kind: 'string',
    valueName: '<host>',
    description: 'Upstream pool host name or IP address.',
  },
  poolPort: {
    env: 'POOL_PORT',
    flag: '--pool-port',
    kind: 'int',
    valueName: '<port>',
    description: 'Upstream pool TCP port.',
  },
  proxyHost: {
    env: 'PROXY_HOST',
    flag: '--proxy-host',
    kind: 'string',
    valueName: '<host>',
    description: 'Address the proxy listens on for miners.',
  },
  proxyPort: {
    env: 'PROXY_PORT',
    flag: '--proxy-port',
    kind: 'int',
    valueName: '<port>',
    description: 'TCP port the proxy listens on for miners (0 = ephemeral).',
  },
  metricsHost: {
    env: 'METRICS_HOST',
    flag: '--metrics-host',
    kind: 'string',
    valueName: '<host>',
    description: 'Address of the HTTP server for /metrics, /healthz, /readyz.',
  },
  metricsPort: {
    env: 'METRICS_PORT',
    flag: '--metrics-port',
    kind: 'int',
    valueName: '<port>',
    description: 'Port of the HTTP server for /metrics, /healthz, /readyz (0 = ephemeral).',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: '--log-level',
    kind: 'enum',
    valueName: '<level>',
    description: 'Lowest level written to the log.',
  },
  logFormat: {
    env: 'LOG_FORMAT',
    flag: '--log-format',
    kind: 'enum',
    valueName: '<format>',
    description: 'json: one JSON object per line; pretty: human-readable.',
  },
  maxConnections: {
    env: 'MAX_CONNECTIONS',
    flag: '--max-connections',
    kind: 'int',
    valueName: '<n>',
    description: 'Miner connections accepted at once; more are refused.',
  },
  idleTimeoutMs: {
    env: 'IDLE_TIMEOUT_MS',
    flag: '--idle-timeout-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'Close a connection after this long without bytes either way (0 = never).',
  },
  upstreamConnectTimeoutMs: {
    env: 'UPSTREAM_CONNECT_TIMEOUT_MS',
    flag: '--upstream-connect-timeout-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'Give up connecting to the pool after this long.',
  },
  maxLineBytes: {
    env: 'MAX_LINE_BYTES',
    flag: '--max-line-bytes',
    kind: 'int',
    valueName: '<bytes>',
    description: 'Longest Stratum line the observer parses (longer lines are still relayed).',
  },
  preConnectBufferBytes: {
    env: 'PRE_CONNECT_BUFFER_BYTES',
    flag: '--pre-connect-buffer-bytes',
    kind: 'int',
    valueName: '<bytes>',
    description: 'Miner bytes held while the pool connection opens; at this size the proxy stops reading from the miner until the pool is connected.',
  },
  drainTimeoutMs: {
    env: 'DRAIN_TIMEOUT_MS',
    flag: '--drain-timeout-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'On SIGINT/SIGTERM, how long open connections may continue before they are closed.',
  },
  submitTimeoutMs: {
    env: 'SUBMIT_TIMEOUT_MS',
    flag: '--submit-timeout-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'A mining.submit without a pool answer after this long counts as timed out.',
  },
  maxClientIds: {
    env: 'MAX_CLIENT_IDS',
    flag: '--max-client-ids',
    kind: 'int-or-none',
    valueName: '<n|none>',
    description: 'Distinct worker names used as metric labels; later ones share client_id="other" (none = no cap, 0 = all "other").',
  },
  shareAudit: {
    env: 'SHARE_AUDIT',
    flag: '--share-audit',
    kind: 'bool',
    valueName: '<bool>',
    description: 'Check submitted shares against the job and difficulty (audit metrics).',
  },
};

/** Every option, in schema order. */
export const OPTIONS: readonly OptionMeta[] = Object.freeze(
  (Object.keys(TABLE) as ConfigKey[]).map((key) => Object.freeze({ key, ...TABLE[key] })),
);

export const OPTIONS_BY_KEY: ReadonlyMap<ConfigKey, OptionMeta> = new Map(OPTIONS.map((o) => [o.key, o]));

/** The option that names a JSON config file; not part of Config itself. */
export const CONFIG_FILE_FLAG = '--config';
export const CONFIG_FILE_ENV = 'CONFIG_FILE';

/** Describe an option to an operator: `--proxy-port / PROXY_PORT`. */
export function optionSources(key: ConfigKey): string {
  const meta = OPTIONS_BY_KEY.get(key);
  return meta ? `${meta.env} / ${meta.flag}` : key;
}
