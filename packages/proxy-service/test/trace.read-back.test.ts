import { mulberry32 } from '@stratum-relay/prng';
import { ProxyEventBus, StratumParser, type LineTap } from '@stratum-relay/proxy-core';
import type { Direction } from '@stratum-relay/shared-types';
import type { ConnectionDetails } from '../src/trace/connection-details';
import type { TraceEntry } from '../src/trace/connection-trace';
import { maskAuthorize } from '../src/trace/authorize-mask';
import { TraceStore } from '../src/trace/trace-store';

const MAX_LINE_BYTES = 4096;
const DIRECTIONS: Direction[] = ['miner_to_pool', 'pool_to_miner'];
const HEX = Array.from({ length: 20_000 }, (_, i) => ((i * 2654435761) >>> 7) % 16)
  .map((d) => d.toString(16))
  .join('');

/** A random line of one of the shapes a relay sees, secrets marked SECRET so a leak is visible. */
function randomLine(r: () => number, direction: Direction, n: number, perConnection: number): string {
  const pick = r();
  // Hex from a fixed pool at a random place (cheap); other alphabets character by character.
  const filler = (len: number, alphabet?: string): string => {
    if (alphabet === undefined) {
      const at = Math.floor(r() * (HEX.length - len));
      return HEX.slice(at, at + len);
    }
    const chars = Array.from(alphabet);
    return Array.from({ length: len }, () => chars[Math.floor(r() * chars.length)]).join('');
  };
  if (direction === 'miner_to_pool' && pick < 0.06) return `{"id":${n},"method":"mining.authorize","params":["w${n}","SECRET${filler(6)}"]}`;
  if (direction === 'miner_to_pool' && pick < 0.08) return `{"id":${n},"method":"mining.\\u0061uthorize","params":{"user":"w","password":"SECRET${n}"}}`;
  if (direction === 'miner_to_pool' && pick < 0.09) return `{"method":"mining.authorize","params":["w","SECRET${n}"`;
  if (pick < 0.12) return `{"id":${n},"method":"client.show_message","params":["a\\"b ${filler(10)}"]}`;
  if (pick < 0.16) return `{"id":${n},"result":"${filler(5, 'é漢ä😀x')}","error":null}`;
  if (pick < 0.18) return `{"id":${n},"long":"${filler(Math.min(perConnection, MAX_LINE_BYTES - 500) + Math.floor(r() * 200))}"}`;
  if (pick < 0.2) return `{"id":${n},"oversized":"${filler(MAX_LINE_BYTES + Math.floor(r() * 3000))}"}`;
  if (pick < 0.3) return `{"id":null,"method":"mining.notify","params":["${filler(900 + Math.floor(r() * 300))}"]}`;
  if (direction === 'miner_to_pool') return `{"id":4,"method":"mining.submit","params":["w","j","${filler(8)}","${filler(8)}","${filler(8)}"]}`;
  return `{"id":4,"result":true,"error":null}`;
}

interface Tapped {
  direction: Direction;
  /** The line's text as relayed, or null for a line the parser skipped as oversized. */
  text: string | null;
  size: number;
  t: number;
}

/** The entry the trace should hold for a tapped line: masked, or a marker over a bound. */
function expected(line: Tapped, seq: number, perConnection: number): Partial<TraceEntry> {
  if (line.text === null || line.size > perConnection) return { seq, direction: line.direction, omittedBytes: line.size };
  const text = line.direction === 'miner_to_pool' ? maskAuthorize(line.text) : line.text;
  return { seq, direction: line.direction, line: text };
}

function essentials(e: TraceEntry): Partial<TraceEntry> {
  return e.omittedBytes === undefined ? { seq: e.seq, direction: e.direction, line: e.line } : { seq: e.seq, direction: e.direction, omittedBytes: e.omittedBytes };
}

/**
 * Three connections, both directions, random lines with random endings and blank lines, cut into
 * random chunks (1 byte to 6 KiB) pushed in random interleaving through real parsers with the
 * store as their tap. Returns what the tap saw per connection (the ground truth, checked against
 * the generated lines) and the store.
 */
function relay(seed: number, linesPerDirection: number, perConnection: number, watch: number | null) {
  const r = mulberry32(seed);
  const store = new TraceStore({
    linesPerDirection,
    maxBytes: 1 << 30,
    keepClosedMs: 60_000,
    bytesPerConnection: perConnection,
    timeOrigin: 0,
    details: (connectionId) => ({ connectionId }) as unknown as ConnectionDetails,
  });
  const watched: TraceEntry[] = [];
  if (watch !== null) store.watch(watch, (_id, e) => watched.push(e));
  const tapped = new Map<number, Tapped[]>();
  const recording: LineTap = {
    line(connectionId, direction, buf, start, end, t) {
      tapped.get(connectionId)?.push({ direction, text: buf.toString('utf8', start, end), size: end - start, t });
      store.line(connectionId, direction, buf, start, end, t);
    },
    oversized(connectionId, direction, bytes, t) {
      tapped.get(connectionId)?.push({ direction, text: null, size: bytes, t });
      store.oversized(connectionId, direction, bytes, t);
    },
    chunkEnd: () => store.chunkEnd(),
  };
  const bus = new ProxyEventBus();
  const streams: Array<{ id: number; parser: StratumParser; chunks: Buffer[]; lines: string[] }> = [];
  for (const id of [1, 2, 3]) {
    tapped.set(id, []);
    for (const direction of DIRECTIONS) {
      const lines: string[] = [];
      let text = '';
      const count = 50 + Math.floor(r() * 400);
      for (let n = 0; n < count; n++) {
        const line = randomLine(r, direction, n, perConnection);
        lines.push(line);
        text += line + (r() < 0.2 ? '\r\n' : '\n') + (r() < 0.05 ? '\n\n' : '');
      }
      const bytes = Buffer.from(text);
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = r() < 0.3 ? 1 + Math.floor(r() * 40) : 1 + Math.floor(r() * 6000);
        chunks.push(Buffer.from(bytes.subarray(at, at + size)));
        at += size;
      }
      streams.push({ id, parser: new StratumParser({ connectionId: id, direction, maxLineBytes: MAX_LINE_BYTES, bus, lineTap: recording }), chunks, lines });
    }
  }
  let t = 0;
  for (let live = streams.filter((s) => s.chunks.length > 0); live.length > 0; live = live.filter((s) => s.chunks.length > 0)) {
    const s = live[Math.floor(r() * live.length)] as (typeof live)[number];
    s.parser.push(s.chunks.shift() as Buffer, ++t);
  }
  for (const s of streams) s.parser.end();
  // The ground truth is what the relay's lines are: the tap saw each generated line, in order.
  for (const s of streams) {
    const seen = (tapped.get(s.id) as Tapped[]).filter((l) => l.direction === s.parser['direction']);
    expect(seen.map((l) => l.text ?? 'OVERSIZED')).toEqual(s.lines.map((l) => (Buffer.byteLength(l) > MAX_LINE_BYTES ? 'OVERSIZED' : l)));
  }
  expect(store.internalErrors).toBe(0);
  return { store, tapped, watched };
}

const SEEDS = [1, 2, 3, 42, 1234, 99991];

describe('TraceStore read-back against a seeded random stream', () => {
  it.each(SEEDS)('seed %i: with no byte pressure, exactly the last TRACE_LINES lines each way, byte for byte, in order', (seed) => {
    const L = 30;
    const { store, tapped } = relay(seed, L, 1 << 30, null);
    for (const [id, lines] of tapped) {
      const want = lines.map((l, i) => ({ l, seq: i + 1 }));
      const keep = new Set<number>();
      for (const direction of DIRECTIONS) for (const w of want.filter((x) => x.l.direction === direction).slice(-L)) keep.add(w.seq);
      const entries = store.trace(id) ?? [];
      expect(entries.map(essentials)).toEqual(want.filter((w) => keep.has(w.seq)).map((w) => expected(w.l, w.seq, 1 << 30)));
      expect(entries.map((e) => e.t)).toEqual(want.filter((w) => keep.has(w.seq)).map((w) => w.l.t));
      expect(JSON.stringify(entries)).not.toContain('SECRET');
    }
  });

  it.each(SEEDS)('seed %i: under the per-connection byte bound, each direction keeps its newest lines exact, within both bounds', (seed) => {
    const L = 60;
    const perConnection = 3000;
    const { store, tapped } = relay(seed, L, perConnection, null);
    for (const [id, lines] of tapped) {
      const entries = store.trace(id) ?? [];
      expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => a - b));
      for (const e of entries) expect(essentials(e)).toEqual(expected(lines[e.seq - 1] as Tapped, e.seq, perConnection));
      let bytes = 0;
      for (const e of entries) if (e.omittedBytes === undefined) bytes += Buffer.byteLength(e.line);
      expect(bytes).toBeLessThanOrEqual(perConnection);
      for (const direction of DIRECTIONS) {
        const all = lines.map((l, i) => ({ l, seq: i + 1 })).filter((x) => x.l.direction === direction);
        const kept = entries.filter((e) => e.direction === direction).map((e) => e.seq);
        expect(kept.length).toBeLessThanOrEqual(L);
        // Newest first, no hole: the kept ones are the last of that direction's lines.
        expect(kept).toEqual(all.slice(all.length - kept.length).map((x) => x.seq));
      }
      // The connection's newest line is always there (a line over the bound is kept as its size).
      expect(entries[entries.length - 1]?.seq).toBe(lines.length);
      expect(JSON.stringify(entries)).not.toContain('SECRET');
    }
  });

  it.each(SEEDS)('seed %i: a watched connection gets every line as it passes, masked', (seed) => {
    const { tapped, watched } = relay(seed, 20, 3000, 2);
    const lines = tapped.get(2) as Tapped[];
    expect(watched.map(essentials)).toEqual(lines.map((l, i) => expected(l, i + 1, 3000)));
    expect(JSON.stringify(watched)).not.toContain('SECRET');
  });
});
