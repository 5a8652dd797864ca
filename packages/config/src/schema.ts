import { z } from 'zod';
import type { PoolSpec } from '@stratum-relay/shared-types';
import { shareAuditSchema } from './share-audit';

/**
 * The one config schema. Every option is described once in OPTIONS (options.ts: env name, CLI flag,
 * help text) and once here (type, bounds, default); the loader and `--help` derive from both.
 */
const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().min(1);
/** A path or a secret: no default file, no default token. */
const optionalText = z.string().min(1).nullable().default(null);
/** `addr/prefix` strings, already checked and normalized by the loader (cidr-list.ts). */
const cidrList = z.array(z.string()).min(1).readonly().nullable().default(null);

/** More worker processes than this is a typo, not a machine (the largest have a few hundred cores). */
export const MAX_WORKERS = 1024;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
const POOL_SCHEMES = ['tcp', 'tls'] as const;

/** A PoolSpec as the loader builds it from a pool URL (pool-list.ts). */
const poolSpecSchema = z
  .object({
    name: z.string().min(1),
    scheme: z.enum(POOL_SCHEMES),
    host: z.string().min(1),
    port: port.min(1),
    account: z.string().nullable(),
    password: z.string().nullable(),
  })
  .strict();

export const configSchema = z
  .object({
    /** The one-pool shortcut; absent when POOLS is used. */
    poolHost: z.string().min(1).optional(),
    poolPort: port.min(1).default(3333),
    /** Absent here when the shortcut is used: the loader then builds the one PoolSpec (Config.pools is never empty). */
    pools: z.array(poolSpecSchema).min(1).optional(),
    poolProbeIntervalMs: z.number().int().min(100).default(5_000),
    /** `null` (written `none`): miners stay on the pool they failed over to. */
    failbackDelayMs: z.number().int().min(0).nullable().default(60_000),
    failbackRate: z.number().positive().finite().default(20),
    poolCaFile: optionalText,
    poolTlsInsecure: z.boolean().default(false),
    proxyHost: z.string().min(1).default('0.0.0.0'),
    proxyPort: port.default(3333),
    /** `null` (written `none`): no TLS listener. */
    tlsPort: port.nullable().default(null),
    /** `null`: the same address as proxyHost. */
    tlsHost: optionalText,
    tlsCertFile: optionalText,
    tlsKeyFile: optionalText,
    proxyProtocol: z.boolean().default(false),
    /** `null`: PROXY headers accepted from any source (when proxyProtocol is on). */
    proxyProtocolFrom: cidrList,
    /** `null`: every source address may connect. */
    allowFrom: cidrList,
    metricsHost: z.string().min(1).default('0.0.0.0'),
    metricsPort: port.default(9333),
    /** Visible ASCII only: it is compared with an HTTP Authorization header, where a space or newline can never match. */
    metricsToken: z
      .string()
      .regex(/^[\x21-\x7e]+$/)
      .nullable()
      .default(null),
    metricsTokenFile: optionalText,
    logLevel: z.enum(LOG_LEVELS).default('info'),
    logFormat: z.enum(LOG_FORMATS).default('json'),
    maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
    maxConnectionsPerIp: z.number().int().min(1).nullable().default(null),
    connectionsPerSecondPerIp: z.number().positive().finite().nullable().default(null),
    listenBacklog: z.number().int().min(1).max(1_000_000).default(4096),
    /** 0 disables the first-byte timeout. */
    firstByteTimeoutMs: z.number().int().min(0).default(15_000),
    /** 0 disables the authorize timeout. */
    authorizeTimeoutMs: z.number().int().min(0).default(60_000),
    /** 0 disables the idle timeout. */
    idleTimeoutMs: z.number().int().min(0).default(600_000),
    upstreamConnectTimeoutMs: positiveMs.default(10_000),
    maxLineBytes: z.number().int().min(256).max(64 * 1024 * 1024).default(64 * 1024),
    preConnectBufferBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
    drainTimeoutMs: z.number().int().min(0).default(30_000),
    /** Send every miner client.reconnect when the drain starts (it injects a line into the pool's stream, so opt-in). */
    drainReconnect: z.boolean().default(false),
    /** Where client.reconnect sends miners; null (none, both): no parameters, the address they used. */
    drainReconnectHost: optionalText,
    drainReconnectPort: port.min(1).nullable().default(null),
    /** The periodic summary log line; 0 or null (none): no summary. */
    logSummaryIntervalMs: z.number().int().min(0).nullable().default(60_000),
    submitTimeoutMs: positiveMs.default(30_000),
    /** `null` (written `none`) removes the cap; 0 puts every worker under client_id="other". */
    maxClientIds: z.number().int().min(0).nullable().default(500),
    /** true = all, false = off, or a sampling mode (share-audit.ts). */
    shareAudit: shareAuditSchema.default(true),
    /** Lines kept per connection and direction in the message trace; 0 = no trace (nothing allocated, no line tap). */
    traceLines: z.number().int().min(0).max(100_000).default(200),
    /** How long a closed connection's trace and details stay readable (/api/trace, /api/debug/bundle). */
    traceKeepClosedMs: z.number().int().min(0).default(600_000),
    /** Bound on the bytes of every trace line kept in a process, open and closed connections together. */
    traceMaxBytes: z.number().int().min(0).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    /** The share journal: a SQLite file path or a postgres:// URL (checked when the journal opens); null: none. */
    shareJournal: optionalText,
    /** Journal rows waiting for the database at most; more are dropped and counted. */
    shareJournalMaxQueue: z.number().int().min(1).max(10_000_000).default(100_000),
    shareJournalRetentionDays: z.number().int().min(1).max(36_500).default(30),
    /** Relay processes; `auto` = one per CPU core (resolved when the program starts). 1 = no cluster at all. */
    workers: z.union([z.number().int().min(1).max(MAX_WORKERS), z.literal('auto')]).default(1),
  })
  .strict();

type ParsedConfig = z.infer<typeof configSchema>;

/**
 * The resolved configuration: frozen, with `pools` always set (from POOLS, or the one PoolSpec the
 * POOL_HOST/POOL_PORT shortcut stands for) and never empty, primary first.
 */
export type Config = Readonly<Omit<ParsedConfig, 'pools'> & { pools: readonly PoolSpec[] }>;
export type ConfigKey = keyof ParsedConfig;

// PoolSpec is shared-types'; the schema above must describe exactly it.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const poolSpecMatches: Same<Readonly<z.infer<typeof poolSpecSchema>>, PoolSpec> = true;
void poolSpecMatches;
