import {
  DIFF1_TARGET,
  MAX_TARGET,
  difficultyToTarget,
  hashDifficulty,
  hashToBigInt,
  meetsTarget,
  nbitsToTarget,
  targetToDifficulty,
  targetToNbits,
} from '@stratum-relay/work';
import { mulberry32, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
import { codeOf } from './helpers/errors';

/** A 32-byte hash whose little-endian value is `n`. */
function hashOf(n: bigint): Buffer {
  const b = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) {
    b[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return b;
}

describe('difficulty and targets', () => {
  it('defines DIFF1_TARGET as 0x00000000FFFF followed by zeros', () => {
    expect(DIFF1_TARGET).toBe(BigInt('0x00000000FFFF0000000000000000000000000000000000000000000000000000'));
  });

  it.each([1, 0.001, 1e-9, 65536, 1e12])('round-trips difficulty %p through its target exactly', (d) => {
    expect(targetToDifficulty(difficultyToTarget(d))).toBe(d);
  });

  it('computes exact targets for difficulties that are exact in binary', () => {
    expect(difficultyToTarget(1)).toBe(DIFF1_TARGET);
    expect(difficultyToTarget(65536)).toBe(DIFF1_TARGET / 65536n);
    expect(difficultyToTarget(1e12)).toBe(DIFF1_TARGET / 10n ** 12n);
    expect(difficultyToTarget(0.5)).toBe(DIFF1_TARGET * 2n);
  });

  it.each([
    [0.001, 1000n],
    [1e-9, 10n ** 9n],
  ])('keeps full precision for the fractional difficulty %p', (d, inverse) => {
    const t = difficultyToTarget(d);
    const ideal = DIFF1_TARGET * inverse;
    const diff = t > ideal ? t - ideal : ideal - t;
    // Only the double's own representation error of d (< 2^-52 relative) may show.
    expect(diff * 2n ** 52n <= ideal).toBe(true);
  });

  it('clamps the target of a vanishingly small difficulty to the largest 256-bit value', () => {
    expect(difficultyToTarget(1e-30)).toBe(MAX_TARGET);
    expect(difficultyToTarget(Number.MIN_VALUE)).toBe(MAX_TARGET);
  });

  it.each([0, -1, NaN, Infinity, -Infinity, '1' as unknown as number])('rejects the difficulty %p with SRL_ERR_BAD_DIFFICULTY', (d) => {
    expect(codeOf(() => difficultyToTarget(d))).toBe('SRL_ERR_BAD_DIFFICULTY');
  });

  it('rejects a zero or negative target with SRL_ERR_BAD_TARGET', () => {
    expect(codeOf(() => targetToDifficulty(0n))).toBe('SRL_ERR_BAD_TARGET');
    expect(codeOf(() => targetToDifficulty(-5n))).toBe('SRL_ERR_BAD_TARGET');
  });

  // Below 2^-32 (~2.3e-10) every target is clamped to MAX_TARGET, so the range starts above it.
  it('round-trips random difficulties from 1e-9 to 1e15 exactly (seeded)', () => {
    const seed = testSeed();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      for (let i = 0; i < 2000; i++) {
        const d = 10 ** (rand() * 24 - 9);
        expect(targetToDifficulty(difficultyToTarget(d))).toBe(d);
      }
    });
  });

  it('reads hashes little-endian and scores them against DIFF1', () => {
    expect(hashToBigInt(hashOf(DIFF1_TARGET))).toBe(DIFF1_TARGET);
    expect(hashDifficulty(hashOf(DIFF1_TARGET))).toBe(1);
    expect(hashDifficulty(hashOf(DIFF1_TARGET / 1024n))).toBe(1024);
    expect(hashDifficulty(Buffer.alloc(32))).toBe(Infinity);
    expect(codeOf(() => hashDifficulty(Buffer.alloc(31)))).toBe('SRL_ERR_BAD_INPUT');
  });

  it('accepts a hash equal to the target and rejects one just above it', () => {
    const t = difficultyToTarget(3.7);
    expect(meetsTarget(hashOf(t), t)).toBe(true);
    expect(meetsTarget(hashOf(t + 1n), t)).toBe(false);
  });

  it('agrees between meetsTarget and hashDifficulty >= difficulty on random hashes (seeded)', () => {
    const seed = testSeed();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      for (let i = 0; i < 2000; i++) {
        const hash = randomBytes(rand, 32);
        // Zero the top bytes at random so hashes span many difficulties.
        hash.fill(0, 32 - Math.floor(rand() * 8));
        const d = 10 ** (rand() * 12 - 9);
        expect(meetsTarget(hash, difficultyToTarget(d))).toBe(hashDifficulty(hash) >= d);
      }
    });
  });
});

describe('nbits (compact targets)', () => {
  it('expands 1d00ffff to DIFF1_TARGET', () => {
    expect(nbitsToTarget('1d00ffff')).toBe(DIFF1_TARGET);
  });

  // Vectors from Bitcoin Core's arith_uint256 SetCompact tests.
  it.each([
    ['01003456', 0n],
    ['01123456', 0x12n],
    ['02008000', 0x80n],
    ['05009234', 0x92340000n],
    ['20123456', 0x123456n << 232n],
    ['00000000', 0n],
  ])('expands %s like Bitcoin Core', (nbits, target) => {
    expect(nbitsToTarget(nbits)).toBe(target);
  });

  it('rejects negative and overflowing compact targets with SRL_ERR_BAD_NBITS', () => {
    expect(codeOf(() => nbitsToTarget('04923456'))).toBe('SRL_ERR_BAD_NBITS');
    expect(codeOf(() => nbitsToTarget('ff123456'))).toBe('SRL_ERR_BAD_NBITS');
  });

  it('rejects malformed nbits hex with SRL_ERR_BAD_HEX', () => {
    expect(codeOf(() => nbitsToTarget('1d00fff'))).toBe('SRL_ERR_BAD_HEX');
    expect(codeOf(() => nbitsToTarget('1d00fffg'))).toBe('SRL_ERR_BAD_HEX');
  });

  it('compacts targets back to nbits', () => {
    expect(targetToNbits(DIFF1_TARGET)).toBe('1d00ffff');
    expect(targetToNbits(nbitsToTarget('1903a30c'))).toBe('1903a30c');
    expect(targetToNbits(0x80n)).toBe('02008000');
    expect(targetToNbits(0x12n)).toBe('01120000');
  });
});
