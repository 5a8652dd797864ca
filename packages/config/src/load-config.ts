import { readFileSync } from 'node:fs';
import { configSchema, type Config, type ConfigKey } from './schema';
import { CONFIG_FILE_ENV, CONFIG_FILE_FLAG, OPTIONS, OPTIONS_BY_KEY, type OptionMeta } from './options';
import { acceptFileValue, expectedText, parseOptionText } from './option-value';
import { showValue } from './show-value';
import { redactPoolUrl } from './pool-url';
import { POOL_REQUIRED, resolveConfig } from './resolved-config';
import { describeReadError } from './readable-file';
import { CONFIG_FILE_EXPECTED, parseConfigFileText, topLevelProblem } from './config-file-format';
import { closest } from './suggest';
import { readFlags, type FlagProblem, type FlagSpec, type FlagSpecs } from './flag-reader';
import { ConfigError } from './errors';
import { listenerClashes, type Listener } from './listener-clash';

export interface LoadConfigInput {
  /** Command-line arguments without node and the script: `process.argv.slice(2)`. */
  readonly argv: readonly string[];
  /** `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const HELP_FLAGS: ReadonlySet<string> = new Set(['--help', '-h']);
const FLAGS: ReadonlyMap<string, OptionMeta> = new Map(OPTIONS.map((o) => [o.flag, o]));
const KEYS: readonly string[] = OPTIONS.map((o) => o.key);

const VERSION_FLAGS: ReadonlySet<string> = new Set(['--version', '-V']);

/** True when the command line asks for `--version` / `-V` (the program prints its version and exits 0). */
export function wantsVersion(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (VERSION_FLAGS.has(arg)) return true;
  }
  return false;
}

/** True when the command line asks for `--help` / `-h` (the program prints helpText() and exits 0). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (HELP_FLAGS.has(arg)) return true;
  }
  return false;
}

/**
 * What one source (flags, environment, config file) gave: the values it got accepted, and every
 * key it set at all, even to a rejected value, with how the operator wrote it there (`--pools`,
 * `POOLS`, `"pools" in config file x.json`), for messages about options that go together.
 */
interface Source {
  readonly values: Map<ConfigKey, unknown>;
  readonly given: Map<ConfigKey, string>;
}

function emptySource(): Source {
  return { values: new Map(), given: new Map() };
}

/**
 * Build the Config from, highest precedence first: CLI flags, environment variables, the config
 * file named by `--config` or CONFIG_FILE (JSON, YAML or TOML by its extension), the schema's
 * defaults. This is the only code that reads the environment or files (it checks that the
 * certificate, key, CA and token files named exist and can be read; readSecretFiles reads them).
 *
 * Every value given is checked, even one a higher-precedence source overrides: a broken
 * setting anywhere is reported rather than left to surprise the next operator.
 *
 * @throws ConfigError listing every problem found.
 */
export function loadConfig({ argv, env }: LoadConfigInput): Config {
  const problems: string[] = [];
  const cli = readArgv(argv, problems);
  const fromEnv = readEnv(env, problems);

  let file = emptySource();
  let fileUsable = true;
  const envFile = env[CONFIG_FILE_ENV];
  const filePath = cli.configFile ?? envFile;
  if (cli.configFile === undefined && envFile === '') {
    problems.push(`${CONFIG_FILE_ENV}: "" is not valid: expected ${CONFIG_FILE_EXPECTED}`);
    fileUsable = false;
  } else if (filePath !== undefined) {
    const read = readConfigFile(filePath, problems);
    if (read) file = read;
    else fileUsable = false;
  }

  const sources = [cli.source, fromEnv, file];
  const merged: Record<string, unknown> = {};
  const mergedFrom = new Map<ConfigKey, string>();
  for (const { key } of OPTIONS) {
    const source = sources.find((s) => s.values.has(key));
    if (source) {
      merged[key] = source.values.get(key);
      mergedFrom.set(key, source.given.get(key) as string);
    }
  }
  // A file that could not be read may have set anything: do not also call its options missing.
  checkCombinations(sources, merged, mergedFrom, fileUsable, problems);

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    // Values were checked one by one as they were read; this only catches a schema rule the
    // per-field check does not know about.
    for (const issue of result.error.issues) problems.push(`${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (!result.success) throw new ConfigError(['invalid configuration: ' + result.error.message]);

  const config = resolveConfig(result.data);
  if (!config) throw new ConfigError([POOL_REQUIRED]); // unreachable: checkCombinations reported it
  return config;
}

/** Rules about options that go together; each broken one is one problem, naming where each part came from. */
function checkCombinations(
  sources: readonly Source[],
  merged: Readonly<Record<string, unknown>>,
  mergedFrom: ReadonlyMap<ConfigKey, string>,
  fileUsable: boolean,
  problems: string[],
): void {
  // Where each key was set to something other than none (a rejected value counts: it was meant).
  const givenBy = (...keys: ConfigKey[]): string[] =>
    keys.flatMap((key) => sources.flatMap((s) => (s.given.has(key) && s.values.get(key) !== null ? [s.given.get(key) as string] : [])));
  const rejected = (key: ConfigKey): boolean => sources.some((s) => s.given.has(key) && !s.values.has(key));

  const poolsBy = givenBy('pools');
  const shortcutBy = givenBy('poolHost', 'poolPort');
  if (poolsBy.length > 0 && shortcutBy.length > 0) {
    problems.push(
      `POOLS and POOL_HOST/POOL_PORT cannot be used together (POOLS from ${poolsBy.join(', ')}; POOL_HOST/POOL_PORT from ${shortcutBy.join(', ')}): ` +
        'list every pool, primary first, in POOLS, or give only the one-pool shortcut POOL_HOST/POOL_PORT',
    );
  } else if (poolsBy.length === 0 && givenBy('poolHost').length === 0 && fileUsable) {
    problems.push(POOL_REQUIRED);
  }

  const tokenBy = givenBy('metricsToken');
  const tokenFileBy = givenBy('metricsTokenFile');
  if (tokenBy.length > 0 && tokenFileBy.length > 0) {
    problems.push(
      `METRICS_TOKEN and METRICS_TOKEN_FILE cannot be used together (METRICS_TOKEN from ${tokenBy.join(', ')}; METRICS_TOKEN_FILE from ${tokenFileBy.join(', ')}): ` +
        'give the token or the file that holds it',
    );
  }

  if (typeof merged.tlsPort === 'number' && fileUsable) {
    for (const key of ['tlsCertFile', 'tlsKeyFile'] as const) {
      if (typeof merged[key] === 'string' || rejected(key)) continue;
      const meta = OPTIONS_BY_KEY.get(key) as OptionMeta;
      problems.push(
        `TLS_PORT is set (${merged.tlsPort} from ${mergedFrom.get('tlsPort')}), so ${meta.env} is required: set ${meta.flag}, ${meta.env} or "${key}" in the config file`,
      );
    }
  }

  // client.reconnect takes a host and a port together (or neither: the address the miner used).
  const reconnectHostBy = givenBy('drainReconnectHost');
  const reconnectPortBy = givenBy('drainReconnectPort');
  if ((reconnectHostBy.length > 0) !== (reconnectPortBy.length > 0) && !rejected('drainReconnectHost') && !rejected('drainReconnectPort')) {
    const [set, missing] = reconnectHostBy.length > 0 ? [`DRAIN_RECONNECT_HOST (from ${reconnectHostBy.join(', ')})`, 'DRAIN_RECONNECT_PORT'] : [`DRAIN_RECONNECT_PORT (from ${reconnectPortBy.join(', ')})`, 'DRAIN_RECONNECT_HOST'];
    problems.push(`${set} needs ${missing} too: client.reconnect names a host and a port, or neither (the address the miner used)`);
  }

  // Same port twice: caught here, naming both options, not as EADDRINUSE on whichever binds second.
  const valueOf = (key: ConfigKey): unknown => (key in merged ? merged[key] : configSchema.shape[key].parse(undefined));
  const listeners: Listener[] = [];
  for (const [portKey, hostKey] of [['proxyPort', 'proxyHost'], ['tlsPort', 'tlsHost'], ['metricsPort', 'metricsHost']] as const) {
    const port = valueOf(portKey);
    const host = valueOf(hostKey) ?? valueOf('proxyHost'); // TLS_HOST none: the proxy's address
    if (typeof port !== 'number' || typeof host !== 'string' || rejected(portKey) || rejected(hostKey)) continue;
    listeners.push({ name: (OPTIONS_BY_KEY.get(portKey) as OptionMeta).env, host, port, from: mergedFrom.get(portKey) ?? 'default' });
  }
  problems.push(...listenerClashes(listeners));
}

/** How the option table's kinds read from the command line (flag-reader.ts does the splitting). */
const FLAG_SPECS: FlagSpecs = Object.fromEntries([
  ...OPTIONS.map((o): [string, FlagSpec] => {
    const name = o.flag.slice(2);
    // A bare --proxy-protocol means true and `--proxy-protocol false` is also accepted; a bare
    // --share-audit means all, as when it was a boolean, and `--share-audit rejected` takes the value.
    if (o.kind === 'bool') return [name, { type: 'boolean', negatable: true, boolWords: true }];
    if (o.kind === 'share-audit') return [name, { type: 'boolean', negatable: true, optionalValue: true }];
    return [name, { type: 'string', expected: expectedText(o.key, 'text') }];
  }),
  [CONFIG_FILE_FLAG.slice(2), { type: 'string', expected: CONFIG_FILE_EXPECTED }],
  ['help', { type: 'boolean', short: 'h' }],
  ['version', { type: 'boolean', short: 'V' }],
]);

function readArgv(argv: readonly string[], problems: string[]): { source: Source; configFile: string | undefined } {
  const source = emptySource();
  let configFile: string | undefined;
  const read = readFlags(argv, FLAG_SPECS);
  // Every problem in command-line order: the reader's (unknown flags, missing values) and the values'.
  const found: FlagProblem[] = [...read.problems];
  for (const { flag, name } of read.withoutValue) {
    const meta = FLAGS.get(`--${name}`);
    if (meta) source.given.set(meta.key, flag);
  }
  for (const { at, value, afterTerminator } of read.positionals) {
    // A stray word may be a pool URL split off by a space: never show its password.
    found.push({ at, message: `unexpected argument ${showValue(redactPoolUrl(value))}: this program takes only --options${afterTerminator ? '' : ' (see --help)'}` });
  }
  for (const { at, flag, name, value } of read.flags) {
    if (name === 'help' || name === 'version') continue;
    if (`--${name}` === CONFIG_FILE_FLAG) {
      if (value === '') found.push({ at, message: `${CONFIG_FILE_FLAG}: "" is not valid: expected ${CONFIG_FILE_EXPECTED}` });
      else configFile = String(value);
      continue;
    }
    const meta = FLAGS.get(`--${name}`) as OptionMeta;
    source.given.set(meta.key, flag);
    if (value === false) {
      source.values.set(meta.key, false);
      continue;
    }
    const parsed = parseOptionText(meta.key, value === true ? 'true' : value, flag);
    if (parsed.ok) source.values.set(meta.key, parsed.value);
    else found.push(...parsed.problems.map((message) => ({ at, message })));
  }
  problems.push(...found.sort((a, b) => a.at - b.at).map((p) => p.message));
  return { source, configFile };
}

function readEnv(env: Readonly<Record<string, string | undefined>>, problems: string[]): Source {
  const source = emptySource();
  for (const meta of OPTIONS) {
    const text = env[meta.env];
    if (text === undefined) continue;
    source.given.set(meta.key, meta.env);
    const parsed = parseOptionText(meta.key, text, meta.env);
    if (parsed.ok) source.values.set(meta.key, parsed.value);
    else problems.push(...parsed.problems);
  }
  return source;
}

/** The file's values, or undefined (with a problem) when it cannot be read or parsed (JSON, YAML or TOML by extension). */
function readConfigFile(path: string, problems: string[]): Source | undefined {
  const where = `config file ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${where} ${describeReadError(error)}`);
    return undefined;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM left by some Windows editors

  const document = parseConfigFileText(path, text, where);
  if (!document.ok) {
    problems.push(document.problem);
    return undefined;
  }
  const shape = topLevelProblem(path, document.data);
  if (shape !== undefined) {
    problems.push(`${where}: ${shape}`);
    return undefined;
  }
  const data = document.data as Record<string, unknown>; // topLevelProblem found a plain object

  const source = emptySource();
  for (const [name, value] of Object.entries(data)) {
    const meta = OPTIONS_BY_KEY.get(name as ConfigKey);
    if (!meta) {
      const hint = closest(name, KEYS);
      problems.push(`${where}: unknown key ${showValue(name)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      continue;
    }
    source.given.set(meta.key, `"${name}" in ${where}`);
    const parsed = acceptFileValue(meta.key, value, `${where}: ${name}`, name);
    if (parsed.ok) source.values.set(meta.key, parsed.value);
    else problems.push(...parsed.problems);
  }
  return source;
}
