import type { ConfigKey } from './schema';

/**
 * How an option is written as text (CLI flag, environment variable):
 * - string: taken as is (must be non-empty).
 * - int: decimal digits only (an optional leading `-`); `12abc`, `1e3`, `0x10`, ` 1` and `` are rejected.
 * - number: like int, with an optional fraction (`0.5`); no exponent.
 * - bool: true/false/1/0/yes/no, any case.
 * - enum: one of the schema's values, exactly.
 * - int-or-none, number-or-none: as above, or `none`.
 * - path: a file that must exist and be readable when given (its content is not parsed here).
 * - secret: a string never shown in any message.
 * - secret-file: a path whose file holds a secret (checked non-empty; never shown either).
 * - pools: comma-separated pool URLs; in the file an array (pool-list.ts).
 * - cidrs: comma-separated addresses/CIDR ranges; in the file an array (cidr-list.ts).
 * - count-or-auto: like int, or `auto` (any case; "auto" in the file).
 * - share-audit: all, rejected[:<fraction>], sample:<fraction> or off, or a bool word (share-audit.ts);
 *   in the file also true/false. Like bool, a bare flag means all and --no-<flag> off.
 * Any option whose schema allows null (its default is none) takes `none`, or null in the file.
 */
export type OptionKind =
  | 'string'
  | 'int'
  | 'number'
  | 'bool'
  | 'enum'
  | 'int-or-none'
  | 'number-or-none'
  | 'path'
  | 'secret'
  | 'secret-file'
  | 'pools'
  | 'cidrs'
  | 'count-or-auto'
  | 'share-audit';

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
  /** For kinds that take `none`: what it means, ending "expected …, or none <this>" ("for no limit"). */
  readonly none?: string;
  /** For kind count-or-auto: what `auto` means, ending "expected …, or auto <this>". */
  readonly auto?: string;
  /** For an option without a default, what `--help` shows instead of "required". */
  readonly required?: string;
}

/**
 * One row per config key: env name, CLI flag, kind, help line. The schema (schema.ts) owns
 * types, bounds and defaults; the loader and `--help` derive from both. Keyed by ConfigKey so
 * adding a key to the schema without describing it here is a type error.
 */
const TABLE: { readonly [K in ConfigKey]: Omit<OptionMeta, 'key'> } = {
  pools: {
    env: 'POOLS',
    flag: '--pools',
    kind: 'pools',
    valueName: '<url,...>',
    description: 'Upstream pools, primary first: stratum+tcp://[account[:password]@]host:port, or stratum+ssl:// / stratum+tls:// for TLS; comma-separated (in the config file an array of URLs or {"url", "name"} objects). New miners go to the first pool that is up; an account[:password] is sent to that pool instead of the account each miner sends. Use this or --pool-host.',
    required: 'required unless --pool-host',
  },
  poolHost: {
    env: 'POOL_HOST',
    flag: '--pool-host',
    kind: 'string',
    valueName: '<host>',
    description: 'One-pool shortcut for --pools: the pool host name or IP address, plain TCP (not with --pools).',
    required: 'required unless --pools',
  },
  poolPort: {
    env: 'POOL_PORT',
    flag: '--pool-port',
    kind: 'int',
    valueName: '<port>',
    description: 'Port of the --pool-host shortcut (not with --pools).',
  },
  poolProbeIntervalMs: {
    env: 'POOL_PROBE_INTERVAL_MS',
    flag: '--pool-probe-interval-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'How often every pool gets a health probe (connect, mining.subscribe, wait for the answer) that decides which pools are up.',
  },
  failbackDelayMs: {
    env: 'FAILBACK_DELAY_MS',
    flag: '--failback-delay-ms',
    kind: 'int-or-none',
    valueName: '<ms|none>',
    description: 'Once a higher-priority pool has been up this long, miners on lower ones are moved back to it (0 = at once, none = never: they stay until they reconnect).',
    none: 'to never move miners back',
  },
  failbackRate: {
    env: 'FAILBACK_RATE',
    flag: '--failback-rate',
    kind: 'number',
    valueName: '<n>',
    description: 'Miners moved back per second at most, so a failback is no reconnect storm (decimals allowed: 0.5 = one every 2 s).',
  },
  poolCaFile: {
    env: 'POOL_CA_FILE',
    flag: '--pool-ca-file',
    kind: 'path',
    valueName: '<file>',
    description: "PEM CA certificates trusted for TLS pools in addition to Node's built-in list (none = the built-in list alone); re-read on SIGHUP.",
  },
  poolTlsInsecure: {
    env: 'POOL_TLS_INSECURE',
    flag: '--pool-tls-insecure',
    kind: 'bool',
    valueName: '<bool>',
    description: "Do not verify TLS pools' certificates (anyone on the path can then read and change the traffic; for tests only).",
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
  tlsHost: {
    env: 'TLS_HOST',
    flag: '--tls-host',
    kind: 'string',
    valueName: '<host>',
    description: 'Address the TLS listener for miners binds to (none = the same as --proxy-host).',
    none: 'for the same address as --proxy-host',
  },
  tlsPort: {
    env: 'TLS_PORT',
    flag: '--tls-port',
    kind: 'int-or-none',
    valueName: '<port|none>',
    description: 'Port of a second listener for miners, speaking TLS (none = no TLS listener, 0 = ephemeral); needs --tls-cert-file and --tls-key-file.',
    none: 'for no TLS listener',
  },
  tlsCertFile: {
    env: 'TLS_CERT_FILE',
    flag: '--tls-cert-file',
    kind: 'path',
    valueName: '<file>',
    description: 'PEM certificate chain the TLS listener presents, re-read on SIGHUP (required with --tls-port).',
  },
  tlsKeyFile: {
    env: 'TLS_KEY_FILE',
    flag: '--tls-key-file',
    kind: 'path',
    valueName: '<file>',
    description: 'PEM private key for --tls-cert-file, re-read on SIGHUP (required with --tls-port).',
  },
  proxyProtocol: {
    env: 'PROXY_PROTOCOL',
    flag: '--proxy-protocol',
    kind: 'bool',
    valueName: '<bool>',
    description: 'Miner connections start with a PROXY protocol header (HAProxy, AWS NLB): the client address it carries is used for --allow-from, per-IP limits and logs.',
  },
  proxyProtocolFrom: {
    env: 'PROXY_PROTOCOL_FROM',
    flag: '--proxy-protocol-from',
    kind: 'cidrs',
    valueName: '<cidr,...>',
    description: 'Load balancer addresses trusted to send the PROXY header, IPs or CIDR ranges, comma-separated (none = any source).',
    none: 'to accept it from any address',
  },
  allowFrom: {
    env: 'ALLOW_FROM',
    flag: '--allow-from',
    kind: 'cidrs',
    valueName: '<cidr,...>',
    description: 'Miner addresses allowed to connect, IPs or CIDR ranges, comma-separated; others are refused (none = everyone).',
    none: 'to allow every address',
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
  metricsToken: {
    env: 'METRICS_TOKEN',
    flag: '--metrics-token',
    kind: 'secret',
    valueName: '<token>',
    description: 'Token the HTTP server requires on every path but /healthz and /readyz: "Authorization: Bearer <token>", or basic auth with the token as password (none = open); prefer --metrics-token-file: flags show in ps.',
  },
  metricsTokenFile: {
    env: 'METRICS_TOKEN_FILE',
    flag: '--metrics-token-file',
    kind: 'secret-file',
    valueName: '<file>',
    description: 'File holding the metrics token (surrounding whitespace ignored), re-read on SIGHUP; use it or --metrics-token, not both.',
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
  maxConnectionsPerIp: {
    env: 'MAX_CONNECTIONS_PER_IP',
    flag: '--max-connections-per-ip',
    kind: 'int-or-none',
    valueName: '<n|none>',
    description: 'Open miner connections allowed per source address; more are refused (none = no limit).',
    none: 'for no limit',
  },
  connectionsPerSecondPerIp: {
    env: 'CONNECTIONS_PER_SECOND_PER_IP',
    flag: '--connections-per-second-per-ip',
    kind: 'number-or-none',
    valueName: '<n|none>',
    description: 'New miner connections per second allowed per source address, decimals allowed; faster ones are refused (none = no limit).',
    none: 'for no limit',
  },
  listenBacklog: {
    env: 'LISTEN_BACKLOG',
    flag: '--listen-backlog',
    kind: 'int',
    valueName: '<n>',
    description: 'Connections the kernel queues per listener before they are accepted (capped by net.core.somaxconn).',
  },
  firstByteTimeoutMs: {
    env: 'FIRST_BYTE_TIMEOUT_MS',
    flag: '--first-byte-timeout-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'Close a miner connection that sends nothing for this long after connecting (0 = never).',
  },
  authorizeTimeoutMs: {
    env: 'AUTHORIZE_TIMEOUT_MS',
    flag: '--authorize-timeout-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'Close a miner connection that has not sent mining.authorize this long after connecting (0 = never).',
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
  drainReconnect: {
    env: 'DRAIN_RECONNECT',
    flag: '--drain-reconnect',
    kind: 'bool',
    valueName: '<bool>',
    description:
      'On SIGINT/SIGTERM, send every miner client.reconnect (between two lines of its pool, 10 ms apart or closer to fit the first half of DRAIN_TIMEOUT_MS) so miners that honour it move before the deadline; off by default since it adds a line the pool never sent.',
  },
  drainReconnectHost: {
    env: 'DRAIN_RECONNECT_HOST',
    flag: '--drain-reconnect-host',
    kind: 'string',
    valueName: '<host|none>',
    description: 'Host that client.reconnect names, with --drain-reconnect-port (none = no parameters: miners reconnect to the address they used, which a load balancer routes to another instance).',
    none: 'for no parameters',
  },
  drainReconnectPort: {
    env: 'DRAIN_RECONNECT_PORT',
    flag: '--drain-reconnect-port',
    kind: 'int-or-none',
    valueName: '<port|none>',
    description: 'Port that client.reconnect names; set with --drain-reconnect-host (none = no parameters).',
    none: 'for no parameters',
  },
  logSummaryIntervalMs: {
    env: 'LOG_SUMMARY_INTERVAL_MS',
    flag: '--log-summary-interval-ms',
    kind: 'int-or-none',
    valueName: '<ms|none>',
    description: 'How often one info line sums up the relay (miners, pools, hashrate from accepted difficulty, shares, rejects by reason, refusals); 0 or none = no summary.',
    none: 'for no summary',
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
    none: 'for no limit',
  },
  shareAudit: {
    env: 'SHARE_AUDIT',
    flag: '--share-audit',
    kind: 'share-audit',
    valueName: '<all|rejected|sample:f|off>',
    description:
      'Which submitted shares the proxy hashes itself to check them against the job and difficulty (audit metrics): all; rejected = every share the pool rejects (valid_rejected stays exact) plus a sample of all shares, 1 % or rejected:<fraction>; sample:<fraction> = that fraction of all shares; off. true/false mean all/off. Under rejected and sample, the verdicts of accepted shares, the share difficulty histogram and best share come from the sample (stratum_share_audit_sampled_total, stratum_share_audit_sample_ratio), and a block candidate is only certain under all.',
  },
  traceLines: {
    env: 'TRACE_LINES',
    flag: '--trace-lines',
    kind: 'int',
    valueName: '<n>',
    description:
      'Message trace: the last n lines each way of every connection (also at most 64 KiB per connection), authorize password masked, for /api/trace, the debug bundle and /ui; 0 = no trace at all.',
  },
  traceKeepClosedMs: {
    env: 'TRACE_KEEP_CLOSED_MS',
    flag: '--trace-keep-closed-ms',
    kind: 'int',
    valueName: '<ms>',
    description: 'How long a closed connection stays on /api/connections with its trace (at most 10,000 closed connections, oldest dropped first).',
  },
  traceMaxBytes: {
    env: 'TRACE_MAX_BYTES',
    flag: '--trace-max-bytes',
    kind: 'int',
    valueName: '<bytes>',
    description: 'Bound on the trace lines kept per process, all connections together; over it the oldest lines go first (closed connections before open ones).',
  },
  shareJournal: {
    env: 'SHARE_JOURNAL',
    flag: '--share-journal',
    kind: 'string',
    valueName: '<file|postgres://…>',
    description:
      'Record every mining.submit with its fate (accepted, rejected and why, timeout, lost), and every closed connection, in a database: a file path = SQLite, a postgres:// URL = PostgreSQL. Written in batches off the relay path; read with `stratum-proxy shares` and `stratum-proxy report`.',
    none: 'for no journal',
  },
  shareJournalMaxQueue: {
    env: 'SHARE_JOURNAL_MAX_QUEUE',
    flag: '--share-journal-max-queue',
    kind: 'int',
    valueName: '<rows>',
    description: 'Journal rows held while the database is slow or away; past this many, new rows are dropped and counted (stratum_journal_dropped_total), never slowing the relay.',
  },
  shareJournalRetentionDays: {
    env: 'SHARE_JOURNAL_RETENTION_DAYS',
    flag: '--share-journal-retention-days',
    kind: 'int',
    valueName: '<days>',
    description: 'Journal rows older than this are deleted in the background (hourly).',
  },
  workers: {
    env: 'WORKERS',
    flag: '--workers',
    kind: 'count-or-auto',
    valueName: '<n|auto>',
    description:
      'Relay processes sharing the miner ports (auto = one per CPU core). With more than 1, a primary process forks them, restarts any that crash, and serves the HTTP port with /metrics summed over them; 1 = a single process.',
    auto: 'for one per CPU core',
  },
};

/** Every option, in `--help` order. */
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
