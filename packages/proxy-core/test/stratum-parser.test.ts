import type { ProxyEvent } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../src/event-bus';
import { PARSER_IMPLEMENTATIONS } from './helpers/parsers';

type Observed = Record<string, unknown>;

interface FakeBus {
  hasListeners: boolean;
  events: ProxyEvent[];
  emit(e: ProxyEvent): void;
}

function fakeBus(): FakeBus {
  const events: ProxyEvent[] = [];
  return {
    hasListeners: true,
    events,
    emit(e) {
      events.push(e);
    },
  };
}

const implementations = PARSER_IMPLEMENTATIONS;

/** Events without their timestamp (checked separately) so runs can be compared. */
function strip(events: readonly ProxyEvent[]): Observed[] {
  return events.map((e) => {
    const { t, ...rest } = e as ProxyEvent & { t: number };
    expect(typeof t).toBe('number');
    return rest;
  });
}

describe.each(implementations)('%s', (_name, Parser) => {
  function observe(input: string | readonly string[], maxLineBytes = 4096): Observed[] {
    const bus = fakeBus();
    const parser = new Parser({ connectionId: 7, direction: 'pool_to_miner', maxLineBytes, bus: bus as unknown as ProxyEventBus });
    for (const chunk of typeof input === 'string' ? [input] : input) parser.push(Buffer.from(chunk, 'utf8'));
    parser.end();
    return strip(bus.events);
  }

  const base = { connectionId: 7, direction: 'pool_to_miner' } as const;

  it('reports a request with its id, method and params', () => {
    expect(observe('{"id":1,"method":"mining.subscribe","params":["cgminer/4.10.0"]}\n')).toEqual([
      { ...base, type: 'stratum.request', id: 1, method: 'mining.subscribe', params: ['cgminer/4.10.0'] },
    ]);
  });

  it('reports a method with a null id as a notification, and one without an id too', () => {
    expect(observe('{"id":null,"method":"mining.set_difficulty","params":[1024]}\n{"method":"mining.notify","params":["j1"]}\n')).toEqual([
      { ...base, type: 'stratum.notification', method: 'mining.set_difficulty', params: [1024] },
      { ...base, type: 'stratum.notification', method: 'mining.notify', params: ['j1'] },
    ]);
  });

  it('treats missing params as an empty array and non-array params as not Stratum', () => {
    expect(observe('{"id":3,"method":"client.get_version"}\n{"id":4,"method":"x","params":{"a":1}}\n{"id":5,"method":"x","params":null}\n')).toEqual([
      { ...base, type: 'stratum.request', id: 3, method: 'client.get_version', params: [] },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 38 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 35 },
    ]);
  });

  it('reports responses with results and errors of any shape', () => {
    const lines = [
      '{"id":2,"result":true,"error":null}',
      '{"id":3,"result":null,"error":[23,"Low difficulty share",null]}',
      '{"id":4,"result":false,"error":{"code":21,"message":"Job not found"}}',
      '{"id":5,"error":"stale"}',
      '{"id":6,"result":[[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f"]],"08000002",4]}',
    ];
    expect(observe(lines.map((l) => l + '\n'))).toEqual([
      { ...base, type: 'stratum.response', id: 2, result: true, error: null },
      { ...base, type: 'stratum.response', id: 3, result: null, error: [23, 'Low difficulty share', null] },
      { ...base, type: 'stratum.response', id: 4, result: false, error: { code: 21, message: 'Job not found' } },
      { ...base, type: 'stratum.response', id: 5, result: undefined, error: 'stale' },
      { ...base, type: 'stratum.response', id: 6, result: [[['mining.notify', 'ae6812eb4cd7735a302a8a9dd95cf71f']], '08000002', 4], error: undefined },
    ]);
  });

  it.each([
    ['0', 0],
    ['42', 42],
    ['1.5', 1.5],
    ['-7', -7],
    ['""', ''],
    ['"abc"', 'abc'],
    ['true', true],
    ['false', false],
    ['{"nested":[1]}', { nested: [1] }],
    ['[1,2]', [1, 2]],
  ])('keeps a request and a response with id %s and reports that id as is', (json, id) => {
    expect(observe(`{"id":${json},"method":"m","params":[]}\n{"id":${json},"result":1,"error":null}\n`)).toEqual([
      { ...base, type: 'stratum.request', id, method: 'm', params: [] },
      { ...base, type: 'stratum.response', id, result: 1, error: null },
    ]);
  });

  it('reports a response with a null id (the pool could not read the request)', () => {
    expect(observe('{"id":null,"result":null,"error":[20,"Malformed",null]}\n')).toEqual([
      { ...base, type: 'stratum.response', id: null, result: null, error: [20, 'Malformed', null] },
    ]);
  });

  it('reports objects without method, result or error, and results without an id, as not Stratum', () => {
    expect(observe('{}\n{"id":1}\n{"params":[1]}\n{"result":true,"error":null}\n{"method":5,"params":[]}\n')).toEqual([
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 2 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 8 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 14 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 28 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 24 },
    ]);
  });

  it('reports JSON that is not an object as not Stratum', () => {
    expect(observe('[1,2]\n42\n"str"\nnull\ntrue\n')).toEqual([
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 5 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 2 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 5 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 4 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 4 },
    ]);
  });

  it('counts malformed JSON with the line length and keeps parsing the next lines', () => {
    expect(observe('{"id":1,"method":\n{oops}\n{}{}\n1 2\n{"id":9,"result":1,"error":null}\n')).toEqual([
      { ...base, type: 'parse.error', reason: 'invalid_json', bytes: 17 },
      { ...base, type: 'parse.error', reason: 'invalid_json', bytes: 6 },
      { ...base, type: 'parse.error', reason: 'invalid_json', bytes: 4 },
      { ...base, type: 'parse.error', reason: 'invalid_json', bytes: 3 },
      { ...base, type: 'stratum.response', id: 9, result: 1, error: null },
    ]);
  });

  it('does not let a "__proto__" key turn an object into a message', () => {
    expect(observe('{"__proto__":{"method":"x","id":1,"result":1}}\n{"id":2,"__proto__":{"result":1}}\n')).toEqual([
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 46 },
      { ...base, type: 'parse.error', reason: 'not_stratum', bytes: 33 },
    ]);
  });

  it('tolerates CRLF and ignores blank lines without reporting them', () => {
    expect(observe('\r\n\n{"id":1,"result":true,"error":null}\r\n\r\n\n{"id":2,"result":true,"error":null}\r\n')).toEqual([
      { ...base, type: 'stratum.response', id: 1, result: true, error: null },
      { ...base, type: 'stratum.response', id: 2, result: true, error: null },
    ]);
  });

  it('reports the byte length, not the character count, of a malformed line with multi-byte text', () => {
    expect(observe('héllo €\n')).toEqual([{ ...base, type: 'parse.error', reason: 'invalid_json', bytes: 10 }]);
  });

  it('decodes UTF-8 text in params', () => {
    expect(observe('{"id":1,"method":"mining.authorize","params":["wörker.€1","pä😀"]}\n')).toEqual([
      { ...base, type: 'stratum.request', id: 1, method: 'mining.authorize', params: ['wörker.€1', 'pä😀'] },
    ]);
  });

  it('observes a final line without newline at end(), and nothing before it', () => {
    const bus = fakeBus();
    const parser = new Parser({ connectionId: 1, direction: 'miner_to_pool', maxLineBytes: 100, bus: bus as unknown as ProxyEventBus });
    parser.push(Buffer.from('{"id":1,"result":1,"error":null}'));
    expect(bus.events).toHaveLength(0);
    parser.end();
    expect(strip(bus.events)).toEqual([
      { connectionId: 1, direction: 'miner_to_pool', type: 'stratum.response', id: 1, result: 1, error: null },
    ]);
  });

  it('emits nothing while nobody listens but keeps its framing, so later lines still parse', () => {
    const bus = fakeBus();
    bus.hasListeners = false;
    const parser = new Parser({ connectionId: 1, direction: 'miner_to_pool', maxLineBytes: 20, bus: bus as unknown as ProxyEventBus });
    parser.push(Buffer.from('not json\n' + 'x'.repeat(50) + '\n{"id":1,'));
    expect(bus.events).toHaveLength(0);
    bus.hasListeners = true;
    parser.push(Buffer.from('"result":2}\n'));
    expect(strip(bus.events)).toEqual([{ connectionId: 1, direction: 'miner_to_pool', type: 'stratum.response', id: 1, result: 2, error: undefined }]);
  });

  it('stamps events with a monotonic performance.now() time', () => {
    const bus = fakeBus();
    const parser = new Parser({ connectionId: 1, direction: 'miner_to_pool', maxLineBytes: 100, bus: bus as unknown as ProxyEventBus });
    const before = performance.now();
    parser.push(Buffer.from('{"id":1,"result":1}\n{"id":2,"result":1}\n'));
    const after = performance.now();
    const ts = bus.events.map((e) => e.t);
    expect(ts).toHaveLength(2);
    expect(ts[0]).toBeGreaterThanOrEqual(before);
    expect(ts[1]).toBeGreaterThanOrEqual(ts[0] as number);
    expect(ts[1]).toBeLessThanOrEqual(after);
  });

  it('never throws when the bus throws, and resumes with the next chunk', () => {
    let throwing = true;
    const events: ProxyEvent[] = [];
    const bus = {
      hasListeners: true,
      emit(e: ProxyEvent) {
        if (throwing) throw new Error('listener bug');
        events.push(e);
      },
    };
    const parser = new Parser({ connectionId: 1, direction: 'miner_to_pool', maxLineBytes: 100, bus: bus as unknown as ProxyEventBus });
    expect(() => parser.push(Buffer.from('{"id":1,"result":1}\n{"id":2,'))).not.toThrow();
    expect(() => parser.end()).not.toThrow();
    expect(parser.internalErrors).toBe(1);
    throwing = false;
    parser.push(Buffer.from('{"id":3,"result":1}\n'));
    expect(strip(events)).toEqual([{ connectionId: 1, direction: 'miner_to_pool', type: 'stratum.response', id: 3, result: 1, error: undefined }]);
  });

  it('counts an unexpected exception inside the observer as a parse error instead of throwing', () => {
    const bus = fakeBus();
    const parser = new Parser({ connectionId: 1, direction: 'miner_to_pool', maxLineBytes: 100, bus: bus as unknown as ProxyEventBus });
    expect(() => parser.push(null as unknown as Buffer)).not.toThrow();
    expect(strip(bus.events)).toEqual([{ connectionId: 1, direction: 'miner_to_pool', type: 'parse.error', reason: 'invalid_json', bytes: 0 }]);
    parser.push(Buffer.from('{"id":1,"result":1}\n'));
    expect(bus.events).toHaveLength(2);
  });
});
