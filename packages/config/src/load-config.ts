import { readFileSync } from 'node:fs';
import { configSchema, type Config, type ConfigKey } from './schema';
import { CONFIG_FILE_ENV, CONFIG_FILE_FLAG, OPTIONS, OPTIONS_BY_KEY, type OptionMeta } from './options';
import { acceptFileValue, expectedText, parseOptionText, showValue } from './option-value';
import { describeJsonSyntaxError } from './json-position';
import { closest } from './suggest';
import { ConfigError } from './errors';

export interface LoadConfigInput {
  /** Command-line arguments without node and the script: `process.argv.slice(2)`. */
  readonly argv: readonly string[];
  /** `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const HELP_FLAGS: ReadonlySet<string> = new Set(['--help', '-h']);
const FLAGS: ReadonlyMap<string, OptionMeta> = new Map(OPTIONS.map((o) => [o.flag, o]));
const KNOWN_FLAGS: readonly string[] = [...OPTIONS.map((o) => o.flag), CONFIG_FILE_FLAG, '--help'];
const KEYS: readonly string[] = OPTIONS.map((o) => o.key);
const BOOL_WORDS: ReadonlySet<string> = new Set(['true', 'false', '1', '0', 'yes', 'no']);

/** True when the command line asks for `--help` / `-h` (the program prints helpText() and exits 0). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (HELP_FLAGS.has(arg)) return true;
  }
  return false;
}

type Layer = Map<ConfigKey, unknown>;

/** Problems found so far, and which keys had a value given that was rejected. */
class Problems {
  readonly messages: string[] = [];
  readonly rejectedKeys = new Set<ConfigKey>();
  add(message: string, rejectedKey?: ConfigKey): void {
    this.messages.push(message);
    if (rejectedKey !== undefined) this.rejectedKeys.add(rejectedKey);
  }
}

/**
 * Build the Config from, highest precedence first: CLI flags, environment variables, the JSON
 * file named by `--config` or CONFIG_FILE, the schema's defaults. This is the only code that
 * reads the environment or files.
 *
 * Every value given is checked, even one a higher-precedence source overrides: a broken
 * setting anywhere is reported rather than left to surprise the next operator.
 *
 * @throws ConfigError listing every problem found.
 */
export function loadConfig({ argv, env }: LoadConfigInput): Config {
  const problems = new Problems();
  const cli = readArgv(argv, problems);
  const fromEnv = readEnv(env, problems);

  let fileLayer: Layer = new Map();
  let fileUsable = true;
  const envFile = env[CONFIG_FILE_ENV];
  const filePath = cli.configFile ?? envFile;
  if (cli.configFile === undefined && envFile === '') {
    problems.add(`${CONFIG_FILE_ENV}: "" is not valid: expected the path of a JSON config file`);
    fileUsable = false;
  } else if (filePath !== undefined) {
    const file = readConfigFile(filePath, problems);
    if (file) fileLayer = file;
    else fileUsable = false;
  }

  const merged: Record<string, unknown> = {};
  for (const { key } of OPTIONS) {
    for (const layer of [cli.values, fromEnv, fileLayer]) {
      if (layer.has(key)) {
        merged[key] = layer.get(key);
        break;
      }
    }
  }

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path[0];
      if (key === 'poolHost' && !('poolHost' in merged)) {
        // Not "required" when a value was given but rejected, or a file that could not be read
        // may have set it: that problem is already reported.
        if (fileUsable && !problems.rejectedKeys.has('poolHost')) problems.add(`poolHost is required: set --pool-host, POOL_HOST or "poolHost" in the config file`);
      } else {
        // Values were checked one by one as they were read; this only catches a schema rule
        // the per-field check does not know about.
        problems.add(`${issue.path.join('.') || 'config'}: ${issue.message}`);
      }
    }
  }
  if (problems.messages.length > 0) throw new ConfigError(problems.messages);
  if (!result.success) throw new ConfigError(['invalid configuration: ' + result.error.message]);
  return Object.freeze(result.data);
}

function readArgv(argv: readonly string[], problems: Problems): { values: Layer; configFile: string | undefined } {
  const values: Layer = new Map();
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (HELP_FLAGS.has(arg)) continue;
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) problems.add(`unexpected argument ${showValue(rest)}: this program takes only --options`);
      break;
    }
    if (!arg.startsWith('--')) {
      problems.add(`unexpected argument ${showValue(arg)}: this program takes only --options (see --help)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const next = argv[i + 1];
    const nextIsValue = next !== undefined && !next.startsWith('--');

    if (name === CONFIG_FILE_FLAG) {
      let path = inline;
      if (path === undefined && nextIsValue) {
        path = next;
        i++;
      }
      if (path === undefined) problems.add(`${CONFIG_FILE_FLAG}: missing value: expected the path of a JSON config file`);
      else if (path === '') problems.add(`${CONFIG_FILE_FLAG}: "" is not valid: expected the path of a JSON config file`);
      else configFile = path;
      continue;
    }

    // --no-share-audit: the usual spelling of a false boolean flag.
    const negated = name.startsWith('--no-') ? FLAGS.get(`--${name.slice(5)}`) : undefined;
    if (negated && negated.kind === 'bool' && !FLAGS.has(name)) {
      if (inline !== undefined) problems.add(`${name}: takes no value (got ${showValue(inline)})`);
      else values.set(negated.key, false);
      continue;
    }

    const meta = FLAGS.get(name);
    if (!meta) {
      const hint = closest(name.replace(/^--/, ''), KNOWN_FLAGS.map((f) => f.slice(2)));
      problems.add(`unknown option ${showValue(name)}${hint ? ` (did you mean --${hint}?)` : ''}`);
      // Its value (if any) belongs to it; do not report it again as a stray argument.
      if (inline === undefined && nextIsValue) i++;
      continue;
    }

    let text = inline;
    if (text === undefined) {
      if (meta.kind === 'bool') {
        // A bare boolean flag means true; `--share-audit false` is also accepted.
        if (next !== undefined && BOOL_WORDS.has(next.toLowerCase())) {
          text = next;
          i++;
        } else text = 'true';
      } else if (nextIsValue) {
        text = next;
        i++;
      } else {
        problems.add(`${name}: missing value: expected ${expectedText(meta.key, 'text')}`, meta.key);
        continue;
      }
    }
    const parsed = parseOptionText(meta.key, text);
    if (parsed.ok) values.set(meta.key, parsed.value);
    else problems.add(`${name}: ${showValue(text)} is not valid: expected ${expectedText(meta.key, 'text')}`, meta.key);
  }
  return { values, configFile };
}

function readEnv(env: Readonly<Record<string, string | undefined>>, problems: Problems): Layer {
  const values: Layer = new Map();
  for (const meta of OPTIONS) {
    const text = env[meta.env];
    if (text === undefined) continue;
    const parsed = parseOptionText(meta.key, text);
    if (parsed.ok) values.set(meta.key, parsed.value);
    else problems.add(`${meta.env}: ${showValue(text)} is not valid: expected ${expectedText(meta.key, 'text')}`, meta.key);
  }
  return values;
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read: permission denied',
  EPERM: 'cannot be read: permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'does not exist (a parent is not a directory)',
};

/** The file's values, or undefined (with a problem) when it cannot be read or is not JSON. */
function readConfigFile(path: string, problems: Problems): Layer | undefined {
  const where = `config file ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const known = code !== undefined ? READ_ERRORS[code] : undefined;
    problems.add(`${where} ${known ?? `cannot be read: ${(error as Error).message}`}`);
    return undefined;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM left by some Windows editors

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const { line, column, reason } = describeJsonSyntaxError(text, error as Error);
    problems.add(`${where} is not valid JSON at line ${line} column ${column}: ${reason}`);
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const got = data === null ? 'null' : Array.isArray(data) ? 'an array' : `a ${typeof data}`;
    problems.add(`${where}: expected a JSON object of options at the top level, got ${got}`);
    return undefined;
  }

  const values: Layer = new Map();
  for (const [name, value] of Object.entries(data)) {
    const meta = OPTIONS_BY_KEY.get(name as ConfigKey);
    if (!meta) {
      const hint = closest(name, KEYS);
      problems.add(`${where}: unknown key ${showValue(name)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      continue;
    }
    const parsed = acceptFileValue(meta.key, value);
    if (parsed.ok) values.set(meta.key, parsed.value);
    else problems.add(`${where}: ${name}: ${showValue(value)} is not valid: expected ${expectedText(meta.key, 'file')}`, meta.key);
  }
  return values;
}
