export type JournalErrorCode =
  /** SHARE_JOURNAL / --journal is neither a file path nor a postgres:// URL that parses. */
  | 'SRL_ERR_JOURNAL_TARGET'
  /** The database could not be opened (a missing directory, a file that is not a database). */
  | 'SRL_ERR_JOURNAL_OPEN'
  /** The schema is newer than this program, or a migration failed. */
  | 'SRL_ERR_JOURNAL_MIGRATION'
  /** A report or listing was asked of a database that is not a share journal. */
  | 'SRL_ERR_JOURNAL_NOT_A_JOURNAL'
  /** A `shares` / `report` command line that cannot be run (the message says which flag). */
  | 'SRL_ERR_JOURNAL_USAGE';

/**
 * Base error of the share journal. Messages are written for the operator (the CLI prints them on
 * one line); tests assert on `.code`. The underlying failure is the `cause`.
 */
export class JournalError extends Error {
  readonly code: JournalErrorCode;
  constructor(code: JournalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalError';
    this.code = code;
  }
}
