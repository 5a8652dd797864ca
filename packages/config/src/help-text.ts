import { CONFIG_FILE_ENV, CONFIG_FILE_FLAG, OPTIONS, OPTIONS_BY_KEY, type OptionMeta } from './options';
import { defaultOf } from './option-value';
import { RESTART_ONLY_KEYS } from './restart-only-keys';

function showDefault(option: OptionMeta): string {
  const value = defaultOf(option.key);
  if (value === undefined) return option.required ?? 'required';
  if (value === null) return 'default none';
  return `default ${String(value)}`;
}

/** A subcommand the program has beside running: how it is called and one line on what it does. */
export interface CommandHelp {
  readonly usage: string;
  readonly description: string;
}

/**
 * `--help` text, derived from the option table and the schema: each option's flag, environment
 * variable, default (or "required") and description, so it cannot drift from what is accepted.
 * `commands` are listed first when the program has any (stratum-proxy's come from its cli/).
 */
export function helpText(programName = 'stratum-proxy', commands: readonly CommandHelp[] = []): string {
  const rows = OPTIONS.map((o) => ({
    left: `${o.flag} ${o.valueName}`,
    env: o.env,
    right: showDefault(o),
    description: o.description,
  }));
  rows.push({
    left: `${CONFIG_FILE_FLAG} <file>`,
    env: CONFIG_FILE_ENV,
    right: '',
    description:
      'Config file of options by key, JSON, YAML (.yaml, .yml) or TOML (.toml) by its extension, e.g. {"pools": ["stratum+tcp://pool.example.com:3333"], "allowFrom": ["10.0.0.0/8"]}; `stratum-proxy init` writes a commented one.',
  });
  const leftWidth = Math.max(...rows.map((r) => r.left.length));
  const envWidth = Math.max(...rows.map((r) => r.env.length));
  const lines = [
    `Usage: ${programName} ${commands.length > 0 ? '[command] ' : ''}[options]`,
    '',
    'Transparent Stratum V1 relay proxy for Bitcoin miners, with Prometheus metrics.',
    '',
  ];
  if (commands.length > 0) {
    const width = Math.max(...commands.map((c) => c.usage.length));
    lines.push('Commands:');
    for (const c of commands) lines.push(`  ${c.usage.padEnd(width)}  ${c.description}`);
    lines.push('');
  }
  lines.push(
    'Every option can be set by command-line flag (--name value or --name=value), by environment',
    'variable, or by key in a config file (JSON, YAML or TOML). Precedence, highest first: flags,',
    'environment, config file, defaults. Booleans: true/false/1/0/yes/no (a bare flag means true,',
    '--no-<name> false). Lists (pools, address ranges) are comma-separated; in the config file,',
    'arrays. An option whose default is none can be set to none (null in a JSON or YAML file);',
    'descriptions say what none and 0 mean. Every *-ms option takes milliseconds or a duration with',
    'a unit: 500ms, 30s, 10m, 1h. Relative paths are relative to the working directory.',
    '',
    'Options:',
  );
  for (const row of rows) {
    lines.push(`  ${row.left.padEnd(leftWidth)}  ${row.env.padEnd(envWidth)}  ${row.right}`.trimEnd());
    lines.push(`      ${row.description}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(leftWidth)}  ${''.padEnd(envWidth)}`.trimEnd());
  lines.push('      Print this help and exit.');
  lines.push(`  ${'-V, --version'.padEnd(leftWidth)}  ${''.padEnd(envWidth)}`.trimEnd());
  lines.push('      Print the version (and the commit when known) and exit.');
  lines.push(
    '',
    'On SIGINT/SIGTERM the proxy stops accepting, lets open connections finish for up to',
    '--drain-timeout-ms, closes the rest and exits 0; a second signal closes everything at once',
    'and exits 128 + signal number (130 for SIGINT, 143 for SIGTERM).',
    `On SIGHUP the configuration is loaded again and certificate, CA and token files re-read; a new`,
    `${restartOnlyFlags()} takes a restart.`,
    'With --workers above 1, signal the primary (the process started): it drains every worker on',
    'SIGINT/SIGTERM, relays SIGHUP to each, and on SIGUSR2 replaces the workers one by one.',
    'Exit codes: 0 ok, 1 cannot start (e.g. port in use), 2 invalid configuration.',
  );
  return `${lines.join('\n')}\n`;
}

/** "--proxy-host, --proxy-port, … or --log-format", from RESTART_ONLY_KEYS. */
function restartOnlyFlags(): string {
  const flags = [...RESTART_ONLY_KEYS].map((key) => OPTIONS_BY_KEY.get(key)?.flag ?? key);
  return flags.length > 1 ? `${flags.slice(0, -1).join(', ')} or ${flags[flags.length - 1]}` : flags.join('');
}
