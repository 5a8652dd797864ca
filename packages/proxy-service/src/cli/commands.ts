import type { CommandHelp } from '@stratum-relay/config';

/**
 * stratum-proxy's subcommands, for `--help`. The bin shim (bin/stratum-proxy.js) sends `status`,
 * `init`, `check-config` and `--version` to cli/command-main.js and `shares`/`report` to
 * journal-main.js before the relay loads; a test keeps its list and this one the same.
 */
export const PROXY_COMMANDS: readonly CommandHelp[] = Object.freeze([
  { usage: 'run [options]', description: 'Run the relay; the default, so plain options run it too.' },
  { usage: 'status [--url URL] [--token-file F]', description: 'Summary of a running instance: pools, miners, hashrate, shares, rejects.' },
  { usage: 'init [--format yaml|json|toml] [-o FILE]', description: 'Write an example config with every option and its default.' },
  { usage: 'check-config FILE [options]', description: 'Validate a config file, print the effective config (secrets hidden).' },
  { usage: 'shares [options]', description: "The share journal's rows, newest first (SHARE_JOURNAL)." },
  { usage: 'report [options]', description: 'Per worker, pool or hour from the share journal.' },
]);

/** The words the bin shim sends to cli/command-main.js. */
export const TOOL_COMMANDS: readonly string[] = Object.freeze(['status', 'init', 'check-config', '--version', '-V']);
