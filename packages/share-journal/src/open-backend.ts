import type { JournalBackend } from './journal-backend';
import type { JournalTarget } from './journal-target';
import { PostgresBackend } from './postgres-backend';
import { SqliteBackend } from './sqlite-backend';
import { SqliteThreadBackend } from './sqlite-thread-backend';

export interface OpenBackendOptions {
  /** Reading only (the CLI): SQLite opens the file read-only and never creates it. */
  readonly readonly?: boolean;
  readonly applicationName?: string;
}

/**
 * The backend for a parsed SHARE_JOURNAL. A SQLite file is opened at once (a missing directory
 * fails here, at start); the relay's writes then go through a worker thread that owns the
 * connection (SqliteThreadBackend), while a reader (the CLI, a short-lived process) reads on its
 * own thread. PostgreSQL connects on the first query.
 * @throws JournalError SRL_ERR_JOURNAL_OPEN
 */
export function openJournalBackend(target: JournalTarget, options: OpenBackendOptions = {}): JournalBackend {
  if (target.kind === 'sqlite') {
    return options.readonly === true ? new SqliteBackend({ path: target.path, readonly: true }) : new SqliteThreadBackend({ path: target.path });
  }
  return new PostgresBackend({ url: target.url, ...(options.applicationName !== undefined ? { applicationName: options.applicationName } : {}) });
}
