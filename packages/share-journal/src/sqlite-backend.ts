import Database from 'better-sqlite3';
import { JournalError } from './errors';
import type { JournalBackend, JournalBatch, JournalTable } from './journal-backend';
import type { ConnectionRow, ShareRow, StoredShare } from './journal-rows';
import { LATEST_SCHEMA_VERSION, pendingMigrations, refuseNewer, SCHEMA_MIGRATIONS_DDL } from './migrations';
import { CONNECTION_COLUMNS, SHARE_COLUMNS, shareWhere, storedShare, type ShareFilter } from './share-query';

export interface SqliteBackendOptions {
  readonly path: string;
  /** Reports open the file read-only and never create it. */
  readonly readonly?: boolean;
  /**
   * How long a write waits for another writer's lock (WORKERS > 1 share the file) before it fails
   * and the writer retries later. better-sqlite3 waits synchronously, on the caller's thread: keep
   * it short when that is an event loop (default 50 ms); JournalThreadBackend passes a longer one.
   */
  readonly busyTimeoutMs?: number;
}

const SHARE_INSERT = `INSERT INTO shares (${SHARE_COLUMNS.join(', ')}) VALUES (${SHARE_COLUMNS.map(() => '?').join(', ')})`;
const CONNECTION_INSERT = `INSERT INTO connections (${CONNECTION_COLUMNS.join(', ')}) VALUES (${CONNECTION_COLUMNS.map(() => '?').join(', ')})`;

/** Errors after which the same handle can go on (another writer holds the lock). */
const TRANSIENT = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

/**
 * The embedded journal: one SQLite file in WAL mode (readers never block the writer; several
 * worker processes append to the same file, serialized by SQLite's lock). better-sqlite3 is
 * synchronous: each call runs on the caller's thread (a 1,000-row batch takes a few ms, tens under
 * load: bench/journal-bench.js). The relay therefore writes through JournalThreadBackend, which
 * runs this class on a worker thread; the CLI, a short-lived reader, uses it directly.
 */
export class SqliteBackend implements JournalBackend {
  readonly dialect = 'sqlite' as const;
  private db: Database.Database | null = null;
  private statements: { share: Database.Statement; connection: Database.Statement } | null = null;

  constructor(private readonly options: SqliteBackendOptions) {
    this.db = this.open();
  }

  async migrate(target: number = LATEST_SCHEMA_VERSION): Promise<number[]> {
    const db = this.handle();
    const apply = db.transaction((): number[] => {
      db.exec(SCHEMA_MIGRATIONS_DDL.sqlite);
      const applied = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
      refuseNewer(applied);
      const done: number[] = [];
      for (const m of pendingMigrations(applied, target)) {
        for (const sql of m.sql.sqlite) db.exec(sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        done.push(m.version);
      }
      return done;
    });
    // IMMEDIATE: take the write lock before reading the versions, so two processes never both apply one.
    const done = apply.immediate();
    this.statements = null;
    return done;
  }

  async schemaVersions(): Promise<number[]> {
    const db = this.handle();
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (exists === undefined) return [];
    return (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
  }

  async write(batch: JournalBatch): Promise<void> {
    try {
      const db = this.handle();
      const s = (this.statements ??= { share: db.prepare(SHARE_INSERT), connection: db.prepare(CONNECTION_INSERT) });
      db.transaction(() => {
        for (const row of batch.shares) s.share.run(shareValues(row));
        for (const row of batch.connections) s.connection.run(connectionValues(row));
      })();
    } catch (error) {
      this.afterFailure(error);
      throw error;
    }
  }

  async pruneChunk(beforeMs: number, limit: number): Promise<number> {
    try {
      const db = this.handle();
      const shares = db.prepare('DELETE FROM shares WHERE id IN (SELECT id FROM shares WHERE time < ? ORDER BY time LIMIT ?)').run(beforeMs, limit);
      const connections = db
        .prepare('DELETE FROM connections WHERE id IN (SELECT id FROM connections WHERE closed_at < ? ORDER BY closed_at LIMIT ?)')
        .run(beforeMs, limit);
      return shares.changes + connections.changes;
    } catch (error) {
      this.afterFailure(error);
      throw error;
    }
  }

  async listShares(filter: ShareFilter, limit: number | null): Promise<StoredShare[]> {
    const where = shareWhere(filter, 'sqlite');
    const sql = `SELECT * FROM shares ${where.sql} ORDER BY time DESC, id DESC${limit === null ? '' : ' LIMIT ?'}`;
    const params = limit === null ? where.params : [...where.params, limit];
    return (this.handle().prepare(sql).all(...params) as Record<string, unknown>[]).map(storedShare);
  }

  async scanShares(filter: ShareFilter, onRow: (row: StoredShare) => void): Promise<void> {
    const where = shareWhere(filter, 'sqlite');
    const statement = this.handle().prepare(`SELECT * FROM shares ${where.sql} ORDER BY id`);
    for (const r of statement.iterate(...where.params)) onRow(storedShare(r as Record<string, unknown>));
  }

  async countRows(table: JournalTable): Promise<number> {
    const row = this.handle().prepare(`SELECT COUNT(*) AS n FROM ${table === 'shares' ? 'shares' : 'connections'}`).get() as { n: number };
    return row.n;
  }

  async close(): Promise<void> {
    this.statements = null;
    const db = this.db;
    this.db = null;
    db?.close();
  }

  private open(): Database.Database {
    const readonly = this.options.readonly === true;
    let db: Database.Database;
    try {
      db = new Database(this.options.path, { readonly, fileMustExist: readonly });
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(this.options.busyTimeoutMs ?? 50))}`);
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        // In WAL mode NORMAL loses no committed transaction when the process dies (only on an OS crash).
        db.pragma('synchronous = NORMAL');
      }
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new JournalError('SRL_ERR_JOURNAL_OPEN', `cannot open the SQLite journal ${this.options.path}: ${why}`, { cause: error });
    }
    return db;
  }

  private handle(): Database.Database {
    if (this.db === null) {
      this.db = this.open();
      this.statements = null;
    }
    return this.db;
  }

  /** A lock held elsewhere passes; anything else (I/O error, file replaced) reopens the file next time. */
  private afterFailure(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && TRANSIENT.has(code)) return;
    this.statements = null;
    try {
      this.db?.close();
    } catch {
      // already unusable; dropped either way
    }
    this.db = null;
  }
}

function shareValues(r: ShareRow): unknown[] {
  return [
    r.time,
    r.worker,
    r.pool,
    r.jobId,
    r.difficulty,
    r.result,
    r.reason,
    r.audit,
    r.shareDifficulty,
    r.blockCandidate ? 1 : 0,
    r.latencyMs,
    r.connectionId,
    r.remoteAddress,
  ];
}

function connectionValues(r: ConnectionRow): unknown[] {
  return [
    r.connectionId,
    r.openedAt,
    r.closedAt,
    r.worker,
    r.pool,
    r.remoteAddress,
    r.remotePort,
    r.bytesSent,
    r.bytesReceived,
    r.submits,
    r.accepted,
    r.rejected,
    r.closeSide,
    r.closeReason,
  ];
}
