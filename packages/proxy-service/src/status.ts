import type { PoolState } from '@stratum-relay/proxy-core';
import type { ConnectionStatus } from './metrics-collector';

/** Keys whose values never leave the process, whatever the config grows into. */
const SECRET_KEY = /pass|secret|token/i;

export interface StatusPool {
  name: string;
  host: string;
  port: number;
  scheme: 'tcp' | 'tls';
  /** 0 = primary. */
  priority: number;
  /** up, down, or unknown before the first probe or connect finished. */
  state: 'up' | 'down' | 'unknown';
  /** ISO time of the latest change of state, or null. */
  since: string | null;
  /** Miners relayed to this pool right now. */
  miners: number;
  lastError: string | null;
  lastErrorAt: string | null;
  /** The opt-in per-pool account rewrite is on for this pool (the account itself is not shown). */
  accountRewrite: boolean;
}

/** The collector's snapshot as JSON: times as ISO strings, the remote port left out. */
export type StatusConnection = Omit<ConnectionStatus, 'remotePort' | 'connectedSince' | 'lastShareAt'> & {
  connectedSince: string;
  lastShareAt: string | null;
};

export interface StatusBody {
  version: string;
  uptimeSeconds: number;
  config: Record<string, unknown>;
  pools: StatusPool[];
  connections: StatusConnection[];
}

export interface StatusInput {
  version: string;
  /** Wall-clock ms when the process (observability) started. */
  startedAt: number;
  now: number;
  config: object;
  pools: readonly PoolState[];
  connections: readonly ConnectionStatus[];
}

/** A copy of the config without any key that looks like a credential (checked recursively). */
export function redactConfig(config: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SECRET_KEY.test(key)) continue;
    out[key] = redactValue(value);
  }
  return out;
}

/** `scheme://user:password@host` (SHARE_JOURNAL's postgres:// URL): the password never leaves. */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/i;

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') return redactConfig(value);
  if (typeof value === 'string' && URL_PASSWORD.test(value)) return value.replace(URL_PASSWORD, '$1:***@');
  return value;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The /status document: pure, from the collector's snapshots. */
export function buildStatus(input: StatusInput): StatusBody {
  return {
    version: input.version,
    uptimeSeconds: Math.max(0, Math.round((input.now - input.startedAt) / 1000)),
    config: redactConfig(input.config),
    pools: input.pools.map((p) => ({
      name: p.name,
      host: p.host,
      port: p.port,
      scheme: p.scheme,
      priority: p.priority,
      state: p.up === null ? 'unknown' : p.up ? 'up' : 'down',
      since: iso(p.since),
      miners: p.miners,
      lastError: p.lastError,
      lastErrorAt: iso(p.lastErrorAt),
      accountRewrite: p.accountRewrite,
    })),
    connections: input.connections.map((c) => ({
      connectionId: c.connectionId,
      worker: c.worker,
      pool: c.pool,
      remoteAddress: c.remoteAddress,
      connectedSince: new Date(c.connectedSince).toISOString(),
      bytesSent: c.bytesSent,
      bytesReceived: c.bytesReceived,
      submits: c.submits,
      accepted: c.accepted,
      rejected: c.rejected,
      currentDifficulty: c.currentDifficulty,
      lastShareAt: iso(c.lastShareAt),
    })),
  };
}
