import type { JournalBackend } from './journal-backend';
import type { JournalTarget } from './journal-target';
import { PostgresBackend } from './postgres-backend';
import { SqliteBackend } from './sqlite-backend';
import { JournalThreadBackend } from './journal-thread-backend';

export interface OpenBackendOptions {
  /** Reading only (the CLI): SQLite opens the file read-only and never creates it. */
  readonly readonly?: boolean;
  readonly applicationName?: string;
}

/**
 * The backend for a parsed SHARE_JOURNAL. The relay writes through a worker thread that owns the
 * connection (JournalThreadBackend); a reader (the CLI, a short-lived process) reads on its own
 * thread. A SQLite file is opened at once (a missing directory fails here, at start); PostgreSQL
 * connects on the first query.
 * @throws JournalError SRL_ERR_JOURNAL_OPEN
 */
export function openJournalBackend(target: JournalTarget, options: OpenBackendOptions = {}): JournalBackend {
  const applicationName = options.applicationName !== undefined ? { applicationName: options.applicationName } : {};
  if (options.readonly !== true) return new JournalThreadBackend({ target, ...applicationName });
  if (target.kind === 'sqlite') return new SqliteBackend({ path: target.path, readonly: true });
  return new PostgresBackend({ url: target.url, ...applicationName });
}
