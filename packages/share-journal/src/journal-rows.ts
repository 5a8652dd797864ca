/**
 * The rows of the journal as the relay hands them over and the reports read them back. Column
 * names in the database are the snake_case of these fields (migrations.ts).
 */

/** What became of a mining.submit. */
export const SHARE_RESULTS = ['accepted', 'rejected', 'timeout', 'lost'] as const;
export type ShareResult = (typeof SHARE_RESULTS)[number];

/**
 * What the share audit said. For an answered share, the verdict exactly as
 * stratum_share_audit_total labels it; for a share the pool never answered (timeout, lost) only
 * the audit's own check, since there is no answer to compare with.
 */
export const SHARE_AUDIT_VALUES = [
  'valid_accepted',
  'valid_rejected',
  'invalid_accepted',
  'invalid_rejected',
  'unknown_job',
  'valid',
  'invalid',
] as const;
export type ShareAuditValue = (typeof SHARE_AUDIT_VALUES)[number];

/** One mining.submit once its fate is known. */
export interface ShareRow {
  /** Wall-clock ms when the miner submitted it. */
  readonly time: number;
  /** The miner's own worker name (from mining.authorize); null before it authorized. */
  readonly worker: string | null;
  /** The pool's name (`none` when the connection had no pool). */
  readonly pool: string;
  readonly jobId: string | null;
  /** Difficulty in force when it was submitted. */
  readonly difficulty: number;
  readonly result: ShareResult;
  /** The reject reason label (stratum_rejected_shares_total's `reason`) when rejected, else null. */
  readonly reason: string | null;
  /** null when the audit is off or did not hash this share. */
  readonly audit: ShareAuditValue | null;
  /** What the share's hash really reached; null when it was not hashed. */
  readonly shareDifficulty: number | null;
  /** The hash meets the network target (only known when the share was hashed). */
  readonly blockCandidate: boolean;
  /** Submit to answer, ms; null without an answer. */
  readonly latencyMs: number | null;
  readonly connectionId: number;
  readonly remoteAddress: string;
}

/** One miner connection, written when it closes. */
export interface ConnectionRow {
  readonly connectionId: number;
  /** Wall-clock ms of the accept. */
  readonly openedAt: number;
  /** Wall-clock ms of the close. */
  readonly closedAt: number;
  readonly worker: string | null;
  readonly pool: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Miner to pool. */
  readonly bytesSent: number;
  /** Pool to miner. */
  readonly bytesReceived: number;
  readonly submits: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Who ended it: miner, pool or proxy. */
  readonly closeSide: string;
  readonly closeReason: string;
}

/** A share row as stored, with its row id (the evidence a report cites). */
export interface StoredShare extends ShareRow {
  readonly id: number;
}

/**
 * Where the relay's collector hands each settled share and closed connection. Both calls are
 * O(1), synchronous and never throw: the journal queues, it never blocks the relay.
 */
export interface JournalSink {
  share(row: ShareRow): void;
  connection(row: ConnectionRow): void;
}
