import { JournalError } from './errors';

/**
 * The journal's schema as forward-only versioned migrations. Each is applied once, in order, in
 * one transaction with its row in `schema_migrations`; a released migration is never edited (a
 * change is a new version). A database newer than the program is refused, never downgraded.
 *
 * SQLite and PostgreSQL get the same tables and columns; only types differ (INTEGER/REAL vs
 * BIGINT/DOUBLE PRECISION/BOOLEAN). Times are ms since the epoch in both, so queries and reports
 * are the same text.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: Readonly<Record<Dialect, readonly string[]>>;
}

const RESULTS_CHECK = "CHECK (result IN ('accepted', 'rejected', 'timeout', 'lost'))";

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'shares and connections',
    sql: {
      sqlite: [
        // AUTOINCREMENT: ids are never reused after a prune, so an id cited as evidence stays that row.
        `CREATE TABLE shares (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          time INTEGER NOT NULL,
          worker TEXT,
          pool TEXT NOT NULL,
          job_id TEXT,
          difficulty REAL NOT NULL,
          result TEXT NOT NULL ${RESULTS_CHECK},
          reason TEXT,
          audit TEXT,
          share_difficulty REAL,
          block_candidate INTEGER NOT NULL DEFAULT 0,
          latency_ms REAL,
          connection_id INTEGER NOT NULL,
          remote_address TEXT NOT NULL
        )`,
        `CREATE TABLE connections (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          connection_id INTEGER NOT NULL,
          opened_at INTEGER NOT NULL,
          closed_at INTEGER NOT NULL,
          worker TEXT,
          pool TEXT NOT NULL,
          remote_address TEXT NOT NULL,
          remote_port INTEGER NOT NULL,
          bytes_sent INTEGER NOT NULL,
          bytes_received INTEGER NOT NULL,
          submits INTEGER NOT NULL,
          accepted INTEGER NOT NULL,
          rejected INTEGER NOT NULL,
          close_side TEXT NOT NULL,
          close_reason TEXT NOT NULL
        )`,
      ],
      postgres: [
        `CREATE TABLE shares (
          id BIGSERIAL PRIMARY KEY,
          time BIGINT NOT NULL,
          worker TEXT,
          pool TEXT NOT NULL,
          job_id TEXT,
          difficulty DOUBLE PRECISION NOT NULL,
          result TEXT NOT NULL ${RESULTS_CHECK},
          reason TEXT,
          audit TEXT,
          share_difficulty DOUBLE PRECISION,
          block_candidate BOOLEAN NOT NULL DEFAULT FALSE,
          latency_ms DOUBLE PRECISION,
          connection_id BIGINT NOT NULL,
          remote_address TEXT NOT NULL
        )`,
        `CREATE TABLE connections (
          id BIGSERIAL PRIMARY KEY,
          connection_id BIGINT NOT NULL,
          opened_at BIGINT NOT NULL,
          closed_at BIGINT NOT NULL,
          worker TEXT,
          pool TEXT NOT NULL,
          remote_address TEXT NOT NULL,
          remote_port INTEGER NOT NULL,
          bytes_sent BIGINT NOT NULL,
          bytes_received BIGINT NOT NULL,
          submits BIGINT NOT NULL,
          accepted BIGINT NOT NULL,
          rejected BIGINT NOT NULL,
          close_side TEXT NOT NULL,
          close_reason TEXT NOT NULL
        )`,
      ],
    },
  },
  {
    version: 2,
    // The reports and the retention prune read by time, most often for one worker or one pool.
    name: 'indexes for reports and retention',
    sql: {
      sqlite: [
        'CREATE INDEX shares_time ON shares (time)',
        'CREATE INDEX shares_worker_time ON shares (worker, time)',
        'CREATE INDEX shares_pool_time ON shares (pool, time)',
        'CREATE INDEX connections_closed_at ON connections (closed_at)',
      ],
      postgres: [
        'CREATE INDEX shares_time ON shares (time)',
        'CREATE INDEX shares_worker_time ON shares (worker, time)',
        'CREATE INDEX shares_pool_time ON shares (pool, time)',
        'CREATE INDEX connections_closed_at ON connections (closed_at)',
      ],
    },
  },
]);

/** The schema version this program writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The bookkeeping table itself (created before any migration, inside the same lock). */
export const SCHEMA_MIGRATIONS_DDL: Readonly<Record<Dialect, string>> = {
  sqlite: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  postgres: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
};

/** The migrations to apply on top of `applied` up to `target`, in order. */
export function pendingMigrations(applied: readonly number[], target: number = LATEST_SCHEMA_VERSION): Migration[] {
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => m.version <= target && !done.has(m.version));
}

/**
 * Forward only: a database a newer program has migrated is left alone.
 * @throws JournalError SRL_ERR_JOURNAL_MIGRATION
 */
export function refuseNewer(applied: readonly number[]): void {
  const newest = applied.length === 0 ? 0 : Math.max(...applied);
  if (newest > LATEST_SCHEMA_VERSION) {
    throw new JournalError(
      'SRL_ERR_JOURNAL_MIGRATION',
      `the journal's schema is version ${newest}, newer than this program's ${LATEST_SCHEMA_VERSION}: upgrade stratum-proxy (migrations only go forward)`,
    );
  }
}
