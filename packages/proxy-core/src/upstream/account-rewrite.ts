/**
 * The relay's one opt-in payload change: a per-pool account (`stratum+tcp://account[:password]@host`).
 *
 * For miners on such a pool, the account part of the `mining.authorize` user and of the
 * `mining.submit` worker (params[0]: the text before the first `.`, the worker suffix is kept) is
 * replaced, and so is the authorize password (params[1]) when one is configured. Only that JSON
 * string token is spliced; every other byte of the line (spacing, key order, CRLF, id forms) is
 * forwarded as received. A line that cannot be rewritten safely is forwarded unchanged and
 * counted in `unsafe`, so an operator can see miners whose shares still go to their own account.
 *
 * Which lines are looked at: only those containing the bytes `mining.authorize` or
 * `mining.submit`, or a `\` (a JSON escape could spell either method). All others pass without
 * being scanned or counted. Of the lines looked at:
 * - a request whose single top-level `method` is exactly `"mining.authorize"`/`"mining.submit"`,
 *   with params an array whose account tokens are plain strings, is rewritten (JSON.parse
 *   confirms the shape first);
 * - a line that is positively something else (valid JSON without a top-level method, or with
 *   another method) passes uncounted, and so does invalid JSON that shows no method name;
 * - everything else is unsafe: an account method that is duplicated or spelled with escapes,
 *   duplicate `params`, params not an array, the user/worker (or the password, when one is
 *   configured) missing, not a string or written with escapes; and invalid JSON, a non-object
 *   or a non-string method while a method name shows (a lenient pool could act on it).
 * A line over the cap is never inspected and is counted unsafe whatever it holds, so the one-shot
 * and the streaming forms agree on it (the stream cannot see an oversized line whole).
 */

/** How one pool's account is rewritten. */
export interface AccountRewriteOptions {
  /** Replaces the account part (before the first `.`) of the authorize user and the submit worker. */
  readonly account: string;
  /** Replaces the authorize password (params[1]); null keeps the miner's. */
  readonly password: string | null;
  /** Longest line (bytes, without its `\n` and a trailing `\r`) that is inspected; longer ones pass unchanged and count as unsafe. */
  readonly maxLineBytes: number;
}

/** What {@link AccountRewriter.exportState} hands to the rewriter of another process. */
export interface AccountRewriterState {
  /** Miner bytes of the unfinished line, held back from the pool until the line is complete. */
  readonly held: Buffer;
  /** Passing the rest of an oversized line through unchanged. */
  readonly skipping: boolean;
}

/** Counters a rewriter adds to; read them from metrics, never reset them mid-stream. */
export interface AccountRewriteStats {
  /** Authorize/submit lines sent with the configured account (including those that already had it). */
  rewritten: number;
  /** Authorize/submit-looking lines forwarded unchanged because they could not be rewritten safely. */
  unsafe: number;
}

const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const DOT = 0x2e;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

const AUTHORIZE = 'mining.authorize';
const SUBMIT = 'mining.submit';
const AUTHORIZE_BYTES = Buffer.from(AUTHORIZE, 'latin1');
const SUBMIT_BYTES = Buffer.from(SUBMIT, 'latin1');
const METHOD_KEY = Buffer.from('method', 'latin1');
const PARAMS_KEY = Buffer.from('params', 'latin1');

/** The options turned into bytes once (decide once, not per line). */
interface Prepared {
  readonly limit: number;
  /** The account, JSON-escaped, without quotes. */
  readonly account: Buffer;
  /** The password, JSON-escaped, without quotes; null keeps the miner's. */
  readonly password: Buffer | null;
}

function prepare(options: AccountRewriteOptions): Prepared {
  return {
    limit: normalizeLimit(options.maxLineBytes),
    account: escapedInner(options.account),
    password: options.password === null ? null : escapedInner(options.password),
  };
}

/** Same normalisation as LineSplitter: a non-positive or non-finite cap must not unbound anything. */
function normalizeLimit(max: number): number {
  return Number.isFinite(max) && max >= 1 ? Math.floor(max) : 1;
}

/** `s` as the inside of a JSON string literal (JSON.stringify escapes `"`, `\`, controls and lone surrogates). */
function escapedInner(s: string): Buffer {
  const literal = JSON.stringify(s);
  return Buffer.from(literal.slice(1, literal.length - 1), 'utf8');
}

/**
 * Rewrites one complete line (without its `\n`; a trailing `\r` is part of the line). Returns
 * the same Buffer when the line is unchanged, a new one otherwise; adds to `stats`.
 */
export function rewriteAccountLine(line: Buffer, options: AccountRewriteOptions, stats: AccountRewriteStats): Buffer {
  if (contentLength(line, 0, line.length) > normalizeLimit(options.maxLineBytes)) {
    stats.unsafe++;
    return line;
  }
  const hasMethodName = line.indexOf(AUTHORIZE_BYTES) !== -1 || line.indexOf(SUBMIT_BYTES) !== -1;
  if (!hasMethodName && line.indexOf(BACKSLASH) === -1) return line;
  return rewriteCandidate(line, prepare(options), stats, hasMethodName);
}

/** {@link rewriteAccountLine} with prepared options. */
function rewriteLineWith(line: Buffer, prep: Prepared, stats: AccountRewriteStats): Buffer {
  if (contentLength(line, 0, line.length) > prep.limit) {
    stats.unsafe++;
    return line;
  }
  const hasMethodName = line.indexOf(AUTHORIZE_BYTES) !== -1 || line.indexOf(SUBMIT_BYTES) !== -1;
  if (!hasMethodName && line.indexOf(BACKSLASH) === -1) return line;
  return rewriteCandidate(line, prep, stats, hasMethodName);
}

/** Length of the line `buf[start, end)` without a trailing `\r` (the cap's measure, as in LineSplitter). */
function contentLength(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - start - 1 : end - start;
}

const NOT_OURS = 0;
const OURS_AUTHORIZE = 1;
const OURS_SUBMIT = 2;
type Ours = typeof NOT_OURS | typeof OURS_AUTHORIZE | typeof OURS_SUBMIT;

/** What the scanner found in one line; reused for every line (the scan is synchronous). */
interface Scan {
  methodCount: number;
  /** Which account method a `method` value spells (decoded), if any. */
  ours: Ours;
  /** Some `method` value is a string written with escapes. */
  methodEscaped: boolean;
  /** Some `method` value is not a string. */
  methodNotString: boolean;
  paramsCount: number;
  paramsIsArray: boolean;
  /** Elements seen in params (counting stops mattering after 2). */
  paramCount: number;
  /** params[0] and params[1] value tokens; a string token includes its quotes. */
  p0Start: number;
  p0End: number;
  p0Escaped: boolean;
  p1Start: number;
  p1End: number;
  p1Escaped: boolean;
}

const scan: Scan = {
  methodCount: 0,
  ours: 0,
  methodEscaped: false,
  methodNotString: false,
  paramsCount: 0,
  paramsIsArray: false,
  paramCount: 0,
  p0Start: 0,
  p0End: 0,
  p0Escaped: false,
  p1Start: 0,
  p1End: 0,
  p1Escaped: false,
};

/** Set by {@link skipString}: whether the string just skipped contained a `\`. */
let stringEscaped = false;

/**
 * The decision for one line within the cap that contains a method name or a `\`
 * (`hasMethodName`: the bytes of either method name; callers searched for them already).
 */
function rewriteCandidate(line: Buffer, prep: Prepared, stats: AccountRewriteStats, hasMethodName: boolean): Buffer {
  const unsafe = (): Buffer => {
    stats.unsafe++;
    return line;
  };
  // A line we cannot read is unsafe only if it shows a method name: a pool cannot read it
  // either unless it is lenient, and a lenient pool could only act on a name it sees.
  const unread = (): Buffer => (hasMethodName ? unsafe() : line);
  // Not ours (no request, another method) — once JSON.parse agrees, if a method name shows.
  const other = (): Buffer => (hasMethodName && parseJson(line) === INVALID ? unsafe() : line);

  if (!scanLine(line, line.length)) return unread();
  if (scan.ours === NOT_OURS) return scan.methodNotString ? unread() : other();
  // Escapes hide the name and the pool cannot parse the line: it is no request to anyone.
  if (!hasMethodName && parseJson(line) === INVALID) return line;
  // Pools differ on which duplicate wins; an escaped name is valid but not worth the risk.
  if (scan.methodCount > 1 || scan.methodEscaped) return unsafe();
  const isAuthorize = scan.ours === OURS_AUTHORIZE;

  if (scan.paramsCount !== 1 || !scan.paramsIsArray || scan.paramCount < 1) return unsafe();
  const s0 = scan.p0Start;
  const e0 = scan.p0End;
  if (line[s0] !== QUOTE || scan.p0Escaped) return unsafe();
  const password = isAuthorize ? prep.password : null;
  const s1 = scan.p1Start;
  const e1 = scan.p1End;
  if (password !== null && (scan.paramCount < 2 || line[s1] !== QUOTE || scan.p1Escaped)) return unsafe();

  // Correctness over speed (this runs only when an account is configured): the scanner skips
  // without validating, so JSON.parse confirms the line is valid JSON of the shape it found.
  if (!confirmShape(line, isAuthorize ? AUTHORIZE : SUBMIT, s0, e0, password !== null ? s1 : -1, e1)) return unsafe();

  const userStart = s0 + 1;
  const userEnd = e0 - 1;
  const dot = line.indexOf(DOT, userStart);
  const accountEnd = dot !== -1 && dot < userEnd ? dot : userEnd;
  const account = prep.account;
  stats.rewritten++;
  const sameAccount = accountEnd - userStart === account.length && line.compare(account, 0, account.length, userStart, accountEnd) === 0;
  const samePassword =
    password === null || (e1 - 1 - (s1 + 1) === password.length && line.compare(password, 0, password.length, s1 + 1, e1 - 1) === 0);
  if (sameAccount && samePassword) return line;

  // Only here is anything allocated: the line with the one or two spans replaced.
  if (password === null) return Buffer.concat([line.subarray(0, userStart), account, line.subarray(accountEnd)]);
  return Buffer.concat([line.subarray(0, userStart), account, line.subarray(accountEnd, s1 + 1), password, line.subarray(e1 - 1)]);
}

const INVALID: unique symbol = Symbol('invalid');

function parseJson(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString('utf8'));
  } catch {
    return INVALID;
  }
}

/** Whether the JSON string token `[start, end)` (quotes included, no escapes) is exactly `expected` (no quotes). */
function tokenIs(buf: Buffer, start: number, end: number, expected: Buffer): boolean {
  return end - start === expected.length + 2 && buf.compare(expected, 0, expected.length, start + 1, end - 1) === 0;
}

/** The value of the JSON string token `[start, end)`, or undefined if it is not valid JSON. */
function decodeJsonString(buf: Buffer, start: number, end: number): string | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8', start, end));
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSON.parse agrees with the scanner: an object with this method, params an array whose [0]
 * (and [1] when `s1 >= 0`) are the strings found at those byte ranges.
 */
function confirmShape(line: Buffer, method: string, s0: number, e0: number, s1: number, e1: number): boolean {
  const msg = parseJson(line);
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return false;
  const { method: m, params } = msg as { method?: unknown; params?: unknown };
  if (m !== method || !Array.isArray(params)) return false;
  // Tokens without escapes: the value is exactly the UTF-8 text between the quotes.
  if (params[0] !== line.toString('utf8', s0 + 1, e0 - 1)) return false;
  return s1 < 0 || params[1] === line.toString('utf8', s1 + 1, e1 - 1);
}

// ---- The scanner: top-level keys of one JSON object, without building anything. ----
// It skips values structurally (strings with their escapes, nesting by depth) and does not
// validate scalars or bracket pairing: confirmShape's JSON.parse does that for lines it keeps.

function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const b = buf[i];
    if (b !== SPACE && b !== TAB && b !== CR && b !== LF) break;
    i++;
  }
  return i;
}

/** `buf[i]` is `"`: the index after the closing quote, or -1. Sets {@link stringEscaped}. */
function skipString(buf: Buffer, i: number, end: number): number {
  stringEscaped = false;
  for (let j = i + 1; j < end; j++) {
    const b = buf[j];
    if (b === QUOTE) return j + 1;
    if (b === BACKSLASH) {
      stringEscaped = true;
      j++; // the escaped byte cannot end the string
    }
  }
  return -1;
}

/** The index after the value starting at `i`, or -1. */
function skipValue(buf: Buffer, i: number, end: number): number {
  if (i >= end) return -1;
  const first = buf[i];
  if (first === QUOTE) return skipString(buf, i, end);
  if (first === LBRACE || first === LBRACKET) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const b = buf[j];
      if (b === QUOTE) {
        const after = skipString(buf, j, end);
        if (after === -1) return -1;
        j = after - 1;
      } else if (b === LBRACE || b === LBRACKET) {
        depth++;
      } else if (b === RBRACE || b === RBRACKET) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A scalar (number, true, false, null): up to the next delimiter.
  let j = i;
  while (j < end) {
    const b = buf[j];
    if (b === COMMA || b === RBRACE || b === RBRACKET || b === SPACE || b === TAB || b === CR || b === LF || b === COLON) break;
    j++;
  }
  return j === i ? -1 : j;
}

/** Whether the key token `[start, end)` means `key` (escaped keys are decoded: `"m\u0065thod"` is a method key to a pool). */
function keyIs(buf: Buffer, start: number, end: number, escaped: boolean, key: Buffer): boolean {
  if (!escaped) return tokenIs(buf, start, end, key);
  return decodeJsonString(buf, start, end) === key.toString('latin1');
}

/** Fills {@link scan} from the top-level object of `buf[0, end)`; false if it is not one. */
function scanLine(buf: Buffer, end: number): boolean {
  scan.methodCount = 0;
  scan.ours = NOT_OURS;
  scan.methodEscaped = false;
  scan.methodNotString = false;
  scan.paramsCount = 0;
  scan.paramsIsArray = false;
  scan.paramCount = 0;
  let i = skipWs(buf, 0, end);
  if (buf[i] !== LBRACE) return false;
  i = skipWs(buf, i + 1, end);
  if (buf[i] === RBRACE) return skipWs(buf, i + 1, end) === end;
  for (;;) {
    if (buf[i] !== QUOTE) return false;
    const ks = i;
    i = skipString(buf, i, end);
    if (i === -1) return false;
    const ke = i;
    const keyEscaped = stringEscaped;
    i = skipWs(buf, i, end);
    if (buf[i] !== COLON) return false;
    const vs = skipWs(buf, i + 1, end);
    if (keyIs(buf, ks, ke, keyEscaped, METHOD_KEY)) {
      i = skipValue(buf, vs, end);
      if (i === -1 || !scanMethod(buf, vs, i)) return false;
    } else if (keyIs(buf, ks, ke, keyEscaped, PARAMS_KEY)) {
      scan.paramsCount++;
      if (buf[vs] === LBRACKET && scan.paramsCount === 1) {
        scan.paramsIsArray = true;
        i = scanParams(buf, vs, end);
      } else {
        scan.paramsIsArray = false;
        i = skipValue(buf, vs, end);
      }
      if (i === -1) return false;
    } else {
      i = skipValue(buf, vs, end);
      if (i === -1) return false;
    }
    i = skipWs(buf, i, end);
    if (buf[i] === COMMA) {
      i = skipWs(buf, i + 1, end);
    } else if (buf[i] === RBRACE) {
      return skipWs(buf, i + 1, end) === end;
    } else {
      return false;
    }
  }
}

/** Records the `method` value `[start, end)` in {@link scan}; false if it is an invalid string. */
function scanMethod(buf: Buffer, start: number, end: number): boolean {
  scan.methodCount++;
  if (buf[start] !== QUOTE) {
    scan.methodNotString = true;
  } else if (stringEscaped) {
    // Escapes could spell an account method (`"mining.\u0061uthorize"`): decode to know.
    scan.methodEscaped = true;
    const method = decodeJsonString(buf, start, end);
    if (method === undefined) return false;
    if (method === AUTHORIZE) scan.ours = OURS_AUTHORIZE;
    else if (method === SUBMIT) scan.ours = OURS_SUBMIT;
  } else if (tokenIs(buf, start, end, AUTHORIZE_BYTES)) {
    scan.ours = OURS_AUTHORIZE;
  } else if (tokenIs(buf, start, end, SUBMIT_BYTES)) {
    scan.ours = OURS_SUBMIT;
  }
  return true;
}

/** `buf[i]` is `[`: records params[0] and params[1] in {@link scan}; the index after `]`, or -1. */
function scanParams(buf: Buffer, i: number, end: number): number {
  i = skipWs(buf, i + 1, end);
  if (buf[i] === RBRACKET) return i + 1;
  for (let n = 0; ; n++) {
    const vs = i;
    i = skipValue(buf, vs, end);
    if (i === -1) return -1;
    // Read right after skipping: only a string at this level leaves a meaningful flag.
    const escaped = buf[vs] === QUOTE && stringEscaped;
    if (n === 0) {
      scan.p0Start = vs;
      scan.p0End = i;
      scan.p0Escaped = escaped;
    } else if (n === 1) {
      scan.p1Start = vs;
      scan.p1End = i;
      scan.p1Escaped = escaped;
    }
    scan.paramCount = n + 1;
    i = skipWs(buf, i, end);
    if (buf[i] === COMMA) {
      i = skipWs(buf, i + 1, end);
    } else if (buf[i] === RBRACKET) {
      return i + 1;
    } else {
      return -1;
    }
  }
}

// ---- Streaming ----

const NONE = Number.MAX_SAFE_INTEGER;
/** First accumulator for a line that spans chunks (most Stratum lines are < 1 KiB). */
const MIN_HOLD_BYTES = 1024;

/**
 * Streaming account rewrite for one miner connection: chunks from the miner in, chunks for the
 * pool out, in order. Complete lines go through {@link rewriteAccountLine}; an unfinished tail is
 * copied and held until its newline arrives. A tail longer than `maxLineBytes` is flushed
 * unchanged and the rest of that line passes through unchanged (counted unsafe once).
 *
 * Hot path (marked so no one undoes it): a chunk is searched once per needle (`mining.authorize`,
 * `mining.submit`, `\`) and lines are cut with `indexOf(0x0a)`; only lines that contain a needle
 * are scanned. Unchanged lines leave as `subarray` runs of the chunk — a chunk with nothing to
 * rewrite that ends on a newline leaves as the same Buffer — and memory is allocated only for a
 * line that changes or one that spans chunks. A chunk that ends mid-line is never passed on
 * whole: its tail is held, because a method name may be split across the chunk edge.
 */
export class AccountRewriter {
  readonly stats: AccountRewriteStats = { rewritten: 0, unsafe: 0 };
  private readonly prep: Prepared;
  /**
   * The unfinished line, copied (so no socket buffer is pinned while a miner idles, and a miner
   * dripping one byte per packet costs bytes, not one object per byte). Handed off, never
   * reused, once its line leaves: the socket may still be writing it.
   */
  private acc: Buffer | null = null;
  private accLen = 0;
  /** True while passing the rest of an oversized line through. */
  private skipping = false;

  constructor(options: AccountRewriteOptions) {
    this.prep = prepare(options);
  }

  /** Bytes held for an unfinished line (never more than `maxLineBytes + 1`). */
  get bufferedBytes(): number {
    return this.accLen;
  }

  /** Rewrites what `chunk` completes; returns the bytes to forward now, in order (possibly none). */
  push(chunk: Buffer): Buffer[] {
    const len = chunk.length;
    if (len === 0) return [];
    const out: Buffer[] = [];
    /** Start of the bytes of `chunk` not yet emitted. */
    let runStart = 0;
    let pos = 0;

    if (this.skipping) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) return [chunk];
      this.skipping = false;
      pos = nl + 1; // the oversized line's end leaves with the first run
    } else if (this.accLen > 0) {
      const nl = chunk.indexOf(LF);
      const headEnd = nl === -1 ? len : nl;
      const rawLen = this.accLen + headEnd;
      const last = headEnd > 0 ? chunk[headEnd - 1] : (this.acc as Buffer)[this.accLen - 1];
      if ((last === CR ? rawLen - 1 : rawLen) > this.prep.limit) {
        this.stats.unsafe++;
        out.push(this.takeHeld());
        if (nl === -1) {
          this.skipping = true;
          out.push(chunk);
          return out;
        }
        pos = nl + 1;
      } else if (nl === -1) {
        this.hold(chunk, 0, len);
        return out;
      } else {
        // Within the cap, so the whole line fits the accumulator: no second copy.
        this.hold(chunk, 0, headEnd);
        out.push(rewriteLineWith(this.takeHeld(), this.prep, this.stats));
        runStart = nl; // the `\n` leaves with the next run
        pos = nl + 1;
      }
    }

    // Hot path: each needle searched once, forward only (linear in the chunk).
    let nextAuthorize = searchFrom(chunk, AUTHORIZE_BYTES, pos);
    let nextSubmit = searchFrom(chunk, SUBMIT_BYTES, pos);
    let nextBackslash = searchFrom(chunk, BACKSLASH, pos);
    const limit = this.prep.limit;
    let nl = chunk.indexOf(LF, pos);
    while (nl !== -1) {
      if (nextAuthorize < pos) nextAuthorize = searchFrom(chunk, AUTHORIZE_BYTES, pos);
      if (nextSubmit < pos) nextSubmit = searchFrom(chunk, SUBMIT_BYTES, pos);
      if (nextBackslash < pos) nextBackslash = searchFrom(chunk, BACKSLASH, pos);
      // A needle has no `\n`, so one that starts before `nl` lies inside this line.
      const hasMethodName = nextAuthorize < nl || nextSubmit < nl;
      if (contentLength(chunk, pos, nl) > limit) {
        this.stats.unsafe++;
      } else if (hasMethodName || nextBackslash < nl) {
        const line = chunk.subarray(pos, nl);
        const result = rewriteCandidate(line, this.prep, this.stats, hasMethodName);
        if (result !== line) {
          if (pos > runStart) out.push(chunk.subarray(runStart, pos));
          out.push(result);
          runStart = nl;
        }
      }
      pos = nl + 1;
      nl = chunk.indexOf(LF, pos);
    }

    if (pos < len) {
      if (contentLength(chunk, pos, len) > limit) {
        this.stats.unsafe++;
        this.skipping = true;
        pos = len; // leaves with the last run
      } else {
        this.hold(chunk, pos, len);
      }
    }
    if (runStart === 0 && pos === len) out.push(chunk);
    else if (pos > runStart) out.push(chunk.subarray(runStart, pos));
    return out;
  }

  /**
   * The miner's stream ended: a held unfinished line is flushed unchanged (a line without its
   * newline is not a complete request). If it would have been rewritten, it counts as unsafe.
   */
  end(): Buffer[] {
    this.skipping = false;
    if (this.accLen === 0) return [];
    const line = this.takeHeld();
    const probe: AccountRewriteStats = { rewritten: 0, unsafe: 0 };
    rewriteLineWith(line, this.prep, probe);
    if (probe.rewritten + probe.unsafe > 0) this.stats.unsafe++;
    return [line];
  }

  /**
   * Handover: the miner bytes read but not yet forwarded (the unfinished line, a copy) and whether
   * an oversized line is being passed through. Another rewriter continues from it with
   * {@link importState}; the held bytes then leave from there, with their line.
   */
  exportState(): AccountRewriterState {
    const held = Buffer.alloc(this.accLen);
    if (this.acc !== null) this.acc.copy(held, 0, 0, this.accLen);
    return { held, skipping: this.skipping };
  }

  /** Handover: continue from another rewriter's {@link exportState}; throws a RangeError on a state over this cap. */
  importState(state: AccountRewriterState): void {
    const held = state.held;
    if (contentLength(held, 0, held.length) > this.prep.limit || held.indexOf(LF) !== -1 || (state.skipping && held.length > 0)) {
      throw new RangeError(`account rewrite state does not fit a ${this.prep.limit}-byte line cap`);
    }
    this.acc = null;
    this.accLen = 0;
    this.skipping = state.skipping;
    if (held.length > 0) this.hold(held, 0, held.length);
  }

  /** Copies `src[start, end)` after the held bytes (callers checked the cap, so at most `limit + 1` are held). */
  private hold(src: Buffer, start: number, end: number): void {
    const needed = this.accLen + (end - start);
    let acc = this.acc;
    if (acc === null || acc.length < needed) {
      const cap = this.prep.limit + 1;
      let size = acc === null ? Math.min(MIN_HOLD_BYTES, cap) : Math.min(acc.length * 2, cap);
      if (size < needed) size = needed;
      const grown = Buffer.allocUnsafe(size);
      if (acc !== null) acc.copy(grown, 0, 0, this.accLen);
      this.acc = acc = grown;
    }
    src.copy(acc, this.accLen, start, end);
    this.accLen = needed;
  }

  /** The held bytes, handed off: the next unfinished line gets a new accumulator. */
  private takeHeld(): Buffer {
    const held = (this.acc as Buffer).subarray(0, this.accLen);
    this.acc = null;
    this.accLen = 0;
    return held;
  }
}

/** Index of `needle` in `buf` at or after `from`, or {@link NONE}. */
function searchFrom(buf: Buffer, needle: Buffer | number, from: number): number {
  const i = buf.indexOf(needle, from);
  return i === -1 ? NONE : i;
}

