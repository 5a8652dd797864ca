import type { ProxyEvent } from '@stratum-relay/shared-types';
import { mulberry32 } from '@stratum-relay/prng';
import type { ProxyEventBus } from '../src/event-bus';
import { JsonparseStratumParser } from '../src/jsonparse-parser';
import { StratumParser } from '../src/stratum-parser';
import { JsonParseOnlyStratumParser, PARSER_IMPLEMENTATIONS } from './helpers/parsers';

type Observed = Record<string, unknown>;

const implementations = PARSER_IMPLEMENTATIONS;

function run(Parser: typeof StratumParser, chunks: readonly Buffer[], maxLineBytes: number): Observed[] {
  const events: ProxyEvent[] = [];
  const bus = { hasListeners: true, emit: (e: ProxyEvent) => events.push(e) };
  const parser = new Parser({ connectionId: 3, direction: 'miner_to_pool', maxLineBytes, bus: bus as unknown as ProxyEventBus });
  for (const c of chunks) parser.push(c);
  parser.end();
  return events.map((e) => {
    const { t: _t, ...rest } = e as ProxyEvent & { t: number };
    return rest;
  });
}

const hex = (n: number, seed: number): string => {
  const rand = mulberry32(seed);
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
};

/** A realistic session: ~2.5 KB, one ~600 B mining.notify, CRLF, blanks, junk, multi-byte text. */
const REALISTIC = Buffer.from(
  [
    '{"id":1,"method":"mining.subscribe","params":["bmminer/2.0.0","deadbeef"]}',
    '{"id":1,"result":[[["mining.set_difficulty","1"],["mining.notify","1"]],"08000002",4],"error":null}',
    '{"id":2,"method":"mining.authorize","params":["wörker.rig€1","x"]}\r',
    '{"id":2,"result":true,"error":null}',
    '',
    '{"id":null,"method":"mining.set_difficulty","params":[16384]}',
    JSON.stringify({
      id: null,
      method: 'mining.notify',
      params: ['4f2a', hex(64, 1), hex(120, 2), hex(80, 3), [hex(64, 4), hex(64, 5), hex(64, 6), hex(64, 7)], '20000000', '1703a8c1', '65a1b2c3', true],
    }),
    '{"id":3,"method":"mining.submit","params":["wörker.rig€1","4f2a","00000001","65a1b2c3","a1b2c3d4"]}',
    '{"id":3,"result":null,"error":[23,"Low difficulty share",null]}\r',
    '\r',
    'garbage that is not json 😀',
    '[1,2,3]',
    '{"id":"a-string-id","result":false,"error":{"code":21,"message":"Job not found"}}',
    '{"method":"client.reconnect","params":["pool.example.com",3333,0]}',
    '{"id":4,"method":"mining.submit","params":["w","4f2a","00000002","65a1b2c3","a1b2c3d5"]}',
  ].join('\n') + '\n{"id":5,"result":true,"error":null}',
  'utf8',
);

/** Short enough for every pair of cut points; its limit of 30 makes the middle line oversized. */
const SHORT = Buffer.from('{"id":1,"result":"é"}\r\n\n{x\n' + '{"id":2,"method":"m","params":["long-long-line"]}\n[]\n{"method":"€"}', 'utf8');
const SHORT_LIMIT = 30;

describe.each(implementations)('%s under fragmentation', (_name, Parser) => {
  const whole = run(Parser, [REALISTIC], 4096);
  const shortWhole = run(Parser, [SHORT], SHORT_LIMIT);

  it('sees every kind of event in the realistic corpus', () => {
    const types = new Set(whole.map((e) => e.type));
    expect([...types].sort()).toEqual(['parse.error', 'stratum.notification', 'stratum.request', 'stratum.response']);
    expect(whole).toHaveLength(14);
    const shortTypes = new Set(shortWhole.map((e) => e.type));
    expect([...shortTypes].sort()).toEqual(['line.oversized', 'parse.error', 'stratum.notification', 'stratum.response']);
  });

  it('gives the same events for a split at every byte offset as for one whole chunk', () => {
    for (let cut = 1; cut < REALISTIC.length; cut++) {
      const got = run(Parser, [REALISTIC.subarray(0, cut), REALISTIC.subarray(cut)], 4096);
      if (JSON.stringify(got) !== JSON.stringify(whole)) expect({ cut, got }).toEqual({ cut, got: whole });
    }
  });

  it('gives the same events for splits at every pair of byte offsets of a short corpus', () => {
    for (let i = 1; i < SHORT.length; i++) {
      for (let j = i; j < SHORT.length; j++) {
        const got = run(Parser, [SHORT.subarray(0, i), SHORT.subarray(i, j), SHORT.subarray(j)], SHORT_LIMIT);
        if (JSON.stringify(got) !== JSON.stringify(shortWhole)) expect({ i, j, got }).toEqual({ i, j, got: shortWhole });
      }
    }
  });

  it('gives the same events when fed one byte at a time', () => {
    const bytes = Array.from({ length: REALISTIC.length }, (_, i) => REALISTIC.subarray(i, i + 1));
    expect(run(Parser, bytes, 4096)).toEqual(whole);
  });

  it('gives the same events for seeded random chunkings with several lines per chunk', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = mulberry32(seed);
      const chunks: Buffer[] = [];
      let pos = 0;
      while (pos < REALISTIC.length) {
        const n = 1 + Math.floor(rand() * (rand() < 0.3 ? 1200 : 80));
        chunks.push(REALISTIC.subarray(pos, pos + n));
        pos += n;
      }
      const got = run(Parser, chunks, 4096);
      if (JSON.stringify(got) !== JSON.stringify(whole)) throw new Error(`seed ${seed}: events differ from the whole-chunk run`);
    }
  });

  it('parses messages concatenated in one chunk, repeated, in order', () => {
    const many = Buffer.concat(Array.from({ length: 20 }, () => Buffer.concat([REALISTIC, Buffer.from('\n')])));
    const got = run(Parser, [many], 4096);
    expect(got).toHaveLength(whole.length * 20);
    expect(got.slice(-whole.length)).toEqual(whole);
  });
});

describe('every implementation', () => {
  it('produces identical events for the realistic corpus', () => {
    for (const Other of [JsonparseStratumParser, JsonParseOnlyStratumParser]) {
      expect(run(Other, [REALISTIC], 4096)).toEqual(run(StratumParser, [REALISTIC], 4096));
      expect(run(Other, [SHORT], SHORT_LIMIT)).toEqual(run(StratumParser, [SHORT], SHORT_LIMIT));
    }
  });
});
