import { z } from 'zod';

/**
 * The one config schema. Every option is described once in OPTIONS (options.ts: env name, CLI flag,
 * help text) and once here (type, bounds, default); the loader and `--help` derive from both.
 */
const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().min(1);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

export const configSchema = z
  .object({
    poolHost: z.string().min(1),
    poolPort: port.min(1).default(3333),
    proxyHost: z.string().min(1).default('0.0.0.0'),
    proxyPort: port.default(3333),
    metricsHost: z.string().min(1).default('0.0.0.0'),
    metricsPort: port.default(9333),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    logFormat: z.enum(LOG_FORMATS).default('json'),
    maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
    /** 0 disables the idle timeout. */
    idleTimeoutMs: z.number().int().min(0).default(600_000),
    upstreamConnectTimeoutMs: positiveMs.default(10_000),
    maxLineBytes: z.number().int().min(256).max(64 * 1024 * 1024).default(64 * 1024),
    preConnectBufferBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
    drainTimeoutMs: z.number().int().min(0).default(30_000),
    submitTimeoutMs: positiveMs.default(30_000),
    /** `null` (written `none`) removes the cap; 0 puts every worker under client_id="other". */
    maxClientIds: z.number().int().min(0).nullable().default(500),
    shareAudit: z.boolean().default(true),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigKey = keyof z.infer<typeof configSchema>;
