import { Pool, type PoolClient } from 'pg';
import type { JournalBackend, JournalBatch, JournalTable } from './journal-backend';
import type { StoredShare } from './journal-rows';
import { LATEST_SCHEMA_VERSION, pendingMigrations, refuseNewer, SCHEMA_MIGRATIONS_DDL } from './migrations';
import { CONNECTION_COLUMNS, SHARE_COLUMNS, shareWhere, storedShare, type ShareFilter } from './share-query';

export interface PostgresBackendOptions {
  readonly url: string;
  /** Give up on a connect after this long (the writer retries later). Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Name shown in pg_stat_activity. */
  readonly applicationName?: string;
}

/** pg_advisory_xact_lock key for migrations ("STRJ"): processes starting together migrate one at a time. */
const MIGRATION_LOCK = 0x5354524a;
/** Rows per FETCH of a report's cursor. */
const SCAN_CHUNK = 5000;

// One INSERT per table whatever the batch size: each column is one array parameter, unnest() turns
// them back into rows (13 parameters instead of 13 per row, no 65,535-parameter limit).
const SHARE_TYPES = ['bigint', 'text', 'text', 'text', 'float8', 'text', 'text', 'text', 'float8', 'boolean', 'float8', 'bigint', 'text'];
const CONNECTION_TYPES = ['bigint', 'bigint', 'bigint', 'text', 'text', 'text', 'integer', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'text', 'text'];
const SHARE_INSERT = `INSERT INTO shares (${SHARE_COLUMNS.join(', ')}) SELECT * FROM unnest(${SHARE_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
const CONNECTION_INSERT = `INSERT INTO connections (${CONNECTION_COLUMNS.join(', ')}) SELECT * FROM unnest(${CONNECTION_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;

/**
 * The journal for fleets: PostgreSQL through `pg`, a small pool (the writer and the pruner). A
 * server that restarts or goes away makes queries reject; the pool drops the broken connections
 * (its 'error' event is handled here, or Node would crash the relay) and the next query connects
 * again.
 */
export class PostgresBackend implements JournalBackend {
  readonly dialect = 'postgres' as const;
  private readonly pool: Pool;
  /** Errors of idle connections (a server restart): seen, never thrown. */
  idleErrors = 0;

  constructor(options: PostgresBackendOptions) {
    this.pool = new Pool({
      connectionString: options.url,
      max: 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'stratum-proxy',
    });
    this.pool.on('error', () => {
      this.idleErrors++;
    });
  }

  async migrate(target: number = LATEST_SCHEMA_VERSION): Promise<number[]> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(SCHEMA_MIGRATIONS_DDL.postgres);
      const applied = (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version));
      refuseNewer(applied);
      const done: number[] = [];
      for (const m of pendingMigrations(applied, target)) {
        for (const sql of m.sql.postgres) await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        done.push(m.version);
      }
      return done;
    });
  }

  async schemaVersions(): Promise<number[]> {
    const exists = await this.pool.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
    if (exists.rows[0]?.present !== true) return [];
    return (await this.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version));
  }

  async write(batch: JournalBatch): Promise<void> {
    await this.transaction(async (client) => {
      if (batch.shares.length > 0) {
        const s = batch.shares;
        await client.query(SHARE_INSERT, [
          s.map((r) => r.time),
          s.map((r) => r.worker),
          s.map((r) => r.pool),
          s.map((r) => r.jobId),
          s.map((r) => r.difficulty),
          s.map((r) => r.result),
          s.map((r) => r.reason),
          s.map((r) => r.audit),
          s.map((r) => r.shareDifficulty),
          s.map((r) => r.blockCandidate),
          s.map((r) => r.latencyMs),
          s.map((r) => r.connectionId),
          s.map((r) => r.remoteAddress),
        ]);
      }
      if (batch.connections.length > 0) {
        const c = batch.connections;
        await client.query(CONNECTION_INSERT, [
          c.map((r) => r.connectionId),
          c.map((r) => r.openedAt),
          c.map((r) => r.closedAt),
          c.map((r) => r.worker),
          c.map((r) => r.pool),
          c.map((r) => r.remoteAddress),
          c.map((r) => r.remotePort),
          c.map((r) => r.bytesSent),
          c.map((r) => r.bytesReceived),
          c.map((r) => r.submits),
          c.map((r) => r.accepted),
          c.map((r) => r.rejected),
          c.map((r) => r.closeSide),
          c.map((r) => r.closeReason),
        ]);
      }
    });
  }

  async pruneChunk(beforeMs: number, limit: number): Promise<number> {
    const shares = await this.pool.query('DELETE FROM shares WHERE id IN (SELECT id FROM shares WHERE time < $1 ORDER BY time LIMIT $2)', [beforeMs, limit]);
    const connections = await this.pool.query(
      'DELETE FROM connections WHERE id IN (SELECT id FROM connections WHERE closed_at < $1 ORDER BY closed_at LIMIT $2)',
      [beforeMs, limit],
    );
    return (shares.rowCount ?? 0) + (connections.rowCount ?? 0);
  }

  async listShares(filter: ShareFilter, limit: number | null): Promise<StoredShare[]> {
    const where = shareWhere(filter, 'postgres');
    const params = limit === null ? where.params : [...where.params, limit];
    const sql = `SELECT * FROM shares ${where.sql} ORDER BY time DESC, id DESC${limit === null ? '' : ` LIMIT $${params.length}`}`;
    return (await this.pool.query(sql, params)).rows.map(storedShare);
  }

  async scanShares(filter: ShareFilter, onRow: (row: StoredShare) => void): Promise<void> {
    const where = shareWhere(filter, 'postgres');
    // A cursor inside a read-only transaction: a report over millions of rows holds one chunk at a time.
    await this.transaction(async (client) => {
      await client.query(`DECLARE journal_scan NO SCROLL CURSOR FOR SELECT * FROM shares ${where.sql} ORDER BY id`, where.params);
      for (;;) {
        const chunk = await client.query(`FETCH ${SCAN_CHUNK} FROM journal_scan`);
        for (const r of chunk.rows) onRow(storedShare(r as Record<string, unknown>));
        if (chunk.rows.length < SCAN_CHUNK) break;
      }
    });
  }

  async countRows(table: JournalTable): Promise<number> {
    const result = await this.pool.query(`SELECT COUNT(*) AS n FROM ${table === 'shares' ? 'shares' : 'connections'}`);
    return Number(result.rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's: a server going away mid-transaction
    // would be an unhandled 'error' event, which kills the process (the relay). Caught here; the
    // query in flight rejects on its own.
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection itself failed: it must not go back to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }
}
