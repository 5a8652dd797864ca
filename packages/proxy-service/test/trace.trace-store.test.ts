import type { ProxyEvent } from '@stratum-relay/shared-types';
import type { ConnectionDetails } from '../src/trace/connection-details';
import { TraceStore, type TraceStoreOptions } from '../src/trace/trace-store';

/** performance.now() values are turned into wall clock by adding timeOrigin: 0 keeps them as given. */
function store(overrides: Partial<TraceStoreOptions> = {}, clock = { now: 1_000_000 }): TraceStore {
  return new TraceStore({
    linesPerDirection: 3,
    maxBytes: 1_000_000,
    keepClosedMs: 60_000,
    timeOrigin: 0,
    now: () => clock.now,
    details: (connectionId, _now, closed) => ({ connectionId, worker: `w${connectionId}`, closedAt: closed === null ? null : 'x' }) as unknown as ConnectionDetails,
    ...overrides,
  });
}

/** One line as a chunk of its own (the tap's contract: the buffer is lent until chunkEnd). */
function push(s: TraceStore, id: number, line: string, direction: 'miner_to_pool' | 'pool_to_miner' = 'miner_to_pool', t = 1): void {
  const buf = Buffer.from(`junk${line}junk`);
  s.line(id, direction, buf, 4, 4 + Buffer.byteLength(line), t);
  s.chunkEnd();
}

function closeEvent(connectionId: number): ProxyEvent {
  return {
    type: 'connection.closed',
    connectionId,
    t: 0,
    durationMs: 1,
    bytesMinerToPool: 0,
    bytesPoolToMiner: 0,
    side: 'miner',
    reason: 'end',
    error: undefined,
    poolName: null,
  };
}

describe('TraceStore', () => {
  it('keeps the last TRACE_LINES lines each way, in arrival order across directions', () => {
    const s = store();
    for (let i = 1; i <= 5; i++) {
      push(s, 1, `up${i}`, 'miner_to_pool', i * 10);
      push(s, 1, `down${i}`, 'pool_to_miner', i * 10 + 1);
    }
    const trace = s.trace(1) ?? [];
    expect(trace.map((e) => e.line)).toEqual(['up3', 'down3', 'up4', 'down4', 'up5', 'down5']);
    expect(trace.map((e) => e.t)).toEqual([30, 31, 40, 41, 50, 51]);
    expect(s.trace(1, 2)?.map((e) => e.line)).toEqual(['up5', 'down5']);
    expect(s.bytes).toBe(6 * 3 + 3 * 2);
  });

  it('copies the line out of the relayed buffer by the end of its chunk (a reused buffer does not change it)', () => {
    const s = store();
    const buf = Buffer.from('{"id":1}');
    s.line(1, 'pool_to_miner', buf, 0, buf.length, 1);
    s.chunkEnd();
    buf.fill(0x20);
    expect(s.trace(1)?.[0]?.line).toBe('{"id":1}');
  });

  it('reads the method of requests and notifications', () => {
    const s = store();
    push(s, 1, '{"id":null,"method":"mining.notify","params":[]}', 'pool_to_miner');
    push(s, 1, '{"id":1,"result":true,"error":null}', 'pool_to_miner');
    expect(s.trace(1)?.map((e) => e.method)).toEqual(['mining.notify', undefined]);
  });

  it('bounds each connection in bytes, dropping its oldest lines of either direction first', () => {
    const s = store({ linesPerDirection: 100, bytesPerConnection: 25 });
    push(s, 1, 'aaaaaaaaaa', 'miner_to_pool'); // 10
    push(s, 1, 'bbbbbbbbbb', 'pool_to_miner'); // 20
    push(s, 1, 'cccccccccc', 'miner_to_pool'); // 30 > 25: a goes
    expect(s.trace(1)?.map((e) => e.line[0])).toEqual(['b', 'c']);
    expect(s.bytes).toBe(20);
  });

  it('keeps a line over the per-connection bound as a marker with its size, and an oversized line too', () => {
    const s = store({ bytesPerConnection: 8 });
    push(s, 1, 'x'.repeat(20));
    s.oversized(1, 'pool_to_miner', 70_000, 2);
    const trace = s.trace(1) ?? [];
    expect(trace.map((e) => e.omittedBytes)).toEqual([20, 70_000]);
    expect(trace[0]?.line).not.toContain('xxxx');
    expect(s.bytes).toBe(0);
  });

  it('masks the authorize password before storing it', () => {
    const s = store();
    push(s, 1, '{"id":2,"method":"mining.authorize","params":["w1","hunter2"]}');
    expect(JSON.stringify(s.trace(1))).not.toContain('hunter2');
    expect(s.trace(1)?.[0]?.line).toBe('{"id":2,"method":"mining.authorize","params":["w1","***"]}');
  });

  it('bounds all connections together: closed traces go first, then the open ones above their fair share', () => {
    const s = store({ linesPerDirection: 100, maxBytes: 100 });
    for (let i = 0; i < 4; i++) push(s, 1, `a${i}`.padEnd(10, '-')); // 40 bytes on 1
    s.handle(closeEvent(1));
    for (let i = 0; i < 4; i++) push(s, 2, `b${i}`.padEnd(10, '-')); // 80 in all
    for (let i = 0; i < 6; i++) push(s, 3, `c${i}`.padEnd(10, '-')); // 110 > 100 at c2: closed 1 loses its trace
    expect(s.bytes).toBeLessThanOrEqual(100);
    expect(s.trace(1)).toEqual([]);
    expect(s.closedDetails(1)?.connectionId).toBe(1);
    // Only open ones left: 2 holds 40, 3 holds 60 (100 in all); share = 50. 3 grows: it pays for itself.
    push(s, 3, 'c6'.padEnd(10, '-'));
    expect(s.bytes).toBe(100);
    expect(s.trace(2)?.length).toBe(4);
    expect(s.trace(3)?.map((e) => e.line.slice(0, 2))).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
  });

  it('takes lines from an idle connection above its fair share when a new one needs room', () => {
    const s = store({ linesPerDirection: 100, maxBytes: 100 });
    for (let i = 0; i < 10; i++) push(s, 1, `a${i}`.padEnd(10, '-')); // 1 holds all 100
    for (let i = 0; i < 3; i++) push(s, 2, `b${i}`.padEnd(10, '-'));
    expect(s.bytes).toBeLessThanOrEqual(100);
    expect(s.trace(2)?.length).toBe(3);
    expect(s.trace(1)?.[0]?.line.startsWith('a3')).toBe(true);
  });

  it('keeps a closed connection with its details for TRACE_KEEP_CLOSED_MS, then drops it', () => {
    const clock = { now: 1_000 };
    const s = store({ keepClosedMs: 500 }, clock);
    push(s, 7, 'hello');
    s.handle(closeEvent(7));
    expect(s.trace(7)?.map((e) => e.line)).toEqual(['hello']);
    expect(s.closedConnections().map((d) => d.connectionId)).toEqual([7]);
    clock.now = 1_499;
    expect(s.isClosed(7)).toBe(true);
    clock.now = 1_500;
    expect(s.trace(7)).toBeNull();
    expect(s.closedConnections()).toEqual([]);
    expect(s.size()).toEqual({ open: 0, closed: 0, bytes: 0 });
  });

  it('keeps at most maxClosed closed connections, dropping the oldest close first', () => {
    const s = store({ maxClosed: 2 });
    for (const id of [1, 2, 3]) {
      push(s, id, `line${id}`);
      s.handle(closeEvent(id));
    }
    expect(s.closedConnections().map((d) => d.connectionId)).toEqual([2, 3]);
    expect(s.trace(1)).toBeNull();
    expect(s.bytes).toBe(10);
  });

  it('with TRACE_LINES=0 builds no trace at all', () => {
    const s = store({ linesPerDirection: 0 });
    expect(s.enabled).toBe(false);
    for (let i = 0; i < 100; i++) push(s, i, 'line');
    expect(s.size()).toEqual({ open: 0, closed: 0, bytes: 0 });
    expect(s.trace(1)).toBeNull();
  });

  it('keeps the last TRACE_LINES lines of a chunk that holds more, and copies only those', () => {
    const s = store({ linesPerDirection: 3 });
    const lines = Array.from({ length: 500 }, (_, i) => `{"id":${i},"result":true,"error":null}`.padEnd(100, ' '));
    const chunk = Buffer.from(lines.join('\n') + '\n');
    let at = 0;
    for (const line of lines) {
      s.line(1, 'pool_to_miner', chunk, at, at + line.length, 5);
      at += line.length + 1;
    }
    s.chunkEnd();
    chunk.fill(0);
    expect(s.trace(1)?.map((e) => [e.seq, e.line])).toEqual([497, 498, 499].map((i) => [i + 1, lines[i]]));
    // Three lines (and the two newlines between them) held; the ring holds 1 KiB, not the chunk's 50 KB.
    expect(s.bytes).toBe(302);
    expect(s.allocatedBytes()).toBe(1024);
  });

  it('masks the password of an authorize in the middle of a chunk and keeps every other line byte for byte', () => {
    const s = store({ linesPerDirection: 10 });
    const lines = [
      '{"id":1,"method":"mining.subscribe","params":["zminer/1.0"]}',
      '{"id":2,"method":"mining.authorize","params":["zed.w1","hunter2"]}',
      '{"id":3,"method":"mining.\\u0061uthorize","params":["zed.w1","hunter3"]}',
      '{"id":4,"method":"mining.submit","params":["zed.w1","j","00","5f","1a"]}',
      '{"id":5,"method":"client.show_message","params":["a\\"b"]}',
    ];
    const chunk = Buffer.from(lines.join('\r\n') + '\r\n');
    let at = 0;
    for (const line of lines) {
      s.line(1, 'miner_to_pool', chunk, at, at + line.length, 5);
      at += line.length + 2;
    }
    s.chunkEnd();
    expect(s.trace(1)?.map((e) => e.line)).toEqual([
      lines[0],
      '{"id":2,"method":"mining.authorize","params":["zed.w1","***"]}',
      '{"id":3,"method":"mining.\\u0061uthorize","params":["zed.w1","***"]}',
      lines[3],
      lines[4],
    ]);
  });

  it('drops the older lines of the connection when the newest lines of a chunk fill the byte bound alone', () => {
    const s = store({ linesPerDirection: 100, bytesPerConnection: 100 });
    push(s, 1, 'old'.padEnd(30, '-'), 'pool_to_miner');
    const lines = ['a'.padEnd(40, '-'), 'b'.padEnd(60, '-'), 'c'.padEnd(39, '-')];
    const chunk = Buffer.from(lines.join('\n') + '\n');
    s.line(1, 'miner_to_pool', chunk, 0, 40, 2);
    s.line(1, 'miner_to_pool', chunk, 41, 101, 2);
    s.line(1, 'miner_to_pool', chunk, 102, 141, 2);
    s.chunkEnd();
    // b + c (100 bytes with the newline) fit; a does not, so 'old' went before it, as line by line.
    expect(s.trace(1)?.map((e) => e.line[0])).toEqual(['b', 'c']);
    expect(s.bytes).toBe(100);
  });

  it('keeps the process under TRACE_MAX_BYTES after every chunk, closed traces going first', () => {
    const s = store({ linesPerDirection: 50, maxBytes: 2000 });
    const chunk = (id: number, n: number): void => {
      const lines = Array.from({ length: n }, (_, i) => `{"id":${i},"c":${id}}`.padEnd(49, '.'));
      const buf = Buffer.from(lines.join('\n') + '\n');
      for (let i = 0; i < n; i++) s.line(id, 'pool_to_miner', buf, i * 50, i * 50 + 49, 1);
      s.chunkEnd();
      expect(s.bytes).toBeLessThanOrEqual(2000);
    };
    chunk(1, 20); // 999 bytes
    s.handle(closeEvent(1));
    chunk(2, 20);
    expect(s.trace(1)?.length).toBe(20);
    chunk(3, 5); // over: closed 1 goes whole, open 2 keeps its lines
    expect(s.trace(1)).toEqual([]);
    expect(s.trace(2)?.length).toBe(20);
    for (let k = 0; k < 5; k++) chunk(4, 30);
    expect(s.trace(2)?.length).toBeGreaterThan(0);
    expect(s.trace(4)?.length).toBeGreaterThan(0);
  });

  it('does not allocate rings far past the fair share of TRACE_MAX_BYTES, and gives back what the bound takes', () => {
    const max = 170 * 1024;
    const s = store({ linesPerDirection: 200, maxBytes: max });
    const line = `{"id":null,"method":"mining.notify","params":["${'ab'.repeat(490)}"]}`;
    for (let k = 0; k < 100; k++) for (let id = 1; id <= 10; id++) push(s, id, line, 'pool_to_miner');
    expect(s.bytes).toBeLessThanOrEqual(max);
    // Ten connections: a share of 17 KiB each (doubling would allocate 32 KiB each).
    expect(s.allocatedBytes()).toBeLessThanOrEqual(1.4 * max);
    // Ten more: the share halves, the first ten give back what the bound took from them.
    for (let k = 0; k < 100; k++) for (let id = 11; id <= 20; id++) push(s, id, line, 'pool_to_miner');
    expect(s.bytes).toBeLessThanOrEqual(max);
    expect(s.allocatedBytes()).toBeLessThanOrEqual(1.4 * max);
    expect(s.trace(1)?.at(-1)?.line).toBe(line);
  });

  it('gives back what a closed connection allocated beyond what it keeps', () => {
    const s = store({ linesPerDirection: 100 });
    for (let i = 0; i < 30; i++) push(s, 1, `{"id":${i}}`.padEnd(70, ' '), i % 2 === 0 ? 'miner_to_pool' : 'pool_to_miner');
    expect(s.allocatedBytes()).toBeGreaterThan(s.bytes);
    s.handle(closeEvent(1));
    expect(s.allocatedBytes()).toBe(s.bytes);
    expect(s.trace(1)?.length).toBe(30);
  });

  it('pushes the new lines of a watched connection, until unwatched', () => {
    const s = store();
    const seen: string[] = [];
    push(s, 1, 'before');
    const stop = s.watch(1, (_id, e) => seen.push(e.line));
    push(s, 1, 'during');
    push(s, 2, 'other');
    stop();
    push(s, 1, 'after');
    expect(seen).toEqual(['during']);
  });
});
