import type { ProxyEvent } from '@stratum-relay/shared-types';
import { mulberry32 } from '@stratum-relay/prng';
import type { ProxyEventBus } from '../src/event-bus';
import { PARSER_IMPLEMENTATIONS } from './helpers/parsers';

const implementations = PARSER_IMPLEMENTATIONS;

const TOKENS = [
  '{', '}', '[', ']', ':', ',', '"', '\\', '"id"', '"method"', '"params"', '"result"', '"error"', 'null', 'true',
  '0', '-1', '1e9', '01', '"mining.notify"', '"é€😀"', ' ', '\r', '\n', '\r\n', '\u0000', '{"id":1,"result":true,"error":null}\n',
  '{"id":null,"method":"mining.set_difficulty","params":[8]}\n', '"__proto__"',
  '{"id":4,"method":"mining.submit","params":["w","j","00","65a1b2c3","a1b2c3d5"]}\n',
];

/** Random bytes, JSON-ish token soup, valid messages, long runs and stray terminators. */
function fuzzInput(rand: () => number, size: number): Buffer {
  const parts: Buffer[] = [];
  let len = 0;
  while (len < size) {
    const r = rand();
    let part: Buffer;
    if (r < 0.25) {
      part = Buffer.alloc(1 + Math.floor(rand() * 64));
      for (let i = 0; i < part.length; i++) part[i] = Math.floor(rand() * 256);
    } else if (r < 0.3) {
      part = Buffer.alloc(1 + Math.floor(rand() * 2000), rand() < 0.5 ? 0x78 : 0xe2);
    } else {
      part = Buffer.from(TOKENS[Math.floor(rand() * TOKENS.length)] as string, 'utf8');
    }
    parts.push(part);
    len += part.length;
  }
  return Buffer.concat(parts);
}

function randomChunks(rand: () => number, input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const n = 1 + Math.floor(rand() * (rand() < 0.2 ? 4000 : 100));
    chunks.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return chunks;
}

describe.each(implementations)('%s on seeded random input', (_name, Parser) => {
  const LIMIT = 256;
  const seen = new Set<string>();

  function run(chunks: readonly Buffer[]): string {
    const events: ProxyEvent[] = [];
    const bus = { hasListeners: true, emit: (e: ProxyEvent) => events.push(e) };
    const parser = new Parser({ connectionId: 1, direction: 'pool_to_miner', maxLineBytes: LIMIT, bus: bus as unknown as ProxyEventBus });
    for (const c of chunks) {
      parser.push(c);
      if (parser.bufferedBytes > LIMIT + 1) throw new Error(`holds ${parser.bufferedBytes} bytes, over the cap`);
    }
    parser.end();
    if (parser.internalErrors !== 0) throw new Error(`${parser.internalErrors} internal errors`);
    for (const e of events) {
      seen.add(e.type);
      if (e.type === 'parse.error' && (e.bytes < 1 || e.bytes > LIMIT)) throw new Error(`parse.error with ${e.bytes} bytes`);
      if (e.type === 'line.oversized' && e.bytes <= LIMIT) throw new Error(`line.oversized with ${e.bytes} bytes`);
    }
    return JSON.stringify(events.map((e) => ({ ...e, t: 0 })));
  }

  it('never throws, stays within the cap, and gives the same events however the bytes are chunked', () => {
    const baseSeed = 0xc0ffee;
    for (let k = 0; k < 150; k++) {
      const seed = baseSeed + k;
      const rand = mulberry32(seed);
      try {
        const input = fuzzInput(rand, 500 + Math.floor(rand() * 6000));
        const whole = run([input]);
        expect(run(randomChunks(rand, input))).toBe(whole);
        expect(run(randomChunks(rand, input))).toBe(whole);
      } catch (err) {
        throw new Error(`fuzz failure, replay with seed ${seed}: ${(err as Error).message}`);
      }
    }
    // The generator really exercised every outcome, not just garbage.
    expect([...seen].sort()).toEqual(['line.oversized', 'parse.error', 'stratum.notification', 'stratum.request', 'stratum.response']);
  });
});
