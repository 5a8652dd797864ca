import { BadDifficultyError, BadInputError, BadNbitsError, BadTargetError } from './errors';
import { hexToU32 } from './hex';

/** Pool difficulty 1: 0x00000000FFFF0000…0000 (the target of nbits 1d00ffff). */
export const DIFF1_TARGET: bigint = 0xffffn << 208n;

/** The largest 256-bit target; every hash meets it. */
export const MAX_TARGET: bigint = (1n << 256n) - 1n;

function assertHash(hash: Buffer): void {
  if (!Buffer.isBuffer(hash) || hash.length !== 32) throw new BadInputError('hash: expected 32 bytes');
}

/** Display hex (reversed) of a hash, as block explorers show it. */
export function hashToDisplayHex(hash: Buffer): string {
  return Buffer.from(hash).reverse().toString('hex');
}

/** A header hash as a 256-bit number (the hash bytes read little-endian). */
export function hashToBigInt(hash: Buffer): bigint {
  assertHash(hash);
  return (
    (hash.readBigUInt64LE(24) << 192n) |
    (hash.readBigUInt64LE(16) << 128n) |
    (hash.readBigUInt64LE(8) << 64n) |
    hash.readBigUInt64LE(0)
  );
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * num / den as the nearest double. The quotient is taken at 2^128 scale so it keeps >= 96
 * significant bits for any 256-bit den, then scaled back by an exact power of two.
 */
function ratio(num: bigint, den: bigint): number {
  return Number((num << 128n) / den) * 2 ** -128;
}

/**
 * Share target for a pool difficulty: floor(DIFF1_TARGET / difficulty), computed exactly.
 * The double is decomposed into m * 2^e (m a 53-bit integer), so fractional difficulties far
 * below 1 (1e-9) and large ones (1e12) lose nothing. Clamped to MAX_TARGET for difficulties
 * so small that every hash qualifies. Throws BadDifficultyError unless 0 < difficulty < ∞.
 */
export function difficultyToTarget(difficulty: number): bigint {
  if (typeof difficulty !== 'number' || !Number.isFinite(difficulty) || difficulty <= 0) {
    throw new BadDifficultyError(`difficulty must be a finite number > 0, got ${String(difficulty)}`);
  }
  scratch.setFloat64(0, difficulty);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (biased === 0) {
    e = -1074; // subnormal
  } else {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  const target = e >= 0 ? DIFF1_TARGET / (m << BigInt(e)) : (DIFF1_TARGET << BigInt(-e)) / m;
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/** Pool difficulty of a target: DIFF1_TARGET / target as a double. Throws BadTargetError unless target > 0. */
export function targetToDifficulty(target: bigint): number {
  if (typeof target !== 'bigint' || target <= 0n) throw new BadTargetError(`target must be a positive bigint`);
  return ratio(DIFF1_TARGET, target);
}

/**
 * Difficulty a hash achieves: DIFF1_TARGET / hash (Infinity for an all-zero hash).
 * A double within ~2 ulp of the exact quotient; decide acceptance with meetsTarget, which is exact.
 */
export function hashDifficulty(hash: Buffer): number {
  assertHash(hash);
  return difficultyOfHash(hash);
}

const DIFF1_DOUBLE = Number(DIFF1_TARGET); // 0xffff * 2^208: exact in a double
const TWO_32 = 2 ** 32;

/**
 * hashDifficulty without the argument check (internal: the per-share path, 32-byte hash known).
 * HOT PATH: plain doubles instead of a 256-bit BigInt and a BigInt division. The hash is read
 * as a double from its top three non-zero 32-bit words (at least 65 significant bits, more than
 * a double keeps, so the words below cannot change it by more than the rounding already does).
 */
export function difficultyOfHash(hash: Buffer): number {
  let i = 28;
  while (i > 0 && hash.readUInt32LE(i) === 0) i -= 4;
  let value = hash.readUInt32LE(i);
  if (value === 0) return Infinity;
  const last = Math.max(0, i - 8);
  for (let j = i - 4; j >= last; j -= 4) value = value * TWO_32 + hash.readUInt32LE(j);
  // value * 2^(8*last) is the hash; power-of-two scaling is exact.
  return DIFF1_DOUBLE / (value * 2 ** (8 * last));
}

/**
 * difficultyOfHash for a hash given as its 8 little-endian 32-bit words (`le[k]` =
 * hash.readUInt32LE(4k)), for the allocation-free audit (ShareAuditor). HOT PATH: the same
 * double operations in the same order as difficultyOfHash, so both give bit-identical results;
 * change them together.
 */
export function difficultyOfWords(le: Uint32Array): number {
  let i = 7;
  while (i > 0 && le[i] === 0) i--;
  let value = le[i]!;
  if (value === 0) return Infinity;
  const last = Math.max(0, i - 2);
  for (let j = i - 1; j >= last; j--) value = value * TWO_32 + le[j]!;
  return DIFF1_DOUBLE / (value * 2 ** (32 * last));
}

/** hashAtMostTarget for a hash given as little-endian words (difficultyOfWords). */
export function wordsAtMostTarget(le: Uint32Array, targetWords: Uint32Array): boolean {
  for (let i = 7; i >= 0; i--) {
    const h = le[i]!;
    const t = targetWords[i]!;
    if (h !== t) return h < t;
  }
  return true;
}

/** A target as 8 little-endian 32-bit words (word 7 most significant), for hashAtMostTarget. */
export function targetToWords(target: bigint): Uint32Array {
  if (typeof target !== 'bigint' || target < 0n || target > MAX_TARGET) throw new BadTargetError('target must be a 256-bit unsigned bigint');
  const words = new Uint32Array(8);
  for (let i = 0; i < 8; i++) words[i] = Number((target >> BigInt(32 * i)) & 0xffffffffn);
  return words;
}

/**
 * Exactly meetsTarget(hash, target) for a target given as words (targetToWords), without
 * BigInts: compares from the most significant word and almost always stops at the first.
 */
export function hashAtMostTarget(hash: Buffer, targetWords: Uint32Array): boolean {
  for (let i = 7; i >= 0; i--) {
    const h = hash.readUInt32LE(i * 4);
    const t = targetWords[i]!;
    if (h !== t) return h < t;
  }
  return true;
}

/** True if the hash, read as a little-endian 256-bit number, is <= target. */
export function meetsTarget(hash: Buffer, target: bigint): boolean {
  return hashToBigInt(hash) <= target;
}

/**
 * Expand a compact target (nbits, 8 hex as in mining.notify) like Bitcoin Core's
 * arith_uint256::SetCompact. Throws BadHexError if malformed, BadNbitsError if the encoded
 * value is negative or overflows 256 bits.
 */
export function nbitsToTarget(nbits: string): bigint {
  const compact = hexToU32(nbits, 'nbits');
  const size = compact >>> 24;
  const mantissa = compact & 0x007fffff;
  if (mantissa !== 0 && (compact & 0x00800000) !== 0) throw new BadNbitsError(`nbits ${nbits}: negative target`);
  if (mantissa !== 0 && (size > 34 || (mantissa > 0xff && size > 33) || (mantissa > 0xffff && size > 32))) {
    throw new BadNbitsError(`nbits ${nbits}: target overflows 256 bits`);
  }
  return size <= 3 ? BigInt(mantissa >>> (8 * (3 - size))) : BigInt(mantissa) << BigInt(8 * (size - 3));
}

/** Compact form (8 hex) of a target, like arith_uint256::GetCompact; lossy below the top 3 bytes. */
export function targetToNbits(target: bigint): string {
  if (typeof target !== 'bigint' || target < 0n || target > MAX_TARGET) throw new BadTargetError('target must be a 256-bit unsigned bigint');
  let size = target === 0n ? 0 : Math.ceil(target.toString(16).length / 2);
  let compact = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  // The 0x00800000 bit is the sign; move the mantissa down a byte so it stays positive.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  return (((size << 24) | compact) >>> 0).toString(16).padStart(8, '0');
}
