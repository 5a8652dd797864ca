/**
 * Test-only raw block parser: enough of Bitcoin's wire format to split a block into its
 * header fields and transactions (with txids), and to locate the coinbase scriptSig.
 */
import { sha256d } from '@stratum-relay/work';

export interface ParsedTx {
  raw: Buffer;
  /** sha256d of the non-witness serialization, internal byte order. */
  txid: Buffer;
  /** Offset and length of the first input's scriptSig inside `raw` (the coinbase's, for tx 0). */
  scriptSigOffset: number;
  scriptSigLength: number;
}

export interface ParsedBlock {
  header: Buffer;
  version: number;
  prevhash: Buffer;
  merkleRoot: Buffer;
  ntime: number;
  nbits: number;
  nonce: number;
  txs: ParsedTx[];
}

class Reader {
  off = 0;
  constructor(readonly buf: Buffer) {}
  take(n: number): Buffer {
    if (this.off + n > this.buf.length) throw new Error(`read past end at ${this.off} (+${n})`);
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u32(): number {
    return this.take(4).readUInt32LE(0);
  }
  varint(): number {
    const first = this.u8();
    if (first < 0xfd) return first;
    if (first === 0xfd) return this.take(2).readUInt16LE(0);
    if (first === 0xfe) return this.take(4).readUInt32LE(0);
    return Number(this.take(8).readBigUInt64LE(0));
  }
}

/** Parse one transaction from a standalone buffer (must consume it exactly). */
export function parseTransaction(raw: Buffer): ParsedTx & { vinCount: number; outputs: { value: bigint; script: Buffer }[] } {
  const r = new Reader(raw);
  const outputs: { value: bigint; script: Buffer }[] = [];
  const tx = parseTx(r, outputs);
  if (r.off !== raw.length) throw new Error(`${raw.length - r.off} trailing bytes after the transaction`);
  return { ...tx, vinCount: tx.vinCount, outputs };
}

function parseTx(r: Reader, outputs?: { value: bigint; script: Buffer }[]): ParsedTx & { vinCount: number } {
  const start = r.off;
  const parts: Buffer[] = [];
  let mark = start;
  r.take(4); // version
  let segwit = false;
  // BIP144: a 0x00 marker where the input count would be, then flag 0x01.
  if (r.buf[r.off] === 0x00 && r.buf[r.off + 1] === 0x01) {
    parts.push(r.buf.subarray(mark, r.off));
    r.take(2);
    mark = r.off;
    segwit = true;
  }
  const vinCount = r.varint();
  let scriptSigOffset = -1;
  let scriptSigLength = -1;
  for (let i = 0; i < vinCount; i++) {
    r.take(36); // prevout
    const len = r.varint();
    if (i === 0) {
      scriptSigOffset = r.off - start;
      scriptSigLength = len;
    }
    r.take(len);
    r.take(4); // sequence
  }
  const voutCount = r.varint();
  for (let i = 0; i < voutCount; i++) {
    const value = r.take(8).readBigUInt64LE(0);
    const script = r.take(r.varint());
    outputs?.push({ value, script });
  }
  if (segwit) {
    parts.push(r.buf.subarray(mark, r.off));
    for (let i = 0; i < vinCount; i++) {
      const items = r.varint();
      for (let j = 0; j < items; j++) r.take(r.varint());
    }
    mark = r.off;
  }
  r.take(4); // locktime
  parts.push(r.buf.subarray(mark, r.off));
  const raw = r.buf.subarray(start, r.off);
  return { raw, txid: sha256d(Buffer.concat(parts)), scriptSigOffset, scriptSigLength, vinCount };
}

export function parseBlock(hex: string): ParsedBlock {
  const r = new Reader(Buffer.from(hex, 'hex'));
  const header = r.take(80);
  const txCount = r.varint();
  const txs: ParsedTx[] = [];
  for (let i = 0; i < txCount; i++) txs.push(parseTx(r));
  if (r.off !== r.buf.length) throw new Error(`${r.buf.length - r.off} trailing bytes after ${txCount} txs`);
  return {
    header,
    version: header.readUInt32LE(0),
    prevhash: header.subarray(4, 36),
    merkleRoot: header.subarray(36, 68),
    ntime: header.readUInt32LE(68),
    nbits: header.readUInt32LE(72),
    nonce: header.readUInt32LE(76),
    txs,
  };
}
