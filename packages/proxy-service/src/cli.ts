import { constants } from 'node:os';
import { ConfigError } from '@stratum-relay/config';
import { ProxyServiceError } from './errors';
import type { ShutdownResult } from './service';

/**
 * Exit codes of stratum-proxy:
 * - 0: `--help`, or a shutdown after SIGINT/SIGTERM (even if the drain deadline closed some connections);
 * - 1: could not start (port in use, cannot listen, …) or something failed while shutting down;
 * - 2: invalid configuration (every problem printed on stderr, one per line);
 * - 128 + signal number (130 for SIGINT, 143 for SIGTERM): a second signal cut the drain short.
 */
export const EXIT_CODES = Object.freeze({ OK: 0, START_FAILED: 1, CONFIG: 2 });

/** stderr text for a config failure: one `config error: …` line per problem. */
export function configErrorText(error: unknown): string {
  if (error instanceof ConfigError) return error.problems.map((p) => `config error: ${p}\n`).join('');
  return `config error: ${error instanceof Error ? error.message : String(error)}\n`;
}

/** The one stderr line for a start failure. */
export function startErrorLine(error: unknown): string {
  if (error instanceof ProxyServiceError) return error.message;
  return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
}

/** 128 + the signal's number, the shell convention for "ended by a signal". */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Exit code after a shutdown; `abortedBy` is the signal that cut the drain short, if any. */
export function shutdownExitCode(result: ShutdownResult, abortedBy: NodeJS.Signals | undefined): number {
  if (result.aborted && abortedBy !== undefined) return signalExitCode(abortedBy);
  return result.ok ? EXIT_CODES.OK : EXIT_CODES.START_FAILED;
}
