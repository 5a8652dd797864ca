import { buildCommit, versionLine } from '@stratum-relay/config';
import { VERSION } from '../version';
import { runCheckConfigCommand } from './check-config-command';
import { COMMAND_EXIT, type CommandIo } from './command-io';
import { runInitCommand } from './init-command';
import { runStatusCommand } from './status-command';

/** The `--version` line, with the commit when the program runs from a git checkout. */
export function proxyVersionLine(): string {
  return versionLine('stratum-proxy', VERSION, buildCommit(__dirname));
}

/**
 * Run `stratum-proxy <command> …` for the commands that do not start the relay; resolves with
 * the exit code. `command` is one of TOOL_COMMANDS (the bin shim checked).
 */
export async function runProxyCommand(command: string, argv: readonly string[], io: CommandIo): Promise<number> {
  switch (command) {
    case '--version':
    case '-V':
      io.out(proxyVersionLine());
      return COMMAND_EXIT.OK;
    case 'status':
      return runStatusCommand(argv, io);
    case 'init':
      return runInitCommand(argv, io);
    case 'check-config':
      return runCheckConfigCommand(argv, io);
    default:
      io.err(`stratum-proxy: unknown command ${JSON.stringify(command)} (see stratum-proxy --help)\n`);
      return COMMAND_EXIT.USAGE;
  }
}
