import type { ProxyEvent } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../src/event-bus';
import type { StratumParser } from '../src/stratum-parser';
import { PARSER_IMPLEMENTATIONS } from './helpers/parsers';

const implementations = PARSER_IMPLEMENTATIONS;

/** A response line of exactly `n` bytes (n >= 40), padded inside the result string. */
function responseOfLength(n: number, id = 1): string {
  const head = `{"id":${id},"result":"`;
  const tail = '","error":null}';
  return head + 'r'.repeat(n - head.length - tail.length) + tail;
}

describe.each(implementations)('%s with a line cap', (_name, Parser) => {
  const LIMIT = 200;
  let events: ProxyEvent[];
  let parser: StratumParser;

  beforeEach(() => {
    events = [];
    const bus = { hasListeners: true, emit: (e: ProxyEvent) => events.push(e) };
    parser = new Parser({ connectionId: 9, direction: 'pool_to_miner', maxLineBytes: LIMIT, bus: bus as unknown as ProxyEventBus });
  });

  const kinds = (): string[] => events.map((e) => (e.type === 'line.oversized' ? `oversized:${e.bytes}/${e.limit}` : e.type));

  it('accepts a line of exactly the limit and reports one byte more as oversized', () => {
    expect(Buffer.byteLength(responseOfLength(LIMIT))).toBe(LIMIT);
    parser.push(Buffer.from(responseOfLength(LIMIT) + '\n' + responseOfLength(LIMIT + 1) + '\n'));
    expect(kinds()).toEqual(['stratum.response', `oversized:${LIMIT + 1}/${LIMIT}`]);
  });

  it('does not count the CR of a CRLF terminator against the limit', () => {
    parser.push(Buffer.from(responseOfLength(LIMIT) + '\r\n' + responseOfLength(LIMIT + 1) + '\r\n'));
    expect(kinds()).toEqual(['stratum.response', `oversized:${LIMIT + 1}/${LIMIT}`]);
  });

  it('accepts a line of exactly the limit that arrives in pieces', () => {
    const line = Buffer.from(responseOfLength(LIMIT) + '\r\n');
    for (let i = 0; i < line.length; i += 7) parser.push(line.subarray(i, i + 7));
    expect(kinds()).toEqual(['stratum.response']);
  });

  it('reports an oversized line spanning many chunks once, with its total byte count, and parses the line after it', () => {
    const total = 1_000_000;
    parser.push(Buffer.from('{"id":1,"result":"'));
    let sent = 18;
    while (sent < total) {
      const n = Math.min(4093, total - sent);
      parser.push(Buffer.alloc(n, 0x78));
      sent += n;
      expect(parser.bufferedBytes).toBeLessThanOrEqual(LIMIT + 1);
    }
    parser.push(Buffer.from('\r\n{"id":2,"result":true,"error":null}\n'));
    expect(kinds()).toEqual([`oversized:${total}/${LIMIT}`, 'stratum.response']);
    expect(events[1]).toMatchObject({ id: 2 });
  });

  it('reports an oversized line inside one chunk between two good lines', () => {
    parser.push(Buffer.from(`${responseOfLength(50, 1)}\n${'y'.repeat(5000)}\n${responseOfLength(60, 2)}\n`));
    expect(kinds()).toEqual(['stratum.response', 'oversized:5000/200', 'stratum.response']);
  });

  it('reports an oversized line that began as a short tail of an earlier chunk', () => {
    parser.push(Buffer.from(`${responseOfLength(50, 1)}\n{"id":2,`));
    parser.push(Buffer.alloc(300, 0x7a));
    parser.push(Buffer.from('\n' + responseOfLength(60, 3) + '\n'));
    expect(kinds()).toEqual(['stratum.response', 'oversized:308/200', 'stratum.response']);
  });

  it('reports an oversized final line without newline at end()', () => {
    parser.push(Buffer.alloc(150, 0x61));
    parser.push(Buffer.alloc(150, 0x61));
    expect(events).toHaveLength(0);
    parser.end();
    expect(kinds()).toEqual(['oversized:300/200']);
  });

  it('keeps memory bounded by the cap for a 10 MB stream without any newline', () => {
    const chunk = Buffer.alloc(65536, 0x41);
    for (let i = 0; i < 160; i++) {
      parser.push(chunk);
      expect(parser.bufferedBytes).toBeLessThanOrEqual(LIMIT + 1);
    }
    parser.end();
    expect(kinds()).toEqual([`oversized:${160 * 65536}/${LIMIT}`]);
  });
});
