import { parseArgs } from 'node:util';
import { showValue } from './show-value';
import { closest } from './suggest';

/**
 * The one way the repo's programs read their command line (stratum-proxy and its subcommands,
 * pool-sim, miner-sim): node:util parseArgs splits the words (`--name=value`, `-h`, `--`), and
 * this layer adds what parseArgs leaves to its callers: every problem at once instead of the
 * first thrown, "did you mean" for a misspelt flag, a flag left without its value when the next
 * word is another flag, `--no-<flag>`, and booleans written `--flag false`.
 */
export interface FlagSpec {
  /** string: takes a value (`--port 3333`, `--port=3333`); boolean: a bare flag means true. */
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** string: may be given more than once; every value is kept in order. */
  readonly multiple?: boolean;
  /** boolean: `--no-<name>` means false. */
  readonly negatable?: boolean;
  /** boolean: a following true/false/1/0/yes/no word is its value (`--proxy-protocol false`). */
  readonly boolWords?: boolean;
  /** boolean: any following word is its value (`--share-audit rejected`); bare means true. */
  readonly optionalValue?: boolean;
  /** For "missing value: expected …". */
  readonly expected?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** One flag as given: `flag` as written (`--pool-port`, `-h`), `name` its spec key. */
export interface FlagGiven {
  /** Index of the flag's word in argv, to keep messages in command-line order. */
  readonly at: number;
  readonly flag: string;
  readonly name: string;
  /** The text given, true for a bare boolean, false for `--no-<name>`. */
  readonly value: string | boolean;
}

export interface Positional {
  readonly at: number;
  readonly value: string;
  /** After `--`: the program did not take it for an option even if it looks like one. */
  readonly afterTerminator: boolean;
}

export interface FlagsRead {
  /** In command-line order; a flag given twice appears twice (the caller decides which wins). */
  readonly flags: readonly FlagGiven[];
  readonly positionals: readonly Positional[];
  /** String flags given without a value (each also a problem): they were meant, so not "missing". */
  readonly withoutValue: readonly Omit<FlagGiven, 'value'>[];
  /** Complete messages, in command-line order: unknown flags (with the closest known one), missing values. */
  readonly problems: readonly FlagProblem[];
}

export interface FlagProblem {
  readonly at: number;
  readonly message: string;
}

const BOOL_WORDS: ReadonlySet<string> = new Set(['true', 'false', '1', '0', 'yes', 'no']);

type ParseArgsOptions = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** `unknown option "--pool-prot" (did you mean --pool-port?)`. */
export function unknownFlagProblem(flag: string, known: readonly string[]): string {
  const hint = closest(flag.replace(/^--?/, ''), known);
  return `unknown option ${showValue(flag)}${hint ? ` (did you mean --${hint}?)` : ''}`;
}

/** Read `argv` (without node and the script) against `specs`, keyed by long name without `--`. */
export function readFlags(argv: readonly string[], specs: FlagSpecs): FlagsRead {
  const options: ParseArgsOptions = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.short === undefined ? {} : { short: spec.short }), ...(spec.multiple ? { multiple: true } : {}) };
  }
  const known = Object.keys(specs);
  const flags: FlagGiven[] = [];
  const positionals: Positional[] = [];
  const withoutValue: Omit<FlagGiven, 'value'>[] = [];
  const problems: FlagProblem[] = [];
  const missing = (at: number, flag: string, name: string, spec: FlagSpec): void => {
    withoutValue.push({ at, flag, name });
    problems.push({ at, message: `${flag}: missing value${spec.expected ? `: expected ${spec.expected}` : ''}` });
  };

  // parseArgs gives a string flag the next word even when that word is another flag
  // (`--pool-port --proxy-port 1`). That flag is then reported as missing its value and the
  // words are read again from the one it swallowed, so `--proxy-port 1` still counts.
  let start = 0;
  let afterTerminator = false;
  while (start < argv.length) {
    const { tokens } = parseArgs({ args: argv.slice(start), options, strict: false, allowPositionals: true, tokens: true });
    let restartAt: number | undefined;
    const consumed = new Set<number>();
    for (let i = 0; i < tokens.length && restartAt === undefined; i++) {
      const token = tokens[i];
      if (token === undefined) continue;
      const at = start + token.index;
      if (token.kind === 'option-terminator') {
        afterTerminator = true;
        continue;
      }
      if (token.kind === 'positional') {
        if (!consumed.has(at)) positionals.push({ at, value: token.value, afterTerminator });
        continue;
      }
      const next = tokens[i + 1];
      // The next word, when it is a plain word right after this flag (not a flag, not `--`).
      const nextWord = next?.kind === 'positional' && start + next.index === at + 1 ? next.value : undefined;
      const spec = specs[token.name];
      if (spec === undefined) {
        const base = token.name.startsWith('no-') ? specs[token.name.slice(3)] : undefined;
        if (base?.negatable && token.rawName.startsWith('--')) {
          if (token.value !== undefined) problems.push({ at, message: `${token.rawName}: takes no value (got ${showValue(token.value)})` });
          else flags.push({ at, flag: token.rawName, name: token.name.slice(3), value: false });
          continue;
        }
        problems.push({ at, message: unknownFlagProblem(token.rawName, known) });
        // Its value (if any) belongs to it; do not report it again as a stray argument.
        if (token.value === undefined && nextWord !== undefined) consumed.add(at + 1);
        continue;
      }
      if (spec.type === 'string') {
        if (token.value === undefined) missing(at, token.rawName, token.name, spec);
        else if (!token.inlineValue && token.value.startsWith('--')) {
          missing(at, token.rawName, token.name, spec);
          restartAt = at + 1;
        } else flags.push({ at, flag: token.rawName, name: token.name, value: token.value });
        continue;
      }
      if (token.value !== undefined) {
        // `--json=yes`: only a boolean that takes words takes one inline (parseArgs' strict rule).
        if (spec.boolWords || spec.optionalValue) flags.push({ at, flag: token.rawName, name: token.name, value: token.value });
        else problems.push({ at, message: `${token.rawName}: takes no value (got ${showValue(token.value)})` });
      } else if (nextWord !== undefined && (spec.optionalValue || (spec.boolWords && BOOL_WORDS.has(nextWord.toLowerCase())))) {
        consumed.add(at + 1);
        flags.push({ at, flag: token.rawName, name: token.name, value: nextWord });
      } else flags.push({ at, flag: token.rawName, name: token.name, value: true });
    }
    if (restartAt === undefined) break;
    start = restartAt;
  }
  return { flags, positionals, withoutValue, problems };
}

/** What flagValues gives for each flag of `S`: text, every text of a multiple flag, or a boolean (or its word). */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean | string : S[K]['multiple'] extends true ? string[] : string;
};

/**
 * Every problem with the command line as messages, in order: the reader's, then a stray word
 * (`what` says what the program takes instead) for each positional. For programs without positionals.
 */
export function flagProblems(read: FlagsRead, what: string): string[] {
  const stray = read.positionals.map((p) => ({ at: p.at, message: `unexpected argument ${showValue(p.value)}: ${what}` }));
  return [...read.problems, ...stray].sort((a, b) => a.at - b.at).map((p) => p.message);
}

/**
 * The flags as one record, the shape parseArgs' `values` has: the last value of each flag wins,
 * a `multiple` flag keeps every value. For programs whose options are plain (pool-sim, miner-sim).
 */
export function flagValues<S extends FlagSpecs>(read: FlagsRead, specs: S): FlagValues<S> {
  const values: Record<string, string | boolean | string[]> = {};
  for (const { name, value } of read.flags) {
    if (specs[name]?.multiple) {
      const list = values[name];
      values[name] = [...(Array.isArray(list) ? list : []), String(value)];
    } else values[name] = value;
  }
  return values as FlagValues<S>;
}
