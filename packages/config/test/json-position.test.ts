import { mulberry32 } from '@stratum-relay/prng';
import { describeJsonSyntaxError, findJsonErrorPosition, lineColumn } from '../src/json-position';

function parseError(text: string): Error {
  try {
    JSON.parse(text);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`valid JSON: ${text}`);
}

describe('lineColumn', () => {
  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd\n', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd\n', 2)).toEqual({ line: 1, column: 3 });
    expect(lineColumn('ab\ncd\n', 3)).toEqual({ line: 2, column: 1 });
    expect(lineColumn('ab\ncd\n', 6)).toEqual({ line: 3, column: 1 });
  });
});

describe('describeJsonSyntaxError', () => {
  it.each([
    ['{"a":1,}', 1, 8, 'Expected double-quoted property name'],
    ['{"a": }', 1, 7, "Unexpected token '}'"],
    ['{\n"a":tru}', 2, 8, "Unexpected token '}'"],
    ['{"a":1}x', 1, 8, 'Unexpected non-whitespace character after JSON'],
    ['{"a":1', 1, 7, "Expected ',' or '}' after property value"],
    ['', 1, 1, 'Unexpected end of JSON input'],
  ])('places the error in %j at line %i column %i', (text, line, column, reason) => {
    expect(describeJsonSyntaxError(text, parseError(text))).toEqual({ line, column, reason });
  });
});

describe('findJsonErrorPosition', () => {
  const samples = [
    '{"poolHost": "pool.example", "poolPort": 3333, "shareAudit": true, "maxClientIds": null}',
    '{\n  "a": [1, -2.5e3, {"b": "c\\u00e9\\n"}],\n  "d": false\n}',
    '[[], {}, "x", 0, 1.0E+2]',
  ];

  it('finds no error in valid JSON', () => {
    for (const text of samples) expect(findJsonErrorPosition(text)).toBe(text.length);
  });

  it('agrees with V8 wherever V8 names a position (seeded random corruptions)', () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    const random = mulberry32(seed);
    const alphabet = '{}[]":,0123456789-.eEtrufalsn \n\\x';
    let compared = 0;
    for (let round = 0; round < 2000; round++) {
      const base = samples[Math.floor(random() * samples.length)] as string;
      const at = Math.floor(random() * base.length);
      const ch = alphabet[Math.floor(random() * alphabet.length)] as string;
      const text = random() < 0.5 ? base.slice(0, at) + ch + base.slice(at + 1) : base.slice(0, at) + base.slice(at + 1);
      let message: string;
      try {
        JSON.parse(text);
        continue;
      } catch (error) {
        message = (error as Error).message;
      }
      const v8 = / at position (\d+)/.exec(message);
      if (!v8) continue;
      compared++;
      const mine = findJsonErrorPosition(text);
      if (mine !== Number(v8[1])) throw new Error(`seed ${seed}: ${JSON.stringify(text)}: V8 says ${v8[1]} (${message}), scanner says ${mine}`);
    }
    expect(compared).toBeGreaterThan(100);
  });
});
