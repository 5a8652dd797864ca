import { NO_POOL_LABEL } from '@stratum-relay/metrics';
import type { ConnectionState } from '../connection-state';

/** 2^32: hashes per unit of share difficulty. */
const HASHES_PER_DIFFICULTY = 4_294_967_296;

/** A worker is stale after this many expected share intervals without a share. */
export const STALE_INTERVALS = 5;

/** One connection as /api/connections, the debug bundle and /ui show it (JSON). */
export interface ConnectionDetails {
  readonly connectionId: number;
  /** Sanitized worker name from mining.authorize; null before it. */
  readonly worker: string | null;
  /** The pool it is relayed to; null while it has none. */
  readonly pool: string | null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** ISO time of the accept. */
  readonly since: string;
  /** null while open. */
  readonly closedAt: string | null;
  /** `<side>/<reason>` (e.g. `miner/end`, `pool/reset`, `proxy/idle_timeout`) plus the error if any; null while open. */
  readonly closeReason: string | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly submits: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  /** Share audit verdicts (valid_accepted, valid_rejected, …) of this connection's shares. */
  readonly auditVerdicts: Readonly<Record<string, number>>;
  readonly acceptedDifficulty: number;
  /** Difficulty in force (mining.set_difficulty); null before the pool sent one. */
  readonly difficulty: number | null;
  readonly bestShare: number;
  readonly blockCandidates: number;
  /** ISO time of the latest submit, or null. */
  readonly lastShareAt: string | null;
  /** Seconds since the latest submit (since the accept before the first), at the time of the answer. */
  readonly lastShareAgeSeconds: number;
  /** Hashes per second from the accepted difficulty since the accept (H/s); 0 before an accepted share. */
  readonly hashrate: number;
  /** difficulty * 2^32 / hashrate: the seconds between shares this hashrate gives; null while unknown. */
  readonly expectedShareIntervalSeconds: number | null;
  /** No share for STALE_INTERVALS expected intervals (open connections only). */
  readonly stale: boolean;
}

export interface CloseInfo {
  /** Wall-clock ms. */
  readonly at: number;
  readonly side: string;
  readonly reason: string;
  readonly error: string | undefined;
}

/** Hashrate (H/s) from accepted difficulty over a span in ms. */
export function hashrateOf(acceptedDifficulty: number, spanMs: number): number {
  return spanMs > 0 ? (acceptedDifficulty * HASHES_PER_DIFFICULTY * 1000) / spanMs : 0;
}

/** The details of a connection from the collector's state, as of `now` (wall-clock ms). Pure. */
export function detailsOf(s: Readonly<ConnectionState>, now: number, closed: CloseInfo | null = null): ConnectionDetails {
  const end = closed?.at ?? now;
  const hashrate = hashrateOf(s.acceptedDifficulty, end - s.connectedAt);
  const difficulty = s.difficulty;
  const expected = hashrate > 0 ? ((difficulty ?? 1) * HASHES_PER_DIFFICULTY) / hashrate : null;
  const lastShareAgeSeconds = Math.max(0, (end - (s.lastShareAt ?? s.connectedAt)) / 1000);
  return {
    connectionId: s.connectionId,
    worker: s.worker,
    pool: s.pool === NO_POOL_LABEL ? null : s.pool,
    remoteAddress: s.remoteAddress,
    remotePort: s.remotePort,
    since: new Date(s.connectedAt).toISOString(),
    closedAt: closed === null ? null : new Date(closed.at).toISOString(),
    closeReason: closed === null ? null : `${closed.side}/${closed.reason}${closed.error === undefined ? '' : ` (${closed.error})`}`,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
    submits: s.submits,
    accepted: s.accepted,
    rejected: s.rejected,
    rejectedByReason: { ...(s.rejectedByReason ?? {}) },
    auditVerdicts: { ...(s.auditVerdicts ?? {}) },
    acceptedDifficulty: s.acceptedDifficulty,
    difficulty,
    bestShare: s.bestShare,
    blockCandidates: s.blockCandidates,
    lastShareAt: s.lastShareAt === null ? null : new Date(s.lastShareAt).toISOString(),
    lastShareAgeSeconds,
    hashrate,
    expectedShareIntervalSeconds: expected,
    stale: closed === null && expected !== null && lastShareAgeSeconds > STALE_INTERVALS * expected,
  };
}

/** TraceStoreOptions.details from a collector (read when the connection closes, before the collector forgets it). */
export function detailsFromCollector(
  collector: () => { connectionState(id: number): Readonly<ConnectionState> | undefined } | undefined,
): (connectionId: number, now: number, closed: CloseInfo | null) => ConnectionDetails | null {
  return (connectionId, now, closed) => {
    const s = collector()?.connectionState(connectionId);
    return s === undefined ? null : detailsOf(s, now, closed);
  };
}
