import { stringify as yamlStringify } from 'yaml';
import { stringify as tomlStringify } from 'smol-toml';
import type { ConfigKey } from './schema';
import { CONFIG_FILE_ENV, CONFIG_FILE_FLAG, OPTIONS, type OptionMeta } from './options';
import { defaultOf } from './option-value';
import { formatDuration, isDurationKey } from './duration';
import type { ConfigFileFormat } from './config-file-format';

/** The pool the example names; an operator replaces it (the only option without a default). */
export const EXAMPLE_POOL = 'stratum+tcp://pool.example.com:3333';

/**
 * POOL_HOST/POOL_PORT are the one-pool shortcut for POOLS and cannot be set beside it: the JSON
 * example, which cannot comment an option out, leaves them out; YAML and TOML show them commented.
 */
const SHORTCUT_KEYS: ReadonlySet<ConfigKey> = new Set(['poolHost', 'poolPort']);

const WIDTH = 98;

/** `text` as `# ` lines of at most WIDTH characters. */
function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line.length + 1 + word.length > WIDTH && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** The value the example shows: the default (durations as `10m`), or the example pool; none for TOML, which has no null. */
function exampleValue(option: OptionMeta, format: ConfigFileFormat): unknown {
  if (option.key === 'pools') return [EXAMPLE_POOL];
  if (option.key === 'poolHost') return 'pool.example.com';
  const value = defaultOf(option.key);
  if (value === null) return format === 'toml' ? 'none' : null;
  if (typeof value === 'number' && isDurationKey(option.key) && format !== 'json') return formatDuration(value);
  return value;
}

/** One `key: value` (YAML) or `key = value` (TOML) line; lists in the flow form both read. */
function assignment(key: string, value: unknown, format: 'yaml' | 'toml'): string {
  if (Array.isArray(value)) return `${key}${format === 'yaml' ? ':' : ' ='} [${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return (format === 'yaml' ? yamlStringify({ [key]: value }) : tomlStringify({ [key]: value })).trimEnd();
}

function header(format: ConfigFileFormat): string[] {
  return commentLines(
    `stratum-relay configuration (${format.toUpperCase()}), written by \`stratum-proxy init\` from the option table, so every ` +
      `option is here with its default. Load it with ${CONFIG_FILE_FLAG} FILE or ${CONFIG_FILE_ENV}=FILE; check it with ` +
      '`stratum-proxy check-config FILE`. Precedence, highest first: flags, environment, this file, defaults. ' +
      'Options shown commented out (#key) keep their default: remove the # to change one. ' +
      'Times (*Ms keys) take milliseconds or a duration: 500ms, 30s, 10m, 1h.' +
      (format === 'toml' ? ' TOML has no null: "none" stands for it.' : ''),
  );
}

/**
 * A commented example config for `stratum-proxy init`, generated from OPTIONS and the schema's
 * defaults so it cannot drift from what the loader accepts: each option's description, its
 * environment variable and flag, and its default. In YAML and TOML every option but `pools` is
 * commented out as `#key: default`, so the file does not pin today's defaults; JSON has no
 * comments, so there every option is set to its default (and the POOL_HOST shortcut left out).
 */
export function exampleConfig(format: ConfigFileFormat): string {
  if (format === 'json') {
    const entries = OPTIONS.filter((o) => !SHORTCUT_KEYS.has(o.key)).map((o) => [o.key, exampleValue(o, format)] as const);
    return `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`;
  }
  const lines = [...header(format)];
  for (const option of OPTIONS) {
    const where = `${option.env} / ${option.flag}${option.required === undefined ? '' : `; ${option.required}`}`;
    lines.push('', ...commentLines(option.description), `# (${where})`);
    const line = assignment(option.key, exampleValue(option, format), format);
    lines.push(option.key === 'pools' ? line : `#${line}`);
  }
  return `${lines.join('\n')}\n`;
}
