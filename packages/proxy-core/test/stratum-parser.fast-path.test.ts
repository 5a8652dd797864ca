import type { ProxyEvent } from '@stratum-relay/shared-types';
import { mulberry32 } from '@stratum-relay/prng';
import { ProxyEventBus } from '../src/event-bus';
import { FastKind, FastLine, decodeError, decodeParams, decodeResult, scanLine } from '../src/fast-line';
import { StratumParser } from '../src/stratum-parser';
import { loadCorpus } from './helpers/account-lines';
import { JsonParseOnlyStratumParser } from './helpers/parsers';
import { canonical, fuzzLine, generalPath, snapshot } from './helpers/stratum-line-fuzz';

// The fast path (fast-line.ts) must agree with JSON.parse + classifyStratumMessage on every line
// it accepts, and hand every other line to them. Checked three ways: scanLine against the oracle
// line by line (seeded fuzz of valid, near-valid and hostile lines), whole parsers with and
// without it on the same streams (events lent to a borrowing listener and fresh ones), and the
// real transcripts in ../shared/corpus.

const FAST_KINDS: Record<number, string> = {
  [FastKind.Request]: 'stratum.request',
  [FastKind.Notification]: 'stratum.notification',
  [FastKind.Response]: 'stratum.response',
};

/** What the fast path makes of a line, decoded: null when it hands the line on. */
function fastPath(buf: Buffer, start: number, end: number): Record<string, unknown> | null {
  const f = new FastLine();
  if (!scanLine(buf, start, end, f)) return null;
  const type = FAST_KINDS[f.kind];
  if (type === 'stratum.request') return { type, id: f.id, method: f.method, params: decodeParams(buf, f) };
  if (type === 'stratum.notification') return { type, method: f.method, params: decodeParams(buf, f) };
  return { type, id: f.id, result: decodeResult(buf, f), error: decodeError(buf, f) };
}

/** A line inside random bytes: the scanner must stay within [start, end). */
function embedded(rand: () => number, line: Buffer): { buf: Buffer; start: number; end: number } {
  const before = Buffer.alloc(Math.floor(rand() * 4));
  const after = Buffer.alloc(Math.floor(rand() * 4));
  for (const b of [before, after]) for (let i = 0; i < b.length; i++) b[i] = [0x22, 0x7d, 0x5d, 0x30, 0x65, 0x20, 0x2c][Math.floor(rand() * 7)] as number;
  return { buf: Buffer.concat([before, line, after]), start: before.length, end: before.length + line.length };
}

interface Capture {
  bus: ProxyEventBus;
  events: Record<string, unknown>[];
  objects: ProxyEvent[];
}

/** A real bus with one listener that reads every field during its call. */
function capture(borrows: boolean): Capture {
  const bus = new ProxyEventBus();
  const events: Record<string, unknown>[] = [];
  const objects: ProxyEvent[] = [];
  bus.subscribe(
    (e) => {
      objects.push(e);
      events.push(snapshot(e));
    },
    { borrowsEvents: borrows },
  );
  return { bus, events, objects };
}

function observe(Parser: typeof StratumParser, chunks: readonly Buffer[], borrows: boolean, maxLineBytes = 1 << 16): string[] {
  const c = capture(borrows);
  const parser = new Parser({ connectionId: 3, direction: 'pool_to_miner', maxLineBytes, bus: c.bus });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  if (parser.internalErrors !== 0) throw new Error(`${parser.internalErrors} internal errors`);
  return c.events.map((e) => canonical({ ...e, t: 0 }));
}

function randomChunks(rand: () => number, input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const n = 1 + Math.floor(rand() * (rand() < 0.3 ? 2000 : 150));
    chunks.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return chunks;
}

describe('the fast path against JSON.parse + the classifier', () => {
  it('agrees on every seeded valid, near-valid and hostile line it accepts, and accepts the canonical ones', () => {
    const SEED = 0x5eed11;
    const LINES = 40_000;
    const rand = mulberry32(SEED);
    let fast = 0;
    let canonicalFast = 0;
    const kinds = new Set<string>();
    for (let n = 0; n < LINES; n++) {
      const line = fuzzLine(rand);
      const { buf, start, end } = embedded(rand, line);
      const got = fastPath(buf, start, end);
      if (got === null) continue;
      fast++;
      const want = generalPath(line);
      kinds.add(String(want.type));
      if (canonical(got) !== canonical(want)) {
        throw new Error(
          `line ${n} of seed ${SEED} (replay: mulberry32(${SEED}), ${n + 1} fuzzLine calls): ${JSON.stringify(line.toString('latin1'))}\n` +
            `fast path: ${canonical(got)}\ngeneral:   ${canonical(want)}`,
        );
      }
      if (!line.includes(0x20)) canonicalFast++;
    }
    // It took a good share of the lines, of every kind, and left a good share to JSON.parse.
    expect(fast).toBeGreaterThan(LINES * 0.3);
    expect(fast).toBeLessThan(LINES * 0.9);
    expect(canonicalFast).toBeGreaterThan(LINES * 0.2);
    expect([...kinds].sort()).toEqual(['stratum.notification', 'stratum.request', 'stratum.response']);
  });

  it.each([
    ['a submit', '{"id":4,"method":"mining.submit","params":["bench-farm.worker-00001","6a5f","0000abcd","6553f2a1","1234abcd"]}'],
    ['a submit with version bits, id last', '{"params":["w.1","64851638001239ef","2300000000000000","668d7796","49830298","0318e000"],"method":"mining.submit","id":32253}'],
    ['an accepted answer', '{"id":4,"result":true,"error":null}'],
    ['an accepted answer, ckpool order', '{"result":true,"error":null,"id":32252}'],
    ['a JSON-RPC 2.0 answer (Miningcore)', '{"jsonrpc":"2.0","result":true,"id":113,"error":null}'],
    ['a rejected answer', '{"id":120,"result":null,"error":[21,"Job not found",""]}'],
    ['a rejected answer with a reason (ckpool)', '{"reject-reason":"Above target","result":false,"error":null,"id":32253}'],
    ['a notify', '{"id":null,"method":"mining.notify","params":["bf","4d16","0100","072f",["aa","bb"],"00000002","1c2ac4af","504e86b9",false]}'],
    ['a set_difficulty', '{"id":null,"method":"mining.set_difficulty","params":[1024]}'],
    ['a notification without id', '{"method":"mining.set_difficulty","params":[0.001]}'],
    ['Python-spaced JSON', '{"error": null, "id": 2, "result": true}'],
    ['a string id', '{"id":"a1","method":"mining.submit","params":[]}'],
    ['an unknown method', '{"id":9,"method":"mining.none_existing","params":["10","12"]}'],
  ])('classifies %s from its bytes, as JSON.parse would', (_what, text) => {
    const line = Buffer.from(text);
    const got = fastPath(line, 0, line.length);
    expect(got).not.toBeNull();
    expect(canonical(got)).toBe(canonical(generalPath(line)));
  });

  it.each([
    ['an escaped key', '{"\\u0069d":1,"method":"mining.submit","params":[]}'],
    ['an escape in a value', '{"id":1,"method":"mining.authorize","params":["a\\"b","x"]}'],
    ['a duplicate id', '{"id":1,"id":2,"result":true,"error":null}'],
    ['an id with a fraction', '{"id":4.0,"result":true,"error":null}'],
    ['an id with an exponent', '{"id":1e2,"result":true,"error":null}'],
    ['a 16-digit id', '{"id":1234567890123456,"result":true,"error":null}'],
    ['a boolean id', '{"id":true,"result":true,"error":null}'],
    ['params that are not an array', '{"id":1,"method":"m","params":{"a":1}}'],
    ['a method that is not a string', '{"id":1,"method":5,"params":[]}'],
    ['an object without Stratum keys', '{"a":1}'],
    ['a result without id', '{"result":true,"error":null}'],
    ['a truncated line', '{"id":4,"method":"mining.submit","params":["w","j"'],
    ['trailing garbage', '{"id":4,"result":true,"error":null}x'],
    ['two objects', '{"id":4,"result":true,"error":null}{}'],
    ['a control byte in a string', '{"id":1,"method":"m\u0001","params":[]}'],
    ['a byte order mark', '\ufeff{"id":4,"result":true,"error":null}'],
    ['a non-JSON space', '{"id":4,\u00a0"result":true,"error":null}'],
    ['a trailing comma', '{"id":4,"result":true,"error":null,}'],
    ['an empty object', '{}'],
    ['a top-level array', '[1,2]'],
  ])('hands %s to JSON.parse', (_what, text) => {
    const line = Buffer.from(text);
    expect(fastPath(line, 0, line.length)).toBeNull();
  });

  it('reads ids exactly as JSON.parse does, -0 included', () => {
    for (const id of ['0', '-0', '7', '-7', '123456789012345', '-123456789012345', 'null', '"x"', '""']) {
      const line = Buffer.from(`{"id":${id},"result":true,"error":null}`);
      const got = fastPath(line, 0, line.length);
      expect(canonical(got)).toBe(canonical(generalPath(line)));
    }
  });

  it('decodes invalid UTF-8 in a string as JSON.parse of the whole line does (U+FFFD, quotes kept)', () => {
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const line = Buffer.concat([Buffer.from('{"id":1,"method":"mining.authorize","params":["a'), Buffer.from(bad), Buffer.from('","x"]}')]);
      const got = fastPath(line, 0, line.length);
      expect(got).not.toBeNull();
      expect(canonical(got)).toBe(canonical(generalPath(line)));
    }
  });
});

describe('a parser with the fast path against one without it', () => {
  it('emits the same events for seeded streams, chunked anyhow, to borrowing and to keeping listeners', () => {
    for (let k = 0; k < 60; k++) {
      const seed = 0xfa57 + k;
      const rand = mulberry32(seed);
      try {
        const lines = Array.from({ length: 200 }, () => fuzzLine(rand));
        const stream = Buffer.concat(lines.flatMap((l) => [l, Buffer.from(rand() < 0.1 ? '\r\n' : '\n')]));
        const reference = observe(JsonParseOnlyStratumParser, [stream], false, 512);
        expect(observe(StratumParser, randomChunks(rand, stream), true, 512)).toEqual(reference);
        expect(observe(StratumParser, randomChunks(rand, stream), false, 512)).toEqual(reference);
      } catch (err) {
        throw new Error(`fast path differs, replay with seed ${seed}: ${(err as Error).message}`);
      }
    }
  });
});

describe('the real transcripts in ../shared/corpus', () => {
  const transcripts = loadCorpus();

  it('are all there', () => {
    expect(transcripts.length).toBeGreaterThanOrEqual(15);
  });

  it.each(transcripts.map((t) => [t.file, t] as const))('%s: every line gets the same events with and without the fast path', (_file, t) => {
    const rand = mulberry32(t.messages.length);
    for (const dir of ['miner->pool', 'pool->miner']) {
      const stream = Buffer.from(
        t.messages
          .filter((m) => m.dir === dir)
          .map((m) => m.line + '\n')
          .join(''),
        'utf8',
      );
      const reference = observe(JsonParseOnlyStratumParser, [stream], false);
      expect(observe(StratumParser, [stream], true)).toEqual(reference);
      expect(observe(StratumParser, randomChunks(rand, stream), true)).toEqual(reference);
      expect(observe(StratumParser, randomChunks(rand, stream), false)).toEqual(reference);
    }
  });

  it('are classified from their bytes wherever JSON.parse finds Stratum and no escape is in the line', () => {
    let lines = 0;
    for (const t of transcripts) {
      for (const m of t.messages) {
        const line = Buffer.from(m.line, 'utf8');
        const want = generalPath(line);
        const got = fastPath(line, 0, line.length);
        if (got !== null) expect(canonical(got)).toBe(canonical(want));
        if (want.type !== 'parse.error' && !m.line.includes('\\')) {
          lines++;
          if (got === null) throw new Error(`${t.file}: the fast path handed on ${m.line}`);
        }
      }
    }
    expect(lines).toBeGreaterThan(150);
  });
});
