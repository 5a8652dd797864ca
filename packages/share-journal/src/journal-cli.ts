import { parseDuration } from './duration';
import { JournalError } from './errors';
import type { JournalBackend } from './journal-backend';
import { SHARE_RESULTS, type ShareResult } from './journal-rows';
import { parseJournalTarget } from './journal-target';
import { LATEST_SCHEMA_VERSION } from './migrations';
import { openJournalBackend } from './open-backend';
import { formatReport, formatShares, OUTPUT_FORMATS, type OutputFormat } from './report-format';
import type { ShareFilter } from './share-query';
import { REPORT_GROUPINGS, ShareReportBuilder, type ReportGrouping } from './share-report';

export const JOURNAL_COMMANDS = ['shares', 'report'] as const;
export type JournalCommand = (typeof JOURNAL_COMMANDS)[number];

/** Exit codes of `stratum-proxy shares|report`: 0 done, 1 the journal could not be read, 2 a bad command line. */
export const JOURNAL_EXIT = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2 });

export interface JournalCommandOptions {
  readonly command: JournalCommand;
  readonly journal: string;
  readonly sinceMs: number | null;
  readonly worker: string | null;
  readonly pool: string | null;
  readonly result: ShareResult | null;
  readonly format: OutputFormat;
  readonly by: ReportGrouping | null;
  /** `shares`: rows shown at most (null: all). */
  readonly limit: number | null;
}

const DEFAULT_LIMIT = 1000;

export const JOURNAL_USAGE = `usage:
  stratum-proxy shares --journal <file|postgres://…> [--since 1h] [--worker W] [--pool P]
                       [--result accepted|rejected|timeout|lost] [--format table|json|csv] [--limit N|none]
      the journal's shares, newest first (at most ${DEFAULT_LIMIT} unless --limit)
  stratum-proxy report --journal <file|postgres://…> [--since 24h] [--worker W] [--pool P]
                       [--by worker|pool|hour] [--format table|json|csv]
      accepted, rejected by reason, timeouts and lost, accepted difficulty and the hashrate it
      implies, answer latency (median, p99), and the share audit's disagreements with the pool
      (valid shares it rejected, invalid shares it accepted) with their row ids
  durations: 90s, 30m, 1h, 24h, 7d, 2w
`;

/** `stratum-proxy <argv>` is a journal command (its first word). */
export function isJournalCommand(argv: readonly string[]): boolean {
  return (JOURNAL_COMMANDS as readonly string[]).includes(argv[0] ?? '');
}

function usage(command: string, message: string): JournalError {
  return new JournalError('SRL_ERR_JOURNAL_USAGE', `stratum-proxy ${command}: ${message}`);
}

function oneOf<T extends string>(command: string, flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usage(command, `${flag} ${JSON.stringify(value)} is not valid: expected one of ${allowed.join(', ')}`);
}

/**
 * The command line after the program name (`shares --journal x --since 1h`), or `help` for
 * --help. `--flag value` and `--flag=value` both work; each flag at most once.
 * @throws JournalError SRL_ERR_JOURNAL_USAGE with a one-line message naming the flag.
 */
export function parseJournalArgs(argv: readonly string[], nowMs: number): JournalCommandOptions | 'help' {
  const command = argv[0] as JournalCommand;
  if (!isJournalCommand(argv)) throw usage(String(argv[0]), `unknown command (expected ${JOURNAL_COMMANDS.join(' or ')})`);
  const flags: readonly string[] = command === 'shares' ? ['--journal', '--since', '--worker', '--pool', '--result', '--format', '--limit'] : ['--journal', '--since', '--worker', '--pool', '--by', '--format'];
  const values = new Map<string, string>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!flags.includes(flag)) {
      throw usage(command, arg.startsWith('-') ? `unknown flag ${flag} (expected ${flags.join(', ')})` : `unexpected argument ${JSON.stringify(arg)}`);
    }
    if (values.has(flag)) throw usage(command, `${flag} is given twice`);
    let value: string | undefined;
    if (flag !== arg) value = arg.slice(eq + 1);
    else {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw usage(command, `${flag} needs a value`);
    }
    values.set(flag, value);
  }
  const journal = values.get('--journal');
  if (journal === undefined || journal === '') throw usage(command, '--journal <file|postgres://…> is required');
  const since = values.get('--since');
  let sinceMs: number | null = null;
  if (since !== undefined) {
    const ms = parseDuration(since);
    if (ms === null) throw usage(command, `--since ${JSON.stringify(since)} is not valid: expected a duration such as 30m, 1h, 24h or 7d`);
    sinceMs = nowMs - ms;
  }
  const result = values.get('--result');
  const limitText = values.get('--limit');
  let limit: number | null = command === 'shares' ? DEFAULT_LIMIT : null;
  if (limitText !== undefined) {
    if (limitText === 'none') limit = null;
    else if (/^[1-9][0-9]{0,8}$/.test(limitText)) limit = Number(limitText);
    else throw usage(command, `--limit ${JSON.stringify(limitText)} is not valid: expected a positive integer or none`);
  }
  const by = values.get('--by');
  const format = values.get('--format');
  return {
    command,
    journal,
    sinceMs,
    worker: values.get('--worker') ?? null,
    pool: values.get('--pool') ?? null,
    result: result === undefined ? null : oneOf(command, '--result', result, SHARE_RESULTS),
    format: format === undefined ? 'table' : oneOf(command, '--format', format, OUTPUT_FORMATS),
    by: by === undefined ? null : oneOf(command, '--by', by, REPORT_GROUPINGS),
    limit,
  };
}

/** Opens the journal read-only and checks that it is one this program can read. */
async function openForReading(options: JournalCommandOptions): Promise<JournalBackend> {
  const backend = openJournalBackend(parseJournalTarget(options.journal), { readonly: true, applicationName: 'stratum-proxy report' });
  try {
    const versions = await backend.schemaVersions();
    const newest = versions.length === 0 ? 0 : Math.max(...versions);
    if (newest === 0) throw new JournalError('SRL_ERR_JOURNAL_NOT_A_JOURNAL', 'this database has no share journal (no schema_migrations): is it the SHARE_JOURNAL the proxy writes?');
    if (newest > LATEST_SCHEMA_VERSION) {
      throw new JournalError('SRL_ERR_JOURNAL_MIGRATION', `the journal's schema is version ${newest}, newer than this program's ${LATEST_SCHEMA_VERSION}: use a newer stratum-proxy`);
    }
    return backend;
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw error;
  }
}

export interface JournalCommandIo {
  write(text: string): void;
  error(line: string): void;
  now(): number;
}

/** Runs `stratum-proxy shares|report …`; resolves to the exit code (never rejects). */
export async function runJournalCommand(argv: readonly string[], io: JournalCommandIo): Promise<number> {
  let options: JournalCommandOptions | 'help';
  try {
    options = parseJournalArgs(argv, io.now());
  } catch (error) {
    io.error(error instanceof Error ? error.message : String(error));
    return JOURNAL_EXIT.USAGE;
  }
  if (options === 'help') {
    io.write(JOURNAL_USAGE);
    return JOURNAL_EXIT.OK;
  }
  let backend: JournalBackend | null = null;
  try {
    backend = await openForReading(options);
    const filter: ShareFilter = { sinceMs: options.sinceMs, worker: options.worker, pool: options.pool, result: options.result };
    if (options.command === 'shares') {
      io.write(formatShares(await backend.listShares(filter, options.limit), options.format));
    } else {
      const builder = new ShareReportBuilder(options.by, options.sinceMs);
      await backend.scanShares(filter, (row) => builder.add(row));
      io.write(formatReport(builder.finish(io.now()), options.format));
    }
    return JOURNAL_EXIT.OK;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'SRL_ERR_JOURNAL_TARGET' || code === 'SRL_ERR_JOURNAL_OPEN' || code === 'SRL_ERR_JOURNAL_NOT_A_JOURNAL' || code === 'SRL_ERR_JOURNAL_MIGRATION') {
      io.error(`stratum-proxy ${options.command}: ${(error as Error).message}`);
      return code === 'SRL_ERR_JOURNAL_TARGET' ? JOURNAL_EXIT.USAGE : JOURNAL_EXIT.FAILED;
    }
    io.error(`stratum-proxy ${options.command}: cannot read the journal: ${error instanceof Error ? error.message : String(error)}`);
    return JOURNAL_EXIT.FAILED;
  } finally {
    await backend?.close().catch(() => undefined);
  }
}
