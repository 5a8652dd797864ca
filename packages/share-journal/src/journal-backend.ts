import type { Dialect } from './migrations';
import type { ConnectionRow, ShareRow, StoredShare } from './journal-rows';
import type { ShareFilter } from './share-query';

/** Rows written together, in one transaction. */
export interface JournalBatch {
  readonly shares: readonly ShareRow[];
  readonly connections: readonly ConnectionRow[];
}

export type JournalTable = 'shares' | 'connections';

/**
 * One database behind the journal: SQLite (sqlite-backend.ts) or PostgreSQL (postgres-backend.ts).
 * The writer, the reports and the tests only see this; one test suite runs against both.
 * Every method may reject (the database is away, locked, full); none throws synchronously.
 */
export interface JournalBackend {
  readonly dialect: Dialect;
  /**
   * Creates `schema_migrations` and applies the pending migrations up to `target` (default: the
   * latest), under a lock so that several processes starting together apply each once. Returns
   * the versions applied now.
   * @throws JournalError SRL_ERR_JOURNAL_MIGRATION when the database is newer than this program.
   */
  migrate(target?: number): Promise<number[]>;
  /** The versions recorded in schema_migrations, ascending; empty when there is no such table. */
  schemaVersions(): Promise<number[]>;
  /** Inserts the batch in one transaction: all of it or none of it. */
  write(batch: JournalBatch): Promise<void>;
  /** Deletes at most `limit` rows older than `beforeMs` (shares by time, connections by closed_at); returns how many. */
  pruneChunk(beforeMs: number, limit: number): Promise<number>;
  /** Shares matching `filter`, newest first, at most `limit` (null: all). */
  listShares(filter: ShareFilter, limit: number | null): Promise<StoredShare[]>;
  /** Every share matching `filter`, oldest first, streamed in chunks (reports over large ranges). */
  scanShares(filter: ShareFilter, onRow: (row: StoredShare) => void): Promise<void>;
  countRows(table: JournalTable): Promise<number>;
  close(): Promise<void>;
}
