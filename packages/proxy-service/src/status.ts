import type { ConnectionStatus, PoolStatus } from './metrics-collector';

/** Keys whose values never leave the process, whatever the config grows into. */
const SECRET_KEY = /pass|secret|token/i;

export interface StatusPool {
  host: string;
  port: number | null;
  /** null until the first connect attempt. */
  up: boolean | null;
  lastError: string | null;
  /** ISO time of the latest successful connect, or null. */
  lastConnectAt: string | null;
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
  pool: PoolStatus;
  connections: readonly ConnectionStatus[];
}

/** A copy of the config without any key that looks like a credential (checked recursively). */
export function redactConfig(config: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SECRET_KEY.test(key)) continue;
    out[key] = value !== null && typeof value === 'object' && !Array.isArray(value) ? redactConfig(value as object) : value;
  }
  return out;
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
    pools: [
      {
        host: input.pool.host,
        port: input.pool.port,
        up: input.pool.up,
        lastError: input.pool.lastError,
        lastConnectAt: iso(input.pool.lastConnectAt),
      },
    ],
    connections: input.connections.map((c) => ({
      connectionId: c.connectionId,
      worker: c.worker,
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
