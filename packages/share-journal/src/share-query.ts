import type { Dialect } from './migrations';
import type { ShareAuditValue, ShareResult, StoredShare } from './journal-rows';

/** Which shares a listing or report reads; null = no condition. */
export interface ShareFilter {
  /** Submitted at or after (wall-clock ms). */
  readonly sinceMs: number | null;
  readonly worker: string | null;
  readonly pool: string | null;
  readonly result: ShareResult | null;
}

export const NO_FILTER: ShareFilter = Object.freeze({ sinceMs: null, worker: null, pool: null, result: null });

/** Column list of the shares table in insert order (migration 1). */
export const SHARE_COLUMNS = [
  'time',
  'worker',
  'pool',
  'job_id',
  'difficulty',
  'result',
  'reason',
  'audit',
  'share_difficulty',
  'block_candidate',
  'latency_ms',
  'connection_id',
  'remote_address',
] as const;

export const CONNECTION_COLUMNS = [
  'connection_id',
  'opened_at',
  'closed_at',
  'worker',
  'pool',
  'remote_address',
  'remote_port',
  'bytes_sent',
  'bytes_received',
  'submits',
  'accepted',
  'rejected',
  'close_side',
  'close_reason',
] as const;

/** `WHERE …` (or '') and its parameters, with the dialect's placeholders (`?` or `$n`). */
export function shareWhere(filter: ShareFilter, dialect: Dialect): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, op: string, value: unknown): void => {
    params.push(value);
    conditions.push(`${column} ${op} ${dialect === 'sqlite' ? '?' : `$${params.length}`}`);
  };
  if (filter.sinceMs !== null) add('time', '>=', filter.sinceMs);
  if (filter.worker !== null) add('worker', '=', filter.worker);
  if (filter.pool !== null) add('pool', '=', filter.pool);
  if (filter.result !== null) add('result', '=', filter.result);
  return { sql: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}

/** A shares row as either driver returns it (PostgreSQL BIGINTs arrive as strings, SQLite booleans as 0/1). */
export function storedShare(r: Record<string, unknown>): StoredShare {
  return {
    id: Number(r['id']),
    time: Number(r['time']),
    worker: (r['worker'] as string | null) ?? null,
    pool: String(r['pool']),
    jobId: (r['job_id'] as string | null) ?? null,
    difficulty: Number(r['difficulty']),
    result: r['result'] as ShareResult,
    reason: (r['reason'] as string | null) ?? null,
    audit: (r['audit'] as ShareAuditValue | null) ?? null,
    shareDifficulty: r['share_difficulty'] === null || r['share_difficulty'] === undefined ? null : Number(r['share_difficulty']),
    blockCandidate: r['block_candidate'] === true || r['block_candidate'] === 1,
    latencyMs: r['latency_ms'] === null || r['latency_ms'] === undefined ? null : Number(r['latency_ms']),
    connectionId: Number(r['connection_id']),
    remoteAddress: String(r['remote_address']),
  };
}
