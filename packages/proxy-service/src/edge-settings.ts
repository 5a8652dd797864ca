import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { readSecretFiles, type Config, type SecretFiles } from '@stratum-relay/config';
import type { AdmissionSettings, PoolTlsOptions } from '@stratum-relay/proxy-core';

/**
 * What the config's edge options become at run time: the TLS listener's context, the pools' TLS
 * settings, the admission rules and the metrics token. Built at start and again on each SIGHUP,
 * so certificates and the token are re-read from their files.
 */
export interface EdgeSettings {
  readonly tlsContext: tls.SecureContext | null;
  readonly poolTls: PoolTlsOptions;
  readonly admission: AdmissionSettings;
  readonly authorizeTimeoutMs: number;
  readonly metricsToken: string | null;
}

/** @throws ConfigError when a named file cannot be read; Error when the certificate or key is not usable PEM. */
export function buildEdgeSettings(config: Config, read: (config: Config) => SecretFiles = readSecretFiles): EdgeSettings {
  const secrets = read(config);
  return {
    tlsContext: secrets.tls === null ? null : secureContext(secrets.tls.cert, secrets.tls.key, config),
    poolTls: { ca: secrets.poolCa, insecure: config.poolTlsInsecure },
    admission: admissionOf(config),
    authorizeTimeoutMs: config.authorizeTimeoutMs,
    metricsToken: secrets.metricsToken,
  };
}

export function admissionOf(config: Config): AdmissionSettings {
  return {
    allowFrom: config.allowFrom,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    connectionsPerSecondPerIp: config.connectionsPerSecondPerIp,
    proxyProtocol: config.proxyProtocol,
    proxyProtocolFrom: config.proxyProtocolFrom,
    firstByteTimeoutMs: config.firstByteTimeoutMs,
  };
}

function secureContext(cert: Buffer, key: Buffer, config: Config): tls.SecureContext {
  try {
    // TLS 1.2 minimum: what ASIC firmware with TLS speaks, and nothing older is safe.
    return tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`TLS_CERT_FILE ${config.tlsCertFile ?? ''} / TLS_KEY_FILE ${config.tlsKeyFile ?? ''}: not a usable certificate and key: ${detail}`, {
      cause: error,
    });
  }
}

/** Bytes of descriptors kept free beside 2 per miner: listeners, the metrics server, logs, probes, DNS. */
const DESCRIPTOR_RESERVE = 100;

/**
 * The connection limit the descriptor limit allows: 2 per miner (miner + pool socket) plus a
 * reserve. Measured: with MAX_CONNECTIONS above it, upstream connects failed with EMFILE and
 * /healthz stopped answering; refusing at the limit keeps the proxy serving who it can.
 */
export function effectiveMaxConnections(configured: number, openFilesLimit: number | null): { max: number; lowered: boolean } {
  if (openFilesLimit === null) return { max: configured, lowered: false };
  const allowed = Math.max(1, Math.floor((openFilesLimit - DESCRIPTOR_RESERVE) / 2));
  return allowed < configured ? { max: allowed, lowered: true } : { max: configured, lowered: false };
}

/** The soft RLIMIT_NOFILE of this process from /proc (Linux); null where it cannot be read or is unlimited. */
export function openFilesLimit(procLimits = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(procLimits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = soft === undefined ? NaN : Number(soft);
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** net.core.somaxconn caps every listen backlog; null where it cannot be read. */
export function kernelSomaxconn(path = '/proc/sys/net/core/somaxconn'): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}
