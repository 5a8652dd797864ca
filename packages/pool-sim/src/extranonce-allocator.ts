import { InvalidOptionError } from './errors';

/**
 * Hands out a distinct extranonce1 per session. The n-th value is `seedOffset + n * STEP`
 * modulo 2^(8·size) with an odd STEP, which is a bijection on the counter: the first
 * 2^(8·size) sessions all get different values, while consecutive sessions do not get
 * consecutive-looking values (some firmware assumes nothing, but humans reading logs do).
 */
export class ExtranonceAllocator {
  private readonly modulus: bigint;
  private readonly step: bigint;
  private readonly offset: bigint;
  private readonly hexLength: number;
  private counter = 0n;

  constructor(
    readonly size: number,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 16) {
      throw new InvalidOptionError(`extranonce1Size must be an integer from 1 to 16, got ${String(size)}`);
    }
    this.modulus = 1n << BigInt(size * 8);
    // Odd multiplier (golden ratio constant) keeps the map a bijection for any power-of-two modulus.
    this.step = 0x9e3779b97f4a7c15n % this.modulus | 1n;
    this.offset = BigInt(seed >>> 0) % this.modulus;
    this.hexLength = size * 2;
  }

  /** The next extranonce1 as lowercase hex of exactly `size` bytes. */
  next(): string {
    const value = (this.offset + this.counter * this.step) % this.modulus;
    this.counter++;
    return value.toString(16).padStart(this.hexLength, '0');
  }

  /** How many values were handed out; past 2^(8·size) they repeat. */
  get allocated(): bigint {
    return this.counter;
  }
}
