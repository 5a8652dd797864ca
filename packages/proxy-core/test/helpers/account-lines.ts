import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randInt, type Prng } from '@stratum-relay/prng';

// Generators and oracles for the account-rewrite tests. The generator builds each line from
// parts and records where it put params[0] and params[1], so the expected output is computed
// without the scanner under test.

/** A byte range of a generated line and the string value JSON gives it. */
export interface TokenAt {
  readonly start: number;
  readonly end: number;
  readonly value: unknown;
}

/** What the test expects the rewriter to do with a line. */
export type Verdict = 'rewrite' | 'unsafe' | 'other';

export interface GeneratedLine {
  readonly line: Buffer;
  /** 'authorize' / 'submit' when the line is one (possibly flawed); 'other' for other messages. */
  readonly kind: 'authorize' | 'submit' | 'other';
  /** Why the line cannot be rewritten safely, whatever the options (empty when it can). */
  readonly flaws: readonly string[];
  /** params[1] is present, a string, and written without escapes. */
  readonly passwordPlain: boolean;
  readonly user: TokenAt | null;
  readonly password: TokenAt | null;
}

/** The expected outcome for `g` when the pool's password is (not) configured. */
export function expectedVerdict(g: GeneratedLine, passwordConfigured: boolean): Verdict {
  if (g.kind === 'other') return g.flaws.length > 0 ? 'unsafe' : 'other';
  if (g.flaws.length > 0) {
    // Invalid JSON whose method name is hidden by escapes is no request a pool could act on.
    const invalid = g.flaws.some((f) => f.startsWith('invalid JSON'));
    return invalid && !showsMethodName(g.line) ? 'other' : 'unsafe';
  }
  if (g.kind === 'authorize' && passwordConfigured && !g.passwordPlain) return 'unsafe';
  return 'rewrite';
}

/** The line holds the bytes of an account method's name. */
export function showsMethodName(line: Buffer): boolean {
  const text = line.toString('latin1');
  return text.includes('mining.authorize') || text.includes('mining.submit');
}

/** `user` with its account part (before the first `.`) replaced. */
export function withAccount(user: string, account: string): string {
  const dot = user.indexOf('.');
  return dot === -1 ? account : account + user.slice(dot);
}

/** The expected rewritten bytes: the recorded token ranges replaced by JSON.stringify of the new values. */
export function expectedRewrite(g: GeneratedLine, account: string, password: string | null): Buffer {
  const user = g.user as TokenAt;
  const parts = [g.line.subarray(0, user.start), Buffer.from(JSON.stringify(withAccount(user.value as string, account)), 'utf8')];
  if (g.kind === 'authorize' && password !== null) {
    const pw = g.password as TokenAt;
    parts.push(g.line.subarray(user.end, pw.start), Buffer.from(JSON.stringify(password), 'utf8'), g.line.subarray(pw.end));
  } else {
    parts.push(g.line.subarray(user.end));
  }
  return Buffer.concat(parts);
}

class LineBuilder {
  private readonly parts: Buffer[] = [];
  private length = 0;

  /** Appends `text`; returns its byte range. */
  add(text: string): { start: number; end: number } {
    const b = Buffer.from(text, 'utf8');
    const start = this.length;
    this.parts.push(b);
    this.length += b.length;
    return { start, end: this.length };
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function pick<T>(rand: Prng, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

const WORD_CHARS = ['a', 'b', 'z', 'Q', '0', '7', '-', '_', '/', ' ', '~', 'é', 'ß', '€', '中', '😀', '\u007f', '\u2028'];

function word(rand: Prng, min: number, max: number): string {
  let s = '';
  for (let n = randInt(rand, min, max); n > 0; n--) s += pick(rand, WORD_CHARS);
  return s;
}

/** A Stratum user/worker name: an account part, then maybe `.worker` (which may hold more dots). */
export function randomUser(rand: Prng): string {
  const r = rand();
  if (r < 0.05) return '';
  if (r < 0.1) return `.${word(rand, 0, 6)}`;
  if (r < 0.3) return word(rand, 1, 12);
  if (r < 0.4) return `bc1q${'q'.repeat(38)}.${word(rand, 1, 8)}`;
  return `${word(rand, 1, 10)}.${word(rand, 0, 8)}${rand() < 0.2 ? `.${word(rand, 0, 4)}` : ''}`;
}

/** A value that needs JSON escaping, for the configured account or password. */
export function randomSecret(rand: Prng): string {
  const chars = ['a', 'Z', '9', '.', '"', '\\', '/', '\n', '\t', '\u0001', 'é', '😀', '\ud800', '\u2028', ' '];
  let s = '';
  for (let n = randInt(rand, 1, 10); n > 0; n--) s += pick(rand, chars);
  return s;
}

/** JSON for `s` with one escape somewhere (a token the rewriter must refuse to splice). */
function escapedLiteral(rand: Prng, s: string): string {
  // Cutting inside a surrogate pair is fine: JSON.stringify escapes each lone half, the literal stays valid.
  const at = randInt(rand, 0, s.length);
  const escape = pick(rand, ['\\u0041', '\\"', '\\\\', '\\/', '\\n', '\\u00e9', '\\ud83d\\ude00']);
  return `"${JSON.stringify(s.slice(0, at)).slice(1, -1)}${escape}${JSON.stringify(s.slice(at)).slice(1, -1)}"`;
}

function ws(rand: Prng, newlines: boolean): string {
  const r = rand();
  if (r < 0.55) return '';
  if (r < 0.8) return ' ';
  if (newlines && r < 0.87) return pick(rand, ['\n', '\r\n ', ' \n\t']);
  return pick(rand, ['  ', '\t', ' \t ', '\r']);
}

const IDS = ['1', '0', '-7', '4294967296', '12345678901234567890', '1.5', '-0.25', '1e3', '2E-2', '-0', '"7"', '"abc"', '"é😀"', '"a\\"b"', 'null', '""'];

const OTHER_METHODS = ['mining.subscribe', 'mining.configure', 'mining.suggest_difficulty', 'mining.extranonce.subscribe', 'mining.notify', 'mining.submit_hashrate', 'mining.authorized'];

export interface GenerateOptions {
  /** Allow `\n` inside the JSON whitespace (only for one-line tests: a stream would split there). */
  readonly newlines: boolean;
}

/**
 * A random authorize or submit line (sometimes another method, garbage, or a flawed variant):
 * random spacing, key order, trailing `\r`, ids of every type, jsonrpc 2.0, unicode, escapes.
 */
export function generateLine(rand: Prng, opts: GenerateOptions): GeneratedLine {
  const r = rand();
  if (r < 0.04) {
    // Not JSON, but a pool could only act on a method name it sees: unsafe if one shows.
    const named = rand() < 0.5;
    const text = named ? `${word(rand, 0, 5)}mining.${pick(rand, ['submit', 'authorize'])} ${word(rand, 0, 5)}` : `${word(rand, 0, 5)}\\${word(rand, 0, 5)}`;
    return { line: Buffer.from(text, 'utf8'), kind: 'other', flaws: named ? ['not JSON'] : [], passwordPlain: false, user: null, password: null };
  }
  const kind: GeneratedLine['kind'] = r < 0.45 ? 'authorize' : r < 0.88 ? 'submit' : 'other';
  const nl = opts.newlines;
  const flaws: string[] = [];
  const flaw = (p: number, name: string): boolean => {
    if (kind === 'other' || rand() >= p) return false;
    flaws.push(name);
    return true;
  };

  // Members as [key literal, writer]; the writer appends the value and may record token ranges.
  const b = new LineBuilder();
  let user: TokenAt | null = null;
  let password: TokenAt | null = null;
  let passwordPlain = false;
  type Member = readonly [string, () => void];
  const key = (name: string): string => (rand() < 0.1 ? `"${name.slice(0, 1)}\\u00${name.charCodeAt(1).toString(16)}${name.slice(2)}"` : `"${name}"`);

  const methodName = kind === 'authorize' ? 'mining.authorize' : kind === 'submit' ? 'mining.submit' : pick(rand, OTHER_METHODS);
  const methodEscaped = flaw(0.04, 'method spelled with an escape');
  const methodLiteral = methodEscaped ? `"mining.\\u00${methodName.charCodeAt(7).toString(16)}${methodName.slice(8)}"` : `"${methodName}"`;

  const writeParams = (): void => {
    if (flaw(0.03, 'params not an array')) {
      b.add(pick(rand, ['{"0":"farm.rig1"}', '"farm.rig1"', 'null', '7']));
      return;
    }
    b.add(`[${ws(rand, nl)}`);
    if (kind === 'other') {
      // Other methods may carry the method names as data: still not ours.
      b.add(pick(rand, ['', '"bitaxe/BM1368"', '"mining.submit"', '{"method":"mining.authorize","params":["farm.rig1"]}', '["version-rolling"],{"version-rolling.mask":"ffffffff"}', '1000']));
      b.add(`${ws(rand, nl)}]`);
      return;
    }
    if (kind === 'authorize' && flaw(0.02, 'no params')) {
      b.add(`${ws(rand, nl)}]`);
      return;
    }
    const userValue = randomUser(rand);
    const p0 = rand();
    if (p0 < 0.03) {
      flaws.push('params[0] not a string');
      b.add(pick(rand, ['123', 'null', '["farm.rig1"]', '{"u":"farm.rig1"}', 'true']));
    } else if (p0 < 0.1) {
      flaws.push('escape in params[0]');
      b.add(escapedLiteral(rand, userValue));
    } else if (p0 < 0.12) {
      flaws.push('invalid JSON: raw control character in params[0]');
      b.add(`"${userValue}\t"`);
    } else {
      user = { ...b.add(JSON.stringify(userValue)), value: userValue };
    }
    if (kind === 'authorize') {
      const p1 = rand();
      if (p1 < 0.08) return void b.add(`${ws(rand, nl)}]`); // no password at all
      b.add(`${ws(rand, nl)},${ws(rand, nl)}`);
      const pw = rand() < 0.3 ? '' : word(rand, 1, 8);
      if (p1 < 0.15) {
        b.add(pick(rand, ['null', '0', '["x"]', 'false']));
      } else if (p1 < 0.25) {
        b.add(escapedLiteral(rand, pw));
      } else {
        password = { ...b.add(JSON.stringify(pw)), value: pw };
        passwordPlain = true;
      }
      if (rand() < 0.1) b.add(`${ws(rand, nl)},${ws(rand, nl)}"extra"`);
    } else {
      const rest = ['"64851638001239ef"', '"2300000000000000"', '"668d7796"', '"49830298"', '"0318e000"'];
      // Escapes in other params do not matter: only the worker token is spliced.
      if (rand() < 0.1) rest[0] = '"6485\\u0031638"';
      for (let n = randInt(rand, 3, 5), k = 0; k < n; k++) b.add(`${ws(rand, nl)},${ws(rand, nl)}${rest[k]}`);
    }
    b.add(`${ws(rand, nl)}]`);
  };

  const members: Member[] = [
    [key('method'), () => void b.add(methodLiteral)],
    [key('params'), writeParams],
  ];
  if (rand() < 0.9) members.push(['"id"', () => void b.add(pick(rand, IDS))]);
  if (rand() < 0.3) members.push(['"jsonrpc"', () => void b.add('"2.0"')]);
  if (rand() < 0.1) members.push(['"meta"', () => void b.add('{"method":"mining.notify","params":["]}\\"",[{}]]}')]);
  if (flaw(0.03, 'duplicate method')) members.push([key('method'), () => void b.add(pick(rand, [methodLiteral, '"mining.notify"']))]);
  if (flaw(0.03, 'duplicate params')) members.push(['"params"', () => void b.add('["farm.rig1","x"]')]);
  // Fisher-Yates: any key order.
  for (let i = members.length - 1; i > 0; i--) {
    const j = randInt(rand, 0, i);
    const t = members[i] as Member;
    members[i] = members[j] as Member;
    members[j] = t;
  }

  const truncated = flaw(0.02, 'invalid JSON: truncated');
  const trailingComma = flaw(0.02, 'invalid JSON: trailing comma');
  b.add(`${ws(rand, nl)}{`);
  members.forEach(([k, write], i) => {
    b.add(`${ws(rand, nl)}${k}${ws(rand, nl)}:${ws(rand, nl)}`);
    write();
    if (i < members.length - 1 || trailingComma) b.add(`${ws(rand, nl)},`);
  });
  if (!truncated) b.add(`${ws(rand, nl)}}${ws(rand, nl)}`);
  if (rand() < 0.3) b.add('\r');
  return { line: b.build(), kind, flaws, passwordPlain, user, password };
}

/** One message of a corpus transcript. */
export interface CorpusMessage {
  readonly dir: 'miner->pool' | 'pool->miner';
  readonly line: string;
}

export interface CorpusTranscript {
  readonly file: string;
  readonly messages: readonly CorpusMessage[];
}

/**
 * The real transcripts in `shared/corpus` beside the repository (README there; CI lays a copy of
 * shared/ next to its clone; `SRL_CORPUS_DIR` overrides the directory). Throws when there are
 * none, so a missing corpus fails loudly instead of testing nothing.
 */
export function loadCorpus(): CorpusTranscript[] {
  const dir = process.env.SRL_CORPUS_DIR ?? join(__dirname, '..', '..', '..', '..', '..', 'shared', 'corpus');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no transcripts in ${dir}`);
  return files.map((file) => {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { messages: CorpusMessage[] };
    return { file, messages: doc.messages };
  });
}
