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
  ring.addLine(ring.write(bytes, 0, bytes.length), bytes.length, bytes.length, seq * 10, seq);
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
    const at = ring.write(chunk, 0, 24);
    ring.addLine(at, 7, 8, 1, 1);
    ring.addLine(at + 8, 7, 9, 1, 2);
    ring.addLine(at + 17, 7, 7, 1, 3);
    expect(ring.used).toBe(24);
    expect(all(ring).map((r) => r.text)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(ring.shift()).toBe(8);
    expect(ring.shift()).toBe(9);
    expect(ring.used).toBe(7);
    expect(all(ring).map((r) => r.text)).toEqual(['{"c":3}']);
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
