import { mulberry32 } from '@stratum-relay/prng';
import { LineSplitter, type LineSink } from '../src/line-splitter';

type Cut = { line: string } | { oversized: number };

function recorder(): LineSink & { cuts: Cut[] } {
  const cuts: Cut[] = [];
  return {
    cuts,
    onLine(buf, start, end) {
      cuts.push({ line: buf.toString('utf8', start, end) });
    },
    onOversized(bytes) {
      cuts.push({ oversized: bytes });
    },
  };
}

function split(limit: number, chunks: readonly (string | Buffer)[], end = true): Cut[] {
  const sink = recorder();
  const splitter = new LineSplitter(limit, sink);
  for (const c of chunks) splitter.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  if (end) splitter.end();
  return sink.cuts;
}

describe('LineSplitter', () => {
  it('cuts several lines out of one chunk and drops blank ones', () => {
    expect(split(100, ['a\nbb\n\n\r\nccc\n'])).toEqual([{ line: 'a' }, { line: 'bb' }, { line: 'ccc' }]);
  });

  it('strips one trailing carriage return but keeps a carriage return inside a line', () => {
    expect(split(100, ['a\r\nb\rc\r\n'])).toEqual([{ line: 'a' }, { line: 'b\rc' }]);
  });

  it('joins a line that spans many chunks and keeps only the unfinished tail', () => {
    const sink = recorder();
    const splitter = new LineSplitter(100, sink);
    splitter.push(Buffer.from('hel'));
    expect(splitter.bufferedBytes).toBe(3);
    splitter.push(Buffer.from('lo wo'));
    splitter.push(Buffer.from('rld\nne'));
    expect(splitter.bufferedBytes).toBe(2);
    splitter.push(Buffer.from('xt\r'));
    splitter.push(Buffer.from('\n'));
    expect(splitter.bufferedBytes).toBe(0);
    expect(sink.cuts).toEqual([{ line: 'hello world' }, { line: 'next' }]);
  });

  it('decodes a multi-byte character split across chunks correctly', () => {
    const bytes = Buffer.from('é€😀\n', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(split(100, [bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([{ line: 'é€😀' }]);
    }
  });

  it('delivers a final line without a newline only at end()', () => {
    expect(split(100, ['a\nlast'], false)).toEqual([{ line: 'a' }]);
    expect(split(100, ['a\nlast'])).toEqual([{ line: 'a' }, { line: 'last' }]);
    expect(split(100, ['a\nlast\r'])).toEqual([{ line: 'a' }, { line: 'last' }]);
  });

  it('accepts a line of exactly the limit, with or without CRLF, and reports one byte more as oversized', () => {
    expect(split(5, ['abcde\n', 'abcde\r\n'])).toEqual([{ line: 'abcde' }, { line: 'abcde' }]);
    expect(split(5, ['abcdef\n', 'abcdef\r\n'])).toEqual([{ oversized: 6 }, { oversized: 6 }]);
  });

  it('accepts a line of exactly the limit whose carriage return and newline arrive in separate chunks', () => {
    expect(split(5, ['abc', 'de\r', '\nok\n'])).toEqual([{ line: 'abcde' }, { line: 'ok' }]);
    expect(split(5, ['abc', 'de\r', 'x\nok\n'])).toEqual([{ oversized: 7 }, { line: 'ok' }]);
  });

  it('reports an oversized line spanning many chunks once, with its total length, and parses the next line', () => {
    const chunks = ['ab', ...Array.from({ length: 50 }, () => 'x'.repeat(37)), 'yz\r', '\nnext\n'];
    expect(split(10, chunks)).toEqual([{ oversized: 2 + 50 * 37 + 2 }, { line: 'next' }]);
  });

  it('reports an oversized final line without newline at end()', () => {
    expect(split(3, ['ok\n', 'toolong'])).toEqual([{ line: 'ok' }, { oversized: 7 }]);
  });

  it('never holds more than the limit plus one byte, whatever the chunking', () => {
    const seed = 0x5eed;
    const rand = mulberry32(seed);
    const limit = 64;
    const sink = recorder();
    const splitter = new LineSplitter(limit, sink);
    try {
      for (let i = 0; i < 3000; i++) {
        const n = 1 + Math.floor(rand() * 200);
        const chunk = Buffer.alloc(n);
        // Few newlines so most lines are long.
        for (let j = 0; j < n; j++) chunk[j] = rand() < 0.004 ? 0x0a : rand() < 0.05 ? 0x0d : 0x61;
        splitter.push(chunk);
        expect(splitter.bufferedBytes).toBeLessThanOrEqual(limit + 1);
        expect(splitter.capacity).toBeLessThanOrEqual(limit + 1);
      }
    } catch (err) {
      throw new Error(`seed ${seed}: ${(err as Error).message}`);
    }
    expect(sink.cuts.some((c) => 'oversized' in c)).toBe(true);
  });

  it('holds no buffer between lines: an accumulator lives only while its line is open', () => {
    const sink = recorder();
    const splitter = new LineSplitter(1 << 20, sink);
    splitter.push(Buffer.from('{"id":1'));
    expect(splitter.capacity).toBeGreaterThan(0);
    splitter.push(Buffer.from('}\n{"id":2}\n{"id"'));
    expect(splitter.capacity).toBeGreaterThan(0);
    splitter.push(Buffer.from(':3}\n'));
    expect(splitter.capacity).toBe(0);
    expect(sink.cuts).toEqual([{ line: '{"id":1}' }, { line: '{"id":2}' }, { line: '{"id":3}' }]);
  });

  it('releases a large accumulator once its line is done', () => {
    const sink = recorder();
    const splitter = new LineSplitter(1 << 20, sink);
    splitter.push(Buffer.alloc(100_000, 0x61));
    expect(splitter.capacity).toBeGreaterThanOrEqual(100_000);
    splitter.push(Buffer.from('\n'));
    expect(splitter.capacity).toBe(0);
    expect(sink.cuts).toEqual([{ line: 'a'.repeat(100_000) }]);
  });

  it('forgets a partial line on reset() and resynchronises on the next newline', () => {
    const sink = recorder();
    const splitter = new LineSplitter(100, sink);
    splitter.push(Buffer.from('garb'));
    splitter.reset();
    splitter.push(Buffer.from('ok\n'));
    expect(sink.cuts).toEqual([{ line: 'ok' }]);
  });

  it('treats a non-positive limit as one byte rather than unbounded', () => {
    expect(split(0, ['a\nbc\n'])).toEqual([{ line: 'a' }, { oversized: 2 }]);
  });
});
