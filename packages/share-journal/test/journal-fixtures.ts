import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { startPostgres, type PostgresServer } from '@stratum-relay/integration-tests';
import { JournalThreadBackend, PostgresBackend, SqliteBackend, type ConnectionRow, type JournalBackend, type ShareRow } from '@stratum-relay/share-journal';

/** One database of one backend for one test, with what the shared suite needs to do to it from outside. */
export interface TestDatabase {
  readonly backend: JournalBackend;
  /** Another handle on the same database (a second process). */
  another(): JournalBackend;
  /** Runs SQL directly, outside the backend. */
  exec(sql: string): Promise<void>;
  /** Makes the database unavailable (PostgreSQL stopped; SQLite locked by another connection) … */
  takeAway(): Promise<void>;
  /** … and back. */
  bringBack(): Promise<void>;
  dispose(): Promise<void>;
}

export interface BackendKind {
  readonly name: 'sqlite' | 'sqlite-thread' | 'postgres' | 'postgres-thread';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  create(): Promise<TestDatabase>;
}

let databases = 0;

/** A SQLite file written in-process (SqliteBackend) or through the writer thread (JournalThreadBackend, what the relay uses). */
function sqliteKind(name: 'sqlite' | 'sqlite-thread', open: (path: string, busyTimeoutMs: number) => JournalBackend): BackendKind {
  let dir = '';
  return {
    name,
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'srl-journal-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async create(): Promise<TestDatabase> {
      const path = join(dir, `journal-${++databases}.sqlite`);
      const backend = open(path, 5);
      const opened: JournalBackend[] = [backend];
      let locker: Database.Database | null = null;
      return {
        backend,
        another() {
          const b = open(path, 1000);
          opened.push(b);
          return b;
        },
        async exec(sql) {
          const db = new Database(path);
          db.exec(sql);
          db.close();
        },
        async takeAway() {
          // Another connection holding the write lock: every write fails with SQLITE_BUSY.
          locker = new Database(path);
          locker.exec('BEGIN EXCLUSIVE');
        },
        async bringBack() {
          locker?.exec('COMMIT');
          locker?.close();
          locker = null;
        },
        async dispose() {
          locker?.close();
          for (const b of opened) await b.close().catch(() => undefined);
        },
      };
    },
  };
}

export const SQLITE = sqliteKind('sqlite', (path, busyTimeoutMs) => new SqliteBackend({ path, busyTimeoutMs }));
export const SQLITE_THREAD = sqliteKind('sqlite-thread', (path, busyTimeoutMs) => new JournalThreadBackend({ target: { kind: 'sqlite', path }, busyTimeoutMs }));

/** A PostgreSQL database written in-process (PostgresBackend) or through the writer thread (JournalThreadBackend, what the relay uses). */
function postgresKind(name: 'postgres' | 'postgres-thread', open: (url: string) => JournalBackend): BackendKind {
  let server: PostgresServer | null = null;
  return {
    name,
    async setup() {
      server = await startPostgres();
    },
    async teardown() {
      server?.stop();
      server = null;
    },
    async create(): Promise<TestDatabase> {
      if (server === null) throw new Error('PostgreSQL did not start (see the setup error)');
      const pg = server;
      const url = pg.createDatabase(`journal_${++databases}`);
      const backend = open(url);
      const opened: JournalBackend[] = [backend];
      return {
        backend,
        another() {
          const b = open(url);
          opened.push(b);
          return b;
        },
        async exec(sql) {
          const client = new Client({ connectionString: url });
          await client.connect();
          try {
            await client.query(sql);
          } finally {
            await client.end();
          }
        },
        async takeAway() {
          pg.pause();
        },
        async bringBack() {
          pg.resume();
        },
        async dispose() {
          pg.resume();
          for (const b of opened) await b.close().catch(() => undefined);
        },
      };
    },
  };
}

export const POSTGRES = postgresKind('postgres', (url) => new PostgresBackend({ url, connectTimeoutMs: 2000 }));
export const POSTGRES_THREAD = postgresKind('postgres-thread', (url) => new JournalThreadBackend({ target: { kind: 'postgres', url } }));

export function shareRow(overrides: Partial<ShareRow> = {}): ShareRow {
  return {
    time: 1_700_000_000_000,
    worker: 'rig1',
    pool: 'main',
    jobId: 'job-1',
    difficulty: 1024,
    result: 'accepted',
    reason: null,
    audit: 'valid_accepted',
    shareDifficulty: 2048.5,
    blockCandidate: false,
    latencyMs: 12.5,
    connectionId: 7,
    remoteAddress: '10.0.0.7',
    ...overrides,
  };
}

export function connectionRow(overrides: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    connectionId: 7,
    openedAt: 1_700_000_000_000,
    closedAt: 1_700_000_060_000,
    worker: 'rig1',
    pool: 'main',
    remoteAddress: '10.0.0.7',
    remotePort: 40000,
    bytesSent: 1234,
    bytesReceived: 5678,
    submits: 3,
    accepted: 2,
    rejected: 1,
    closeSide: 'miner',
    closeReason: 'end',
    ...overrides,
  };
}

/** Polls `check` every 10 ms until it holds, at most `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
