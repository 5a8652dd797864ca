import { buildCoinbase, headerBytesToStratumPrevhash, stratumPrevhashToHeaderBytes } from '@stratum-relay/work';
import { mulberry32, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
import { codeOf } from './helpers/errors';

describe('Stratum prevhash encoding', () => {
  it('swaps the bytes of each 4-byte word', () => {
    const stratum = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex');
    expect(stratumPrevhashToHeaderBytes(stratum).toString('hex')).toBe(
      '03020100070605040b0a09080f0e0d0c13121110171615141b1a19181f1e1d1c',
    );
  });

  it('round-trips random header bytes (seeded)', () => {
    const seed = testSeed();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      for (let i = 0; i < 200; i++) {
        const bytes = randomBytes(rand, 32);
        const copy = Buffer.from(bytes);
        expect(stratumPrevhashToHeaderBytes(headerBytesToStratumPrevhash(bytes)).equals(bytes)).toBe(true);
        expect(bytes.equals(copy)).toBe(true);
      }
    });
  });

  it('rejects a prevhash that is not 64 hex characters with SRL_ERR_BAD_HEX', () => {
    expect(codeOf(() => stratumPrevhashToHeaderBytes('00'.repeat(31)))).toBe('SRL_ERR_BAD_HEX');
    expect(codeOf(() => stratumPrevhashToHeaderBytes('0g'.repeat(32)))).toBe('SRL_ERR_BAD_HEX');
    expect(codeOf(() => headerBytesToStratumPrevhash(Buffer.alloc(20)))).toBe('SRL_ERR_BAD_INPUT');
  });
});

describe('buildCoinbase', () => {
  it('concatenates coinb1, extranonce1, extranonce2 and coinb2', () => {
    expect(buildCoinbase('0102', 'aabb', 'ccdd', '0304').toString('hex')).toBe('0102aabbccdd0304');
    expect(buildCoinbase('', '', '', '').length).toBe(0);
  });

  it.each([
    ['odd-length coinb1', ['012', 'aa', 'bb', '03']],
    ['non-hex extranonce1', ['01', 'zz', 'bb', '03']],
    ['odd-length extranonce2', ['01', 'aa', 'b', '03']],
    ['non-hex coinb2', ['01', 'aa', 'bb', '0x']],
  ])('rejects %s with SRL_ERR_BAD_HEX', (_name, parts) => {
    const [a, b, c, d] = parts as [string, string, string, string];
    expect(codeOf(() => buildCoinbase(a, b, c, d))).toBe('SRL_ERR_BAD_HEX');
  });
});
