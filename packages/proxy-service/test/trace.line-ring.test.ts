import { LineRing } from '../src/trace/line-ring';

interface Read {
  text: string | null;
  size: number;
  t: number;
  seq: number;
}

function all(ring: LineRing): Read[] {
  const out: Read[] = [];
  for (let k = 0; k < ring.count; k++) ring.read(k, (text, size, t, seq) => out.push({ text, size, t, seq }));
  return out;
}

/** Writes one line as its own copy (footprint = its bytes). */
function add(ring: LineRing, line: string, seq: number): void {
  const bytes = Buffer.from(line);
  ring.addLine(ring.write(bytes, 0, bytes.length), bytes.length, seq * 10, seq);
}

describe('LineRing', () => {
  it('reads back a line split by the end of the ring byte for byte, a multi-byte character cut in two included', () => {
    const ring = new LineRing(1024, 100);
    add(ring, 'a'.repeat(1000), 1);
    ring.shift();
    // The ring is 1,024 bytes and its tail at 1,000: this line wraps, its "é" (2 bytes) across the end.
    const line = `${'x'.repeat(23)}é${'y'.repeat(40)}`;
    add(ring, line, 2);
    expect(ring.capacity).toBe(1024);
    expect(all(ring)).toEqual([{ text: line, size: Buffer.byteLength(line), t: 20, seq: 2 }]);
  });

  it('grows on demand, keeping the lines and their order, and never past its byte bound', () => {
    const ring = new LineRing(4096, 100);
    const lines = Array.from({ length: 30 }, (_, i) => `${i}:`.padEnd(100, String.fromCharCode(97 + (i % 26))));
    for (let i = 0; i < 30; i++) add(ring, lines[i] as string, i + 1);
    expect(ring.capacity).toBe(4096);
    expect(ring.used).toBe(3000);
    expect(all(ring).map((r) => r.text)).toEqual(lines);
    expect(() => add(ring, 'z'.repeat(1200), 31)).toThrow(RangeError);
  });

  it('wraps many times under a steady stream and keeps the newest lines exact', () => {
    const ring = new LineRing(2048, 16);
    const kept: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const line = `{"id":${i},"p":"${'q'.repeat(i % 97)}"}`;
      const n = Buffer.byteLength(line);
      while (ring.count >= 16 || ring.used + n > 2048) {
        ring.shift();
        kept.shift();
      }
      add(ring, line, i + 1);
      kept.push(line);
      expect(ring.used).toBeLessThanOrEqual(2048);
    }
    expect(all(ring).map((r) => r.text)).toEqual(kept);
    expect(all(ring).map((r) => r.seq)).toEqual(kept.map((_, k) => 5000 - kept.length + k + 1));
  });

  it('keeps lines copied together with the newline between them in their footprint', () => {
    const ring = new LineRing(1024, 10);
    const chunk = Buffer.from('{"a":1}\n{"b":2}\r\n{"c":3}\n');
    const starts = Int32Array.from([0, 8, 17]);
    const ends = Float64Array.from([7, 15, 24]);
    const at = ring.write(chunk, 0, 24);
    ring.addLines(at, starts, ends, Float64Array.from([1, 1, 2]), 0, 3, 1);
    expect(ring.used).toBe(24);
    expect(all(ring).map((r) => [r.text, r.t, r.seq])).toEqual([
      ['{"a":1}', 1, 1],
      ['{"b":2}', 1, 2],
      ['{"c":3}', 2, 3],
    ]);
    expect(ring.shift()).toBe(8);
    expect(ring.shift()).toBe(9);
    expect(ring.used).toBe(7);
    expect(all(ring).map((r) => r.text)).toEqual(['{"c":3}']);
  });

  it('registers lines from a circular table that wrapped', () => {
    const ring = new LineRing(1024, 10);
    const chunk = Buffer.from('aa\nbbb\ncccc\n');
    // The caller's table of 3 slots wrapped: its oldest line is in slot 1.
    const starts = Int32Array.from([7, 0, 3]);
    const ends = Float64Array.from([11, 2, 6]);
    ring.addLines(ring.write(chunk, 0, 11), starts, ends, Float64Array.from([3, 1, 2]), 1, 3, 5);
    expect(all(ring).map((r) => [r.text, r.t, r.seq])).toEqual([
      ['aa', 1, 5],
      ['bbb', 2, 6],
      ['cccc', 3, 7],
    ]);
  });

  it('drops lines not kept between kept ones without losing count of the bytes, across growth', () => {
    const ring = new LineRing(8192, 100);
    ring.addNotKept(5000, 1, 1);
    add(ring, 'x'.repeat(900), 2);
    ring.addNotKept(6000, 3, 3);
    add(ring, 'y'.repeat(900), 4);
    // Grows from 1 KiB to 2 KiB to 4 KiB: the offsets move, the markers with them.
    add(ring, 'z'.repeat(2000), 5);
    ring.addNotKept(7000, 6, 6);
    expect(ring.capacity).toBe(4096);
    expect(ring.drop(2)).toBe(900);
    expect(ring.used).toBe(2900);
    expect(all(ring).map((r) => [r.text?.[0] ?? null, r.size])).toEqual([
      [null, 6000],
      ['y', 900],
      ['z', 2000],
      [null, 7000],
    ]);
    expect(ring.drop(2)).toBe(900);
    expect(ring.drop(1)).toBe(2000);
    expect(ring.used).toBe(0);
  });

  it('tells a full ring from an empty one: a line filling it all, then a line not kept', () => {
    const ring = new LineRing(1024, 10);
    add(ring, 'f'.repeat(1024), 1);
    ring.addNotKept(3000, 2, 2);
    expect(ring.drop(1)).toBe(1024);
    expect(ring.used).toBe(0);
    add(ring, 'after', 3);
    expect(all(ring).map((r) => r.text)).toEqual([null, 'after']);
  });

  it('holds a line not kept as its size only', () => {
    const ring = new LineRing(1024, 10);
    add(ring, 'one', 1);
    ring.addNotKept(70_000, 5, 2);
    add(ring, 'three', 3);
    expect(all(ring)).toEqual([
      { text: 'one', size: 3, t: 10, seq: 1 },
      { text: null, size: 70_000, t: 5, seq: 2 },
      { text: 'three', size: 5, t: 30, seq: 3 },
    ]);
    expect(ring.used).toBe(8);
  });

  it('compacts to what it holds (a closed connection), lines intact, and grows again if written to', () => {
    const ring = new LineRing(65536, 200);
    for (let i = 0; i < 40; i++) add(ring, `line ${i} `.padEnd(50, '.'), i + 1);
    for (let i = 0; i < 25; i++) ring.shift();
    const before = all(ring);
    ring.compact();
    expect(ring.capacity).toBe(15 * 50);
    expect(all(ring)).toEqual(before);
    add(ring, 'after', 41);
    expect(all(ring).map((r) => r.text)).toEqual([...before.map((r) => r.text), 'after']);
  });

  it('starts empty: no bytes allocated before the first line', () => {
    const ring = new LineRing(65536, 200);
    expect(ring.capacity).toBe(0);
    expect(ring.oldestSeq()).toBe(Infinity);
    ring.addNotKept(10, 1, 1);
    expect(ring.capacity).toBe(0);
  });
});
