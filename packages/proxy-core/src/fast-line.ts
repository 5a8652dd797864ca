import { STRATUM_METHODS, type JsonRpcId } from '@stratum-relay/shared-types';

/**
 * The observer's fast path: one pass over the bytes of a line that classifies the few shapes
 * almost all Stratum traffic has — `mining.submit` requests, `{"id":N,"result":true,"error":null}`
 * answers, `mining.notify` / `mining.set_difficulty` notifications — and extracts what the
 * listeners read (method, id, literal results and errors) without building a string or an object.
 * Everything else (params, composite results and errors) is left as byte ranges that
 * {@link decodeJsonSlice} turns into values only when a listener asks for them.
 *
 * It accepts a strict subset of JSON and answers "not mine" (false) for anything outside it, so
 * the caller falls back to `JSON.parse` + `classifyStratumMessage`; whatever it does accept, it
 * classifies exactly as that general path would (the differential fuzz in
 * stratum-parser.fast-path.test.ts checks it line by line). The subset:
 *
 * - one top-level object, JSON whitespace anywhere JSON allows it, nothing after it;
 * - no backslash anywhere: escapes are rare on the wire and would make key and method names
 *   differ from their bytes (`"m\u0065thod"` is `method` to JSON.parse);
 * - no duplicate `id`, `method`, `params`, `result` or `error` key (JSON.parse keeps the last;
 *   not worth the bookkeeping); other keys (`jsonrpc`, ckpool's `reject-reason`) are validated
 *   and skipped;
 * - `id` null, a string, or an integer written as JSON.parse reads it exactly (no fraction or
 *   exponent, at most 15 digits); `method` a string; `params` an array; nesting at most
 *   {@link MAX_DEPTH} deep.
 *
 * Strings may hold any byte from 0x20 up except `"` and `\`, invalid UTF-8 included: decoding a
 * string's bytes alone gives the same characters as decoding the whole line (a UTF-8 decoder
 * never swallows an ASCII byte into a bad sequence), so `toString('utf8')` of a slice and
 * `JSON.parse` of the line agree. Key and method names are compared as bytes: invalid UTF-8
 * decodes to U+FFFD, which no ASCII name contains.
 */

/** What {@link scanLine} found. */
export const FastKind = {
  Request: 1,
  Notification: 2,
  Response: 3,
} as const;
export type FastKind = (typeof FastKind)[keyof typeof FastKind];

/** Deeper nesting goes to JSON.parse (Stratum nests 3 levels at most: a subscribe answer). */
const MAX_DEPTH = 32;

// Byte classes inside a string: 0 plain, 1 closing quote, 2 not handled here (backslash, control).
const IN_STRING = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) IN_STRING[c] = 2;
IN_STRING[0x22] = 1;
IN_STRING[0x5c] = 2;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Integers up to 15 digits are exact in a double whatever their digits (2^53 has 16). */
const MAX_ID_DIGITS = 15;

// Known method names as bytes, by length, so a method costs a few byte compares and no string.
const METHODS_BY_LENGTH: ReadonlyArray<ReadonlyArray<{ readonly bytes: Buffer; readonly name: string }>> = (() => {
  const table: { bytes: Buffer; name: string }[][] = [];
  for (const name of STRATUM_METHODS) {
    const bytes = Buffer.from(name, 'latin1');
    (table[bytes.length] ??= []).push({ bytes, name });
  }
  return table;
})();

/**
 * Output slot of {@link scanLine}, owned by one parser and overwritten by every line. Ranges are
 * byte offsets into the scanned buffer, valid only while that line is being handled.
 */
export class FastLine {
  kind: FastKind = FastKind.Request;
  /** Requests and responses; null for a notification. A string id is the one string made. */
  id: JsonRpcId = null;
  /** Requests and notifications: the method, one of the interned STRATUM_METHODS when known. */
  method = '';
  /** `[paramsStart, paramsEnd)`: the params array; -1 when the line has none (`[]`). */
  paramsStart = -1;
  paramsEnd = -1;
  /** Responses: `result` when it is `true`, `false` or `null`; undefined when absent or a range. */
  result: unknown = undefined;
  resultStart = -1;
  resultEnd = -1;
  /** Responses: `error` when it is `null`, `true` or `false`; undefined when absent or a range. */
  error: unknown = undefined;
  errorStart = -1;
  errorEnd = -1;
}

/**
 * One JSON value's bytes `[start, end)` of `buf`, decoded: what `JSON.parse` of the whole line
 * gives for that member. The range must hold one complete JSON value (as scanLine found it).
 */
export function decodeJsonSlice(buf: Buffer, start: number, end: number): unknown {
  return JSON.parse(buf.toString('utf8', start, end)) as unknown;
}

/** The params of a scanned request or notification, decoded (a fresh array). */
export function decodeParams(buf: Buffer, line: FastLine): readonly unknown[] {
  return line.paramsStart < 0 ? EMPTY : (decodeJsonSlice(buf, line.paramsStart, line.paramsEnd) as unknown[]);
}

/** A scanned response's result, decoded. */
export function decodeResult(buf: Buffer, line: FastLine): unknown {
  return line.resultStart < 0 ? line.result : decodeJsonSlice(buf, line.resultStart, line.resultEnd);
}

/** A scanned response's error, decoded. */
export function decodeError(buf: Buffer, line: FastLine): unknown {
  return line.errorStart < 0 ? line.error : decodeJsonSlice(buf, line.errorStart, line.errorEnd);
}

const EMPTY: readonly unknown[] = Object.freeze([]);

// Which top-level key a member has (bit flags, so a repeated one is seen at once).
const KEY_OTHER = 0;
const KEY_ID = 1;
const KEY_METHOD = 2;
const KEY_PARAMS = 4;
const KEY_RESULT = 8;
const KEY_ERROR = 16;

/**
 * Scans bytes `[start, end)` of `buf` (one line, without its terminator). True: `out` describes
 * the line, and the general path would have classified it the same way. False: the line is
 * outside the fast subset (or not Stratum, or not JSON); decode it with JSON.parse.
 *
 * HOT PATH: one forward pass, no allocation except a string id or an unknown method name.
 */
export function scanLine(buf: Buffer, start: number, end: number, out: FastLine): boolean {
  // Whitespace is skipped only where a byte <= 0x20 shows some (canonical lines have none): a
  // compare instead of a call per token.
  let i = start;
  if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
  if (i >= end || buf[i] !== OPEN_BRACE) return false;
  i++;
  if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
  let seen = 0;
  let id: JsonRpcId = null;
  let method: string | null = null;
  out.paramsStart = -1;
  out.paramsEnd = -1;
  out.result = undefined;
  out.resultStart = -1;
  out.resultEnd = -1;
  out.error = undefined;
  out.errorStart = -1;
  out.errorEnd = -1;
  // `{}` and other member-less objects are not Stratum: the general path says so.
  for (;;) {
    if (i >= end || buf[i] !== QUOTE) return false;
    const keyStart = i + 1;
    // Known keys are matched with their closing quote in one pass; any other key is a string.
    const key = knownKey(buf, keyStart, end);
    let keyEnd: number;
    if (key !== KEY_OTHER) keyEnd = keyStart + (key === KEY_ID ? 2 : key === KEY_ERROR ? 5 : 6);
    else {
      keyEnd = stringEnd(buf, keyStart, end);
      if (keyEnd < 0) return false;
    }
    if ((seen & key) !== 0) return false;
    seen |= key;
    i = keyEnd + 1;
    if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
    if (i >= end || buf[i] !== COLON) return false;
    i++;
    if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
    if (i >= end) return false;
    const c = buf[i] as number;
    const valueStart = i;
    switch (key) {
      case KEY_ID:
        if (c === QUOTE) {
          const e = stringEnd(buf, i + 1, end);
          if (e < 0) return false;
          id = buf.toString('utf8', i + 1, e);
          i = e + 1;
        } else if (c === 0x6e /* n */) {
          i = literalEnd(buf, i, end);
          if (i < 0 || buf[valueStart + 1] !== 0x75 /* u */) return false;
          id = null;
        } else {
          i = integerEnd(buf, i, end);
          if (i < 0) return false;
          id = integerValue(buf, valueStart, i);
        }
        break;
      case KEY_METHOD: {
        if (c !== QUOTE) return false;
        const e = stringEnd(buf, i + 1, end);
        if (e < 0) return false;
        method = methodName(buf, i + 1, e);
        i = e + 1;
        break;
      }
      case KEY_PARAMS:
        if (c !== OPEN_BRACKET) return false;
        i = valueEnd(buf, i, end, 0);
        if (i < 0) return false;
        out.paramsStart = valueStart;
        out.paramsEnd = i;
        break;
      case KEY_RESULT:
        // `"result":true` and `"error":null` (an accepted share) without a call.
        if (c === 0x74 && i + 4 <= end && buf[i + 1] === 0x72 && buf[i + 2] === 0x75 && buf[i + 3] === 0x65) {
          out.result = true;
          i += 4;
          break;
        }
        i = valueEnd(buf, i, end, 0);
        if (i < 0) return false;
        if (c === 0x74 /* t */ || c === 0x66 /* f */ || c === 0x6e /* n */) out.result = literalValue(c);
        else {
          out.resultStart = valueStart;
          out.resultEnd = i;
        }
        break;
      case KEY_ERROR:
        if (c === 0x6e && i + 4 <= end && buf[i + 1] === 0x75 && buf[i + 2] === 0x6c && buf[i + 3] === 0x6c) {
          out.error = null;
          i += 4;
          break;
        }
        i = valueEnd(buf, i, end, 0);
        if (i < 0) return false;
        if (c === 0x74 || c === 0x66 || c === 0x6e) out.error = literalValue(c);
        else {
          out.errorStart = valueStart;
          out.errorEnd = i;
        }
        break;
      default:
        i = valueEnd(buf, i, end, 0);
        if (i < 0) return false;
    }
    if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
    if (i >= end) return false;
    const d = buf[i];
    if (d === COMMA) {
      i++;
      if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
      continue;
    }
    if (d !== CLOSE_BRACE) return false;
    i++;
    if (i < end) i = skipWs(buf, i, end);
    break;
  }
  if (i !== end) return false;
  // As classifyStratumMessage: a string method makes a request (id neither null nor absent) or a
  // notification; otherwise an id with a result or an error makes a response.
  if (method !== null) {
    out.method = method;
    if (id === null) {
      out.kind = FastKind.Notification;
    } else {
      out.kind = FastKind.Request;
      out.id = id;
    }
    return true;
  }
  if ((seen & KEY_ID) !== 0 && (seen & (KEY_RESULT | KEY_ERROR)) !== 0) {
    out.kind = FastKind.Response;
    out.id = id;
    return true;
  }
  return false;
}

function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}

/** Index of the closing quote of a string whose content starts at `i`, or -1 (escape, control byte, no end). */
function stringEnd(buf: Buffer, i: number, end: number): number {
  // Four plain bytes per step first: hex strings (coinbase, merkle branch, nonces) are most of
  // the bytes, and one test per four bytes made a notify 30 % cheaper to scan (8 per step: no
  // better on notifies, worse on submits).
  while (
    i + 3 < end &&
    ((IN_STRING[buf[i] as number] as number) |
      (IN_STRING[buf[i + 1] as number] as number) |
      (IN_STRING[buf[i + 2] as number] as number) |
      (IN_STRING[buf[i + 3] as number] as number)) ===
      0
  ) {
    i += 4;
  }
  while (i < end) {
    const k = IN_STRING[buf[i] as number];
    if (k === 0) {
      i++;
      continue;
    }
    return k === 1 ? i : -1;
  }
  return -1;
}

/** The known top-level key whose name, then its closing quote, start at `i`; KEY_OTHER for any other. */
function knownKey(buf: Buffer, i: number, end: number): number {
  switch (buf[i]) {
    case 0x69: // id"
      return i + 2 < end && buf[i + 1] === 0x64 && buf[i + 2] === QUOTE ? KEY_ID : KEY_OTHER;
    case 0x6d: // method"
      return i + 6 < end &&
        buf[i + 1] === 0x65 &&
        buf[i + 2] === 0x74 &&
        buf[i + 3] === 0x68 &&
        buf[i + 4] === 0x6f &&
        buf[i + 5] === 0x64 &&
        buf[i + 6] === QUOTE
        ? KEY_METHOD
        : KEY_OTHER;
    case 0x70: // params"
      return i + 6 < end &&
        buf[i + 1] === 0x61 &&
        buf[i + 2] === 0x72 &&
        buf[i + 3] === 0x61 &&
        buf[i + 4] === 0x6d &&
        buf[i + 5] === 0x73 &&
        buf[i + 6] === QUOTE
        ? KEY_PARAMS
        : KEY_OTHER;
    case 0x72: // result"
      return i + 6 < end &&
        buf[i + 1] === 0x65 &&
        buf[i + 2] === 0x73 &&
        buf[i + 3] === 0x75 &&
        buf[i + 4] === 0x6c &&
        buf[i + 5] === 0x74 &&
        buf[i + 6] === QUOTE
        ? KEY_RESULT
        : KEY_OTHER;
    case 0x65: // error"
      return i + 5 < end && buf[i + 1] === 0x72 && buf[i + 2] === 0x72 && buf[i + 3] === 0x6f && buf[i + 4] === 0x72 && buf[i + 5] === QUOTE
        ? KEY_ERROR
        : KEY_OTHER;
    default:
      return KEY_OTHER;
  }
}

/** The interned name when the bytes spell a known method, else the decoded string. */
function methodName(buf: Buffer, start: number, end: number): string {
  const candidates = METHODS_BY_LENGTH[end - start];
  if (candidates !== undefined) {
    for (let k = 0; k < candidates.length; k++) {
      const m = candidates[k] as { readonly bytes: Buffer; readonly name: string };
      const bytes = m.bytes;
      let j = 0;
      while (j < bytes.length && bytes[j] === buf[start + j]) j++;
      if (j === bytes.length) return m.name;
    }
  }
  return buf.toString('utf8', start, end);
}

function literalValue(c: number): boolean | null {
  return c === 0x74 ? true : c === 0x66 ? false : null;
}

/** End of `true`, `false` or `null` starting at `i`, or -1. */
function literalEnd(buf: Buffer, i: number, end: number): number {
  const c = buf[i];
  if (c === 0x74) {
    return i + 4 <= end && buf[i + 1] === 0x72 && buf[i + 2] === 0x75 && buf[i + 3] === 0x65 ? i + 4 : -1;
  }
  if (c === 0x66) {
    return i + 5 <= end && buf[i + 1] === 0x61 && buf[i + 2] === 0x6c && buf[i + 3] === 0x73 && buf[i + 4] === 0x65 ? i + 5 : -1;
  }
  if (c === 0x6e) {
    return i + 4 <= end && buf[i + 1] === 0x75 && buf[i + 2] === 0x6c && buf[i + 3] === 0x6c ? i + 4 : -1;
  }
  return -1;
}

/** End of an id integer (`-?(0|[1-9][0-9]{0,14})`, not followed by a fraction or exponent), or -1. */
function integerEnd(buf: Buffer, i: number, end: number): number {
  if (buf[i] === MINUS) i++;
  if (i >= end) return -1;
  const first = buf[i] as number;
  if (first === ZERO) i++;
  else if (first > ZERO && first <= NINE) {
    const digitsStart = i;
    i++;
    while (i < end) {
      const c = buf[i] as number;
      if (c < ZERO || c > NINE) break;
      i++;
    }
    if (i - digitsStart > MAX_ID_DIGITS) return -1;
  } else return -1;
  // 4.0 or 1e3 is a number JSON.parse reads, but not one worth reading here.
  const next = buf[i];
  if (i < end && (next === 0x2e || next === 0x65 || next === 0x45)) return -1;
  return i;
}

function integerValue(buf: Buffer, start: number, end: number): number {
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  let v = 0;
  for (; i < end; i++) v = v * 10 + ((buf[i] as number) - ZERO);
  // -0 stays -0, as JSON.parse reads it.
  return negative ? -v : v;
}

/** End of a JSON number starting at `i` (full grammar), or -1. */
function numberEnd(buf: Buffer, i: number, end: number): number {
  if (buf[i] === MINUS) i++;
  if (i >= end) return -1;
  let c = buf[i] as number;
  if (c === ZERO) i++;
  else if (c > ZERO && c <= NINE) {
    i++;
    while (i < end && (c = buf[i] as number) >= ZERO && c <= NINE) i++;
  } else return -1;
  if (i < end && buf[i] === 0x2e) {
    i++;
    const digits = i;
    while (i < end && (c = buf[i] as number) >= ZERO && c <= NINE) i++;
    if (i === digits) return -1;
  }
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    if (i < end && (buf[i] === 0x2b || buf[i] === MINUS)) i++;
    const digits = i;
    while (i < end && (c = buf[i] as number) >= ZERO && c <= NINE) i++;
    if (i === digits) return -1;
  }
  return i;
}

/** End of any JSON value starting at `i` (validated, not decoded), or -1 when outside the subset. */
function valueEnd(buf: Buffer, i: number, end: number, depth: number): number {
  const c = buf[i] as number;
  if (c === QUOTE) {
    const e = stringEnd(buf, i + 1, end);
    return e < 0 ? -1 : e + 1;
  }
  if (c === OPEN_BRACKET) {
    if (depth >= MAX_DEPTH) return -1;
    i++;
    if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
    if (i < end && buf[i] === CLOSE_BRACKET) return i + 1;
    for (;;) {
      if (i >= end) return -1;
      // Arrays of strings (params, merkle branches) are most of the bytes: no call per element.
      if (buf[i] === QUOTE) i = stringEnd(buf, i + 1, end) + 1;
      else i = valueEnd(buf, i, end, depth + 1);
      if (i <= 0) return -1;
      if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
      if (i >= end) return -1;
      const d = buf[i];
      if (d === CLOSE_BRACKET) return i + 1;
      if (d !== COMMA) return -1;
      i++;
      if (i < end && (buf[i] as number) <= 0x20) i = skipWs(buf, i, end);
    }
  }
  if (c === OPEN_BRACE) {
    if (depth >= MAX_DEPTH) return -1;
    i = skipWs(buf, i + 1, end);
    if (i < end && buf[i] === CLOSE_BRACE) return i + 1;
    for (;;) {
      if (i >= end || buf[i] !== QUOTE) return -1;
      const e = stringEnd(buf, i + 1, end);
      if (e < 0) return -1;
      i = skipWs(buf, e + 1, end);
      if (i >= end || buf[i] !== COLON) return -1;
      i = skipWs(buf, i + 1, end);
      if (i >= end) return -1;
      i = valueEnd(buf, i, end, depth + 1);
      if (i < 0) return -1;
      i = skipWs(buf, i, end);
      if (i >= end) return -1;
      const d = buf[i];
      if (d === CLOSE_BRACE) return i + 1;
      if (d !== COMMA) return -1;
      i = skipWs(buf, i + 1, end);
    }
  }
  if (c === MINUS || (c >= ZERO && c <= NINE)) return numberEnd(buf, i, end);
  return literalEnd(buf, i, end);
}
