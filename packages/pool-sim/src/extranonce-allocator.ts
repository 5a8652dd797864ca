import { InvalidOptionError } from './errors';

const HEX = /^[0-9a-fA-F]*$/;

/**
 * Hands out a distinct extranonce1 per session. The n-th value is `seedOffset + n * STEP`
 * modulo 16^(free nibbles) with an odd STEP, which is a bijection on the counter: the first
 * 16^(free nibbles) sessions all get different values, while consecutive sessions do not get
 * consecutive-looking values (some firmware assumes nothing, but humans reading logs do).
 *
 * An optional hex `prefix` fills the leading nibbles of every value, so failover tests can tell
 * which of several pools a miner ended on from its extranonce1 alone. Without a prefix the values
 * are exactly those of a pool without the option.
 */
export class ExtranonceAllocator {
  private readonly modulus: bigint;
  private readonly step: bigint;
  private readonly offset: bigint;
  private readonly freeNibbles: number;
  /** Lowercase, like the rest of every extranonce1. */
  readonly prefix: string;
  private counter = 0n;

  constructor(
    readonly size: number,
    seed: number,
    prefix = '',
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 16) {
      throw new InvalidOptionError(`extranonce1Size must be an integer from 1 to 16, got ${String(size)}`);
    }
    checkExtranonce1Prefix(prefix, size);
    this.prefix = prefix.toLowerCase();
    this.freeNibbles = size * 2 - prefix.length;
    this.modulus = 1n << BigInt(this.freeNibbles * 4);
    // Odd multiplier (golden ratio constant) keeps the map a bijection for any power-of-two modulus.
    this.step = 0x9e3779b97f4a7c15n % this.modulus | 1n;
    this.offset = BigInt(seed >>> 0) % this.modulus;
  }

  /** The next extranonce1 as lowercase hex of exactly `size` bytes, starting with the prefix. */
  next(): string {
    const value = (this.offset + this.counter * this.step) % this.modulus;
    this.counter++;
    return this.prefix + value.toString(16).padStart(this.freeNibbles, '0');
  }

  /** How many values were handed out; past 16^(free nibbles) they repeat. */
  get allocated(): bigint {
    return this.counter;
  }
}

/**
 * A prefix is hex digits (any number of nibbles, either case) that leaves at least one byte of the
 * extranonce1 free, so a pool still has 256+ distinct values to hand out.
 */
export function checkExtranonce1Prefix(prefix: string, size: number): void {
  if (typeof prefix !== 'string' || !HEX.test(prefix)) {
    throw new InvalidOptionError(`extranonce1Prefix must be hex digits, got ${JSON.stringify(prefix)}`);
  }
  if (prefix.length > size * 2 - 2) {
    throw new InvalidOptionError(
      `extranonce1Prefix must leave at least one byte free: at most ${size * 2 - 2} hex digits for extranonce1Size ${size}, got ${prefix.length}`,
    );
  }
}
