import { BadShareError } from './errors';
import type { StratumJob } from './notify-params';
import { prepareJob } from './prepared-job';
import { SHA256_IV, compress, compressDigest, compressPad64 } from './sha256-compress';
import { readBlockWords } from './sha256-hasher';
import { difficultyOfWords, wordsAtMostTarget } from './target';
import { applyVersionRolling } from './version-rolling';

/** What ShareAuditor.audit found; one object per auditor, overwritten by the next audit. */
export interface ShareAudit {
  /** DIFF1_TARGET / hash: bit for bit evaluateShare's `difficulty` (hashDifficulty). */
  difficulty: number;
  /** hash <= the job's nbits target: this share is a block. */
  meetsNetworkTarget: boolean;
}

// Hex digit values by char code (-1: not hex); one pass validates and decodes, like isHex + write.
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_VALUE[0x41 + c] = 10 + c;
  HEX_VALUE[0x61 + c] = 10 + c;
}

/** Decode even-length hex into `out` at `off`; the number of bytes written, or -1 if malformed. */
function decodeHexInto(s: string, out: Uint8Array, off: number): number {
  const n = s.length;
  if ((n & 1) !== 0) return -1;
  for (let i = 0; i < n; i += 2) {
    const c1 = s.charCodeAt(i);
    const c2 = s.charCodeAt(i + 1);
    if ((c1 | c2) >= 128) return -1;
    const hi = HEX_VALUE[c1]!;
    const lo = HEX_VALUE[c2]!;
    if ((hi | lo) < 0) return -1;
    out[off + (i >>> 1)] = (hi << 4) | lo;
  }
  return n >>> 1;
}

/** 1..8 hex digits as an unsigned 32-bit number (parseInt(s, 16) >>> 0 for such s), or -1. */
function hexToU32OrMinus1(s: string, minDigits: number): number {
  const n = s.length;
  if (n < minDigits || n > 8) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const d = c < 128 ? HEX_VALUE[c]! : -1;
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v >>> 0;
}

const bswap32 = (x: number): number => ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/**
 * The share audit without allocation: the same coinbase → sha256d → merkle fold → header →
 * sha256d → difficulty as evaluateShare, computed with the generated JS SHA-256 compressions
 * (sha256-compress.ts) on scratch memory owned by the auditor (one auditor per process is
 * enough: audit() is synchronous). node:crypto costs ~0.4 µs per call however small the input,
 * and a share with a 12-deep merkle branch takes 26 hashes (42 block compressions): its call
 * overhead alone would exceed the whole JS audit. Jobs are prepared once (the cache
 * evaluateShare uses), including the SHA-256 midstate of coinb1's complete 64-byte blocks.
 */
export class ShareAuditor {
  // HOT PATH scratch, allocated once (the coinbase buffer grows to the largest coinbase seen).
  private coinbase = new Uint8Array(256);
  private readonly w = new Int32Array(16);
  private readonly state = new Int32Array(8);
  private readonly hashLe = new Uint32Array(8);
  private readonly result: ShareAudit = { difficulty: 0, meetsNetworkTarget: false };

  /**
   * Audit one share. Returns the auditor's own result object, overwritten by the next call.
   * Version rolling (BIP310) applies only when both `versionBits` and `versionMask` are given.
   * Throws exactly what evaluateShare throws for the same input: BadJobError (SRL_ERR_BAD_JOB)
   * for a malformed job, BadShareError (SRL_ERR_BAD_SHARE) for a malformed share.
   */
  audit(
    job: StratumJob,
    extranonce1: string,
    extranonce2: string,
    ntime: string,
    nonce: string,
    versionBits?: string,
    versionMask?: number,
  ): ShareAudit {
    const p = prepareJob(job);
    if (typeof extranonce1 !== 'string') throw new BadShareError('extranonce1: malformed hex');
    if (typeof extranonce2 !== 'string') throw new BadShareError('extranonce2: malformed hex');

    // Coinbase bytes after coinb1's complete blocks: coinb1 tail | en1 | en2 | coinb2 | padding.
    const tail = p.coinb1Tail;
    const coinb2 = p.coinb2;
    const restMax = tail.length + ((extranonce1.length + extranonce2.length) >>> 1) + coinb2.length;
    if (this.coinbase.length < restMax + 72) this.coinbase = new Uint8Array(2 * (restMax + 72));
    const buf = this.coinbase;
    buf.set(tail, 0);
    let off = tail.length;
    const n1 = decodeHexInto(extranonce1, buf, off);
    if (n1 < 0) throw new BadShareError('extranonce1: malformed hex');
    off += n1;
    const n2 = decodeHexInto(extranonce2, buf, off);
    if (n2 < 0) throw new BadShareError('extranonce2: malformed hex');
    off += n2;

    const ntimeValue = typeof ntime === 'string' && ntime.length === 8 ? hexToU32OrMinus1(ntime, 8) : -1;
    if (ntimeValue < 0) throw new BadShareError('ntime: expected 8 hex characters');
    const nonceValue = typeof nonce === 'string' && nonce.length === 8 ? hexToU32OrMinus1(nonce, 8) : -1;
    if (nonceValue < 0) throw new BadShareError('nonce: expected 8 hex characters');
    let version = p.version;
    if (versionBits !== undefined && versionMask !== undefined) {
      const bits = typeof versionBits === 'string' ? hexToU32OrMinus1(versionBits, 1) : -1;
      if (bits < 0) throw new BadShareError('versionBits: expected 1 to 8 hex characters');
      if (!Number.isInteger(versionMask)) throw new BadShareError('versionMask: expected an integer');
      version = applyVersionRolling(p.version, bits, versionMask);
    }

    buf.set(coinb2, off);
    off += coinb2.length;
    const bitLength = (p.coinb1.length - tail.length + off) * 8;
    buf[off++] = 0x80;
    const end = (off + 8 + 63) & ~63;
    buf.fill(0, off, end - 4);
    // The 64-bit bit length; its high word is 0 below 512 MiB.
    buf[end - 4] = bitLength >>> 24;
    buf[end - 3] = (bitLength >>> 16) & 0xff;
    buf[end - 2] = (bitLength >>> 8) & 0xff;
    buf[end - 1] = bitLength & 0xff;

    const s = this.state;
    const w = this.w;
    s.set(p.coinb1Midstate);
    for (let b = 0; b < end; b += 64) {
      readBlockWords(buf, b, w);
      compress(s, w);
    }
    compressDigest(s);

    // Merkle fold: each pair block is (node so far | branch hash), then the constant padding
    // block of a 64-byte message; a digest's big-endian words are already the next block's
    // words, so no bytes are produced.
    const branch = p.branchWords;
    for (let n = 0; n < branch.length; n += 8) {
      for (let i = 0; i < 8; i++) {
        w[i] = s[i]!;
        w[8 + i] = branch[n + i]!;
      }
      s.set(SHA256_IV);
      compress(s, w);
      compressPad64(s);
      compressDigest(s);
    }

    // Header: version LE | prevhash | merkle root | ntime LE | nbits LE | nonce LE, read as BE words.
    const prev = p.prevhashWords;
    w[0] = bswap32(version);
    for (let i = 0; i < 8; i++) w[1 + i] = prev[i]!;
    for (let i = 0; i < 7; i++) w[9 + i] = s[i]!;
    const root7 = s[7]!;
    s.set(SHA256_IV);
    compress(s, w);
    w[0] = root7;
    w[1] = bswap32(ntimeValue);
    w[2] = bswap32(p.nbits);
    w[3] = bswap32(nonceValue);
    w[4] = 0x80000000 | 0;
    for (let i = 5; i < 15; i++) w[i] = 0;
    w[15] = 640;
    compress(s, w);
    compressDigest(s);

    // The hash's bytes are the state words big-endian; difficulty reads them as LE words.
    const le = this.hashLe;
    for (let i = 0; i < 8; i++) le[i] = bswap32(s[i]!);
    const r = this.result;
    r.difficulty = difficultyOfWords(le);
    r.meetsNetworkTarget = wordsAtMostTarget(le, p.networkTargetWords);
    return r;
  }
}
