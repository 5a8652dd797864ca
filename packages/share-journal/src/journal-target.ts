import { resolve } from 'node:path';
import { JournalError } from './errors';

/** Where the journal lives: a SQLite file, or a PostgreSQL database. */
export type JournalTarget = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

const POSTGRES_SCHEMES = /^postgres(ql)?:\/\//i;
/** Any other `scheme://` is a mistake, not a file name (mysql://, sqlite://). */
const OTHER_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * SHARE_JOURNAL's value: a `postgres://` (or `postgresql://`) URL is PostgreSQL, anything else a
 * SQLite file path (resolved against `cwd`).
 * @throws JournalError SRL_ERR_JOURNAL_TARGET for an empty value, another URL scheme or a URL that does not parse.
 */
export function parseJournalTarget(value: string, cwd: string = process.cwd()): JournalTarget {
  const text = value.trim();
  if (text === '') throw new JournalError('SRL_ERR_JOURNAL_TARGET', 'the journal is empty: expected a file path or a postgres:// URL');
  if (POSTGRES_SCHEMES.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch (error) {
      throw new JournalError('SRL_ERR_JOURNAL_TARGET', `${redactJournalTarget(text)} is not a valid postgres:// URL`, { cause: error });
    }
    if (url.hostname === '' && !url.searchParams.has('host')) {
      throw new JournalError('SRL_ERR_JOURNAL_TARGET', `${redactJournalTarget(text)} names no host (postgres://user:password@host:5432/database)`);
    }
    return { kind: 'postgres', url: text };
  }
  if (OTHER_URL.test(text)) {
    throw new JournalError('SRL_ERR_JOURNAL_TARGET', `${redactJournalTarget(text)}: only file paths (SQLite) and postgres:// URLs are journals`);
  }
  return { kind: 'sqlite', path: resolve(cwd, text) };
}

/** The journal's value with any password replaced, for logs, errors and /status. */
export function redactJournalTarget(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}
