/** What a stratum-proxy subcommand touches of the outside world, injected so tests run it in-process. */
export interface CommandIo {
  /** stdout. */
  readonly out: (text: string) => void;
  /** stderr. */
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit codes of the subcommands, the same as the relay's: 0 ok, 1 failed, 2 bad usage or config. */
export const COMMAND_EXIT = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2 });

/** The flags' problems as `stratum-proxy <command>: …` lines and the hint to --help. */
export function usageErrorText(command: string, problems: readonly string[]): string {
  return `${problems.map((p) => `stratum-proxy ${command}: ${p}\n`).join('')}Try 'stratum-proxy ${command} --help'.\n`;
}
