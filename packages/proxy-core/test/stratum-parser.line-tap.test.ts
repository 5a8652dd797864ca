import type { Direction } from '@stratum-relay/shared-types';
import { ProxyEventBus } from '../src/event-bus';
import { StratumParser, type LineTap } from '../src/stratum-parser';

interface Tapped {
  connectionId: number;
  direction: Direction;
  line: string | null;
  oversizedBytes: number | null;
  t: number;
}

/** `chunkEnds`: how many lines had been seen at each chunkEnd(). */
function recordingTap(): { tap: LineTap; seen: Tapped[]; chunkEnds: number[] } {
  const seen: Tapped[] = [];
  const chunkEnds: number[] = [];
  return {
    seen,
    chunkEnds,
    tap: {
      line(connectionId, direction, buf, start, end, t) {
        // Copied during the call: the buffer is only lent.
        seen.push({ connectionId, direction, line: buf.toString('utf8', start, end), oversizedBytes: null, t });
      },
      oversized(connectionId, direction, bytes, t) {
        seen.push({ connectionId, direction, line: null, oversizedBytes: bytes, t });
      },
      chunkEnd() {
        chunkEnds.push(seen.length);
      },
    },
  };
}

describe('StratumParser line tap', () => {
  it('sees every complete line, in order, also those that fail to parse and those nobody listens to', () => {
    const { tap, seen } = recordingTap();
    const bus = new ProxyEventBus();
    const parser = new StratumParser({ connectionId: 7, direction: 'miner_to_pool', maxLineBytes: 1000, bus, lineTap: tap });
    parser.push(Buffer.from('{"id":1,"method":"mining.subscribe","params":[]}\nnot json\n{"id":2,"met'), 10);
    parser.push(Buffer.from('hod":"mining.authorize","params":["w","x"]}\r\n'), 20);
    expect(seen.map((s) => s.line)).toEqual([
      '{"id":1,"method":"mining.subscribe","params":[]}',
      'not json',
      '{"id":2,"method":"mining.authorize","params":["w","x"]}',
    ]);
    expect(seen.map((s) => s.t)).toEqual([10, 10, 20]);
    expect(seen.every((s) => s.connectionId === 7 && s.direction === 'miner_to_pool')).toBe(true);
  });

  it('ends every chunk with chunkEnd, and a line that spanned chunks at once (its buffer is the splitter\'s)', () => {
    const { tap, seen, chunkEnds } = recordingTap();
    const lent: Buffer[] = [];
    const keeping: LineTap = {
      line(connectionId, direction, buf, start, end, t) {
        lent.push(buf);
        tap.line(connectionId, direction, buf, start, end, t);
      },
      oversized: (...a) => tap.oversized(...a),
      chunkEnd: () => tap.chunkEnd(),
    };
    const parser = new StratumParser({ connectionId: 1, direction: 'pool_to_miner', maxLineBytes: 1000, bus: new ProxyEventBus(), lineTap: keeping });
    const first = Buffer.from('{"id":1}\n{"id":2}\n{"id":');
    const second = Buffer.from('3}\n{"id":4}\n{"id":5}');
    parser.push(first, 1);
    parser.push(second, 2);
    parser.end();
    expect(seen.map((s) => s.line)).toEqual(['{"id":1}', '{"id":2}', '{"id":3}', '{"id":4}', '{"id":5}']);
    // After chunk 1 (2 lines); after the spanning line 3, at once; after chunk 2 (line 4); the last line at the end, at once.
    expect(chunkEnds).toEqual([2, 3, 4, 5, 5]);
    expect(lent[0]).toBe(first);
    expect(lent[2]).not.toBe(second);
    expect(lent[3]).toBe(second);
  });

  it('reports an oversized line as a marker with its size, never its bytes', () => {
    const { tap, seen } = recordingTap();
    const bus = new ProxyEventBus();
    bus.subscribe(() => undefined);
    const parser = new StratumParser({ connectionId: 1, direction: 'pool_to_miner', maxLineBytes: 16, bus, lineTap: tap });
    parser.push(Buffer.from(`${'x'.repeat(40)}\n{"id":1}\n`), 5);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ line: null });
    expect(seen[0]?.oversizedBytes).toBeGreaterThan(16);
    expect(seen[1]).toMatchObject({ line: '{"id":1}', oversizedBytes: null });
  });

  it('keeps classifying when the tap throws (counted as an internal error)', () => {
    const bus = new ProxyEventBus();
    const types: string[] = [];
    bus.subscribe((e) => types.push(e.type));
    const tap: LineTap = {
      line() {
        throw new Error('trace bug');
      },
      oversized() {
        throw new Error('trace bug');
      },
      chunkEnd() {
        // Nothing to copy: this tap kept nothing.
      },
    };
    const parser = new StratumParser({ connectionId: 1, direction: 'miner_to_pool', maxLineBytes: 1000, bus, lineTap: tap });
    parser.push(Buffer.from('{"id":1,"method":"mining.subscribe","params":[]}\n'));
    expect(types).toEqual(['stratum.request']);
    expect(parser.internalErrors).toBe(1);
  });
});
