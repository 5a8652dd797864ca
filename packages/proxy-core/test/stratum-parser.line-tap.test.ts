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

function recordingTap(): { tap: LineTap; seen: Tapped[] } {
  const seen: Tapped[] = [];
  return {
    seen,
    tap: {
      line(connectionId, direction, buf, start, end, t) {
        // Copied during the call: the buffer is only lent.
        seen.push({ connectionId, direction, line: buf.toString('utf8', start, end), oversizedBytes: null, t });
      },
      oversized(connectionId, direction, bytes, t) {
        seen.push({ connectionId, direction, line: null, oversizedBytes: bytes, t });
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
    };
    const parser = new StratumParser({ connectionId: 1, direction: 'miner_to_pool', maxLineBytes: 1000, bus, lineTap: tap });
    parser.push(Buffer.from('{"id":1,"method":"mining.subscribe","params":[]}\n'));
    expect(types).toEqual(['stratum.request']);
    expect(parser.internalErrors).toBe(1);
  });
});
