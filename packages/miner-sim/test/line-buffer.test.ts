import { mulberry32 } from '@stratum-relay/prng';
import { LineBuffer } from '../src/line-buffer';

function collect(buf: LineBuffer, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) buf.push(c, (l) => out.push(l.toString()));
  return out;
}

describe('LineBuffer', () => {
  it('splits lines across any chunk boundaries (seeded)', () => {
    const seed = 1337;
    const rand = mulberry32(seed);
    const text = Array.from({ length: 50 }, (_, i) => `{"id":${i},"x":"${'a'.repeat(i)}"}`).join('\n') + '\n';
    const bytes = Buffer.from(text);
    try {
      for (let round = 0; round < 50; round++) {
        const chunks: Buffer[] = [];
        let at = 0;
        while (at < bytes.length) {
          const n = 1 + Math.floor(rand() * 40);
          chunks.push(bytes.subarray(at, at + n));
          at += n;
        }
        expect(collect(new LineBuffer(1024), chunks)).toEqual(text.trimEnd().split('\n'));
      }
    } catch (err) {
      console.error(`line split property failed with seed ${seed}`);
      throw err;
    }
  });

  it('drops a line over the cap up to its newline and counts it', () => {
    const buf = new LineBuffer(10);
    const lines = collect(buf, [Buffer.from('short\n' + 'x'.repeat(8)), Buffer.from('x'.repeat(8)), Buffer.from('yy\nok\n')]);
    expect(lines).toEqual(['short', 'ok']);
    expect(buf.oversized).toBe(1);
  });

  it('drops a complete over-long line found within one chunk', () => {
    const buf = new LineBuffer(4);
    expect(collect(buf, [Buffer.from('123456789\nabc\n')])).toEqual(['abc']);
    expect(buf.oversized).toBe(1);
  });

  it('forgets a partial line on reset', () => {
    const buf = new LineBuffer(100);
    collect(buf, [Buffer.from('{"partial"')]);
    buf.reset();
    expect(collect(buf, [Buffer.from('next\n')])).toEqual(['next']);
  });
});
