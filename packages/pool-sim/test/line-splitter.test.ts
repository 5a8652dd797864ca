import { mulberry32 } from '@stratum-relay/prng';
import { LineSplitter } from '../src/line-splitter';

function collect(max = 64): { lines: string[]; oversized: number[]; s: LineSplitter } {
  const lines: string[] = [];
  const oversized: number[] = [];
  const s = new LineSplitter(
    max,
    (l) => lines.push(l.toString()),
    (n) => oversized.push(n),
  );
  return { lines, oversized, s };
}

describe('LineSplitter', () => {
  const input = '{"a":1}\n{"b":2}\r\n\n{"c":3}\n';

  it.each([1, 2, 3, 5, 8, 13, input.length])('splits the same lines whatever the chunk size (%i bytes)', (size) => {
    const { lines, s } = collect();
    const buf = Buffer.from(input);
    for (let i = 0; i < buf.length; i += size) s.push(buf.subarray(i, i + size));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(s.pendingBytes).toBe(0);
  });

  it('keeps an unfinished line until its newline arrives', () => {
    const { lines, s } = collect();
    s.push(Buffer.from('{"x"'));
    expect(lines).toEqual([]);
    s.push(Buffer.from(':1}\n'));
    expect(lines).toEqual(['{"x":1}']);
  });

  it('skips a line over the cap up to its newline, reports it once, and goes on', () => {
    const { lines, oversized, s } = collect(16);
    s.push(Buffer.from('x'.repeat(40)));
    s.push(Buffer.from('y'.repeat(40)));
    s.push(Buffer.from('zz\nok\n'));
    expect(oversized).toEqual([82]);
    expect(lines).toEqual(['ok']);
    expect(s.pendingBytes).toBe(0);
  });

  it('reports a complete oversized line that arrives in one chunk', () => {
    const { lines, oversized, s } = collect(4);
    s.push(Buffer.from('123456\nab\n'));
    expect(oversized).toEqual([6]);
    expect(lines).toEqual(['ab']);
  });

  it('yields the same lines for random chunkings (seeded)', () => {
    const seed = 20240611;
    const rand = mulberry32(seed);
    const expected: string[] = [];
    let text = '';
    for (let i = 0; i < 200; i++) {
      const line = `{"id":${i},"p":"${'q'.repeat(Math.floor(rand() * 30))}"}`;
      expected.push(line);
      text += `${line}\n`;
    }
    const buf = Buffer.from(text);
    const { lines, s } = collect(1024);
    for (let i = 0; i < buf.length; ) {
      const n = 1 + Math.floor(rand() * 50);
      s.push(buf.subarray(i, i + n));
      i += n;
    }
    if (lines.length !== expected.length) throw new Error(`line count differs (seed ${seed})`);
    expect(lines).toEqual(expected);
  });
});
