import JsonparseParser from 'jsonparse';
import { INVALID_JSON, StratumParser, type StratumParserOptions } from './stratum-parser';

/*
 * The alternative decoder, kept for the parser benchmark and the shared test suite: the same
 * framing and classification as StratumParser, but each line goes through the pure-JS streaming
 * `jsonparse` tokenizer instead of `JSON.parse`. It lost the benchmark (docs/BENCHMARKS.md), so it
 * is not exported from the package index.
 *
 * Known differences from JSON.parse (jsonparse is laxer/stricter in corners Stratum never uses):
 * trailing commas and leading zeros are accepted, digit strings beyond 2^53 become strings,
 * invalid UTF-8 inside a string is an error instead of U+FFFD.
 */

const START: number = JsonparseParser.C.START ?? 0x11;
const VALUE: number = JsonparseParser.C.VALUE ?? 0x71;
/** Written after every line so a top-level number is flushed (jsonparse waits for a delimiter). */
const LINE_END = Buffer.from('\n');

// One tokenizer for the whole process: every line is written to it whole and synchronously, so no
// state carries from one line (or connection) to the next, and each jsonparse instance costs a
// 64 KiB string buffer we do not want per connection.
let shared: JsonparseParser | null = null;
let topLevelValues = 0;
let topLevelValue: unknown = undefined;
let failed = false;

function createDecoder(): JsonparseParser {
  const p = new JsonparseParser();
  p.onValue = function onValue(this: JsonparseParser, value: unknown): void {
    if (this.stack.length === 0) {
      topLevelValues++;
      topLevelValue = value;
    }
  };
  p.onError = function onError(): void {
    failed = true;
  };
  return p;
}

/** Back to the constructor's state without reallocating its buffers (fields per jsonparse 1.3.1). */
function resetDecoder(p: JsonparseParser): void {
  p.tState = START;
  p.state = VALUE;
  p.value = undefined;
  p.key = undefined;
  p.mode = undefined;
  p.stack.length = 0;
  p.string = undefined;
  p.stringBufferOffset = 0;
  p.unicode = undefined;
  p.highSurrogate = undefined;
  p.bytes_remaining = 0;
  p.bytes_in_sequence = 0;
}

function decodeWithJsonparse(line: Buffer): unknown {
  const p = shared ?? (shared = createDecoder());
  topLevelValues = 0;
  topLevelValue = undefined;
  failed = false;
  let ok: boolean;
  try {
    p.write(line);
    p.write(LINE_END);
    // Exactly one complete top-level value, like JSON.parse: `{}{}` and `{"a":` are invalid.
    ok = !failed && topLevelValues === 1 && p.stack.length === 0 && p.tState === START;
  } catch {
    ok = false;
  }
  const value = topLevelValue;
  topLevelValue = undefined;
  if (!ok) {
    resetDecoder(p);
    return INVALID_JSON;
  }
  return value;
}

/** StratumParser with the `jsonparse` decoder; same events, same guarantees. For benchmarks and tests. */
export class JsonparseStratumParser extends StratumParser {
  /** Every line goes through jsonparse: the fast path is StratumParser's and would hide the decoder. */
  constructor(options: StratumParserOptions) {
    super({ ...options, fastPath: false });
  }

  protected override decode(buf: Buffer, start: number, end: number): unknown {
    return decodeWithJsonparse(buf.subarray(start, end));
  }
}
