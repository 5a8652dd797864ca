import type { JournalTable } from './journal-backend';
import type { EncodedBatch } from './journal-batch-codec';
import type { StoredShare } from './journal-rows';
import type { JournalTarget } from './journal-target';
import type { ShareFilter } from './share-query';

/**
 * The messages between JournalThreadBackend (the relay's thread) and journal-writer-thread.ts (the
 * thread that owns the database connection). One request per JournalBackend call, answered once by
 * its id; a scan also streams its rows in chunks before the answer.
 */

/** What the thread is started with (workerData). */
export interface JournalThreadData {
  readonly target: JournalTarget;
  /** SQLite: how long a write waits for another writer's lock. */
  readonly busyTimeoutMs: number;
  /** PostgreSQL: the name in pg_stat_activity. */
  readonly applicationName: string | null;
}

export type JournalThreadRequest =
  | { readonly id: number; readonly op: 'migrate'; readonly target: number }
  | { readonly id: number; readonly op: 'schemaVersions' }
  | { readonly id: number; readonly op: 'write'; readonly batch: EncodedBatch }
  | { readonly id: number; readonly op: 'pruneChunk'; readonly beforeMs: number; readonly limit: number }
  | { readonly id: number; readonly op: 'listShares'; readonly filter: ShareFilter; readonly limit: number | null }
  | { readonly id: number; readonly op: 'scanShares'; readonly filter: ShareFilter }
  | { readonly id: number; readonly op: 'countRows'; readonly table: JournalTable }
  | { readonly id: number; readonly op: 'close' };

/** An error as it crosses the thread boundary (structured clone keeps neither `code` nor the class). */
export interface JournalThreadError {
  readonly name: string;
  readonly message: string;
  readonly code: string | null;
}

export type JournalThreadReply =
  | { readonly id: number; readonly kind: 'done'; readonly value: unknown }
  | { readonly id: number; readonly kind: 'failed'; readonly error: JournalThreadError }
  | { readonly id: number; readonly kind: 'rows'; readonly rows: StoredShare[] };

/** Rows per 'rows' message of a scan. */
export const SCAN_CHUNK_ROWS = 1000;

export function toThreadError(error: unknown): JournalThreadError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : null };
  }
  return { name: 'Error', message: String(error), code: null };
}
