import { SHA256_IV, compress } from './sha256-compress';

/**
 * Incremental SHA-256 on the generated compression (sha256-compress.ts), for what is hashed once
 * per job rather than per share: the midstate of a job's coinbase prefix. The per-share paths
 * (ShareAuditor, HeaderHasher) call the compressions directly on their own scratch memory.
 * Internal: the package's public sha256/sha256d stay on node:crypto, the reference the
 * differential tests compare against.
 */
export class Sha256Hasher {
  private readonly state = new Int32Array(8);
  private readonly block = new Uint8Array(64);
  private readonly w = new Int32Array(16);
  /** Bytes waiting in `block` for a complete block. */
  private buffered = 0;
  /** Bytes hashed so far, those in complete blocks and those buffered. */
  private length = 0;

  constructor() {
    this.state.set(SHA256_IV);
  }

  /** Adds data[start..end). */
  update(data: Uint8Array, start = 0, end = data.length): this {
    let i = start;
    this.length += end - start;
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, end - i);
      this.block.set(data.subarray(i, i + take), this.buffered);
      this.buffered += take;
      i += take;
      if (this.buffered < 64) return this;
      this.compressBlock(this.block, 0);
      this.buffered = 0;
    }
    for (; i + 64 <= end; i += 64) this.compressBlock(data, i);
    if (i < end) {
      this.block.set(data.subarray(i, end), 0);
      this.buffered = end - i;
    }
    return this;
  }

  /**
   * The state after the complete 64-byte blocks hashed so far: a midstate to resume from.
   * Throws (a bug in the caller) when a partial block is waiting.
   */
  midstate(): Int32Array {
    if (this.buffered !== 0) throw new RangeError('midstate: only after whole 64-byte blocks');
    return this.state.slice();
  }

  /** The SHA-256 of everything added; the hasher is spent afterwards. */
  digest(): Buffer {
    const bits = this.length * 8;
    const block = this.block;
    let n = this.buffered;
    block[n++] = 0x80;
    if (n > 56) {
      block.fill(0, n, 64);
      this.compressBlock(block, 0);
      n = 0;
    }
    block.fill(0, n, 56);
    // The 64-bit big-endian bit length (exact in a double up to 2^53 bits).
    const high = Math.floor(bits / 2 ** 32);
    block[56] = high >>> 24;
    block[57] = (high >>> 16) & 0xff;
    block[58] = (high >>> 8) & 0xff;
    block[59] = high & 0xff;
    block[60] = bits >>> 24;
    block[61] = (bits >>> 16) & 0xff;
    block[62] = (bits >>> 8) & 0xff;
    block[63] = bits & 0xff;
    this.compressBlock(block, 0);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(this.state[i]!, i * 4);
    return out;
  }

  private compressBlock(bytes: Uint8Array, off: number): void {
    readBlockWords(bytes, off, this.w);
    compress(this.state, this.w);
  }
}

/** w[0..15] := the big-endian 32-bit words of bytes[off..off+64). */
export function readBlockWords(bytes: Uint8Array, off: number, w: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const o = off + i * 4;
    w[i] = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
  }
}
