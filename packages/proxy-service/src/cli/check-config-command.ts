import { ConfigError, loadConfig, maskedConfig } from '@stratum-relay/config';
import { configErrorText } from '../cli';
import { COMMAND_EXIT, usageErrorText, type CommandIo } from './command-io';

export const CHECK_CONFIG_HELP = `Usage: stratum-proxy check-config FILE [options]

Validate a config file (JSON, YAML or TOML by its extension) the way the relay loads it at start:
with the environment and any options given after FILE, which take precedence as when running.
Prints the effective config as JSON on stdout, secrets hidden and URL passwords masked, or every
problem on stderr.

Exit status: 0 valid, 2 invalid (or no FILE).
`;

/** `stratum-proxy check-config FILE [options]`; resolves with the exit code. */
export function runCheckConfigCommand(argv: readonly string[], io: CommandIo): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(CHECK_CONFIG_HELP);
    return COMMAND_EXIT.OK;
  }
  const [file, ...options] = argv;
  if (file === undefined || file.startsWith('-')) {
    io.err(usageErrorText('check-config', ['expected the config file to check first: stratum-proxy check-config FILE [options]']));
    return COMMAND_EXIT.USAGE;
  }
  let effective: Record<string, unknown>;
  try {
    effective = maskedConfig(loadConfig({ argv: ['--config', file, ...options], env: io.env }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(configErrorText(error));
    io.err(`${file}: invalid (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'})\n`);
    return COMMAND_EXIT.USAGE;
  }
  io.out(`${JSON.stringify(effective, null, 2)}\n`);
  io.err(`${file}: valid\n`);
  return COMMAND_EXIT.OK;
}
