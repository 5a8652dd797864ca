import { BadInputError } from './errors';
import { hexToBuffer } from './hex';

/** A coinbase transaction split around the extranonce slot, as sent in mining.notify. */
export interface CoinbaseParts {
  coinb1: string;
  coinb2: string;
}

export interface CoinbasePartsOptions {
  height: number;
  /** extranonce1 + extranonce2 bytes. */
  extranonceSize: number;
  valueSats: bigint;
  scriptPubKeyHex: string;
  /** Pool tag, UTF-8, pushed after the extranonce. */
  tag?: string;
}

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_PUSHDATA1 = 0x4c;
// Consensus: a coinbase scriptSig must be 2..100 bytes (CheckTransaction, bad-cb-length).
const MAX_COINBASE_SCRIPT_SIG = 100;

/** Bitcoin's CompactSize. */
function varint(n: number): Buffer {
  if (n < 0xfd) return Buffer.from([n]);
  if (n <= 0xffff) {
    const b = Buffer.allocUnsafe(3);
    b[0] = 0xfd;
    b.writeUInt16LE(n, 1);
    return b;
  }
  const b = Buffer.allocUnsafe(5);
  b[0] = 0xfe;
  b.writeUInt32LE(n, 1);
  return b;
}

/** The opcode(s) that push `size` bytes of data (direct push up to 75, then OP_PUSHDATA1). */
function pushOpcode(size: number): Buffer {
  return size <= 75 ? Buffer.from([size]) : Buffer.from([OP_PUSHDATA1, size]);
}

/**
 * BIP34 block height as the scriptSig's first push, exactly as Bitcoin Core writes it
 * (`CScript() << nHeight`, which ContextualCheckBlock compares against): OP_0 for 0,
 * OP_1..OP_16 for 1..16, otherwise a minimal little-endian CScriptNum push.
 * Throws BadInputError unless 0 <= height <= 2^31 - 1.
 */
export function encodeBip34Height(height: number): Buffer {
  if (!Number.isInteger(height) || height < 0 || height > 0x7fffffff) {
    throw new BadInputError(`height must be an integer in 0..2^31-1, got ${String(height)}`);
  }
  if (height === 0) return Buffer.from([OP_0]);
  if (height <= 16) return Buffer.from([OP_1 + height - 1]);
  const bytes: number[] = [];
  for (let h = height; h > 0; h = Math.floor(h / 256)) bytes.push(h & 0xff);
  // CScriptNum is sign-magnitude: a set top bit would read as negative, so pad with 0x00.
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) bytes.push(0);
  return Buffer.from([bytes.length, ...bytes]);
}

/**
 * A real coinbase transaction split around the extranonce slot: version 1 tx, one input (null
 * prevout, scriptSig = BIP34 height push + a push of the extranonce1+extranonce2 slot of
 * `extranonceSize` bytes + optional tag push), one output (value, scriptPubKey), locktime 0.
 * coinb1 ends right before the slot and coinb2 starts right after it.
 * Throws BadInputError (bad sizes, value, scriptSig over 100 bytes) or BadHexError (scriptPubKey).
 */
export function buildCoinbaseParts(opts: CoinbasePartsOptions): CoinbaseParts {
  const { height, extranonceSize, valueSats, scriptPubKeyHex, tag } = opts;
  if (!Number.isInteger(extranonceSize) || extranonceSize < 0 || extranonceSize > 0xff) {
    throw new BadInputError('extranonceSize must be an integer in 0..255');
  }
  if (typeof valueSats !== 'bigint' || valueSats < 0n || valueSats > 0x7fffffffffffffffn) {
    throw new BadInputError('valueSats must be a bigint in 0..2^63-1');
  }
  const spk = hexToBuffer(scriptPubKeyHex, 'scriptPubKeyHex');
  const heightPush = encodeBip34Height(height);
  const slotPush = extranonceSize > 0 ? pushOpcode(extranonceSize) : Buffer.alloc(0);
  const tagBytes = tag ? Buffer.from(tag, 'utf8') : Buffer.alloc(0);
  const tagPush = tagBytes.length > 0 ? Buffer.concat([pushOpcode(tagBytes.length), tagBytes]) : Buffer.alloc(0);
  const scriptSigLength = heightPush.length + slotPush.length + extranonceSize + tagPush.length;
  if (scriptSigLength < 2 || scriptSigLength > MAX_COINBASE_SCRIPT_SIG) {
    throw new BadInputError(`coinbase scriptSig would be ${scriptSigLength} bytes; consensus allows 2..100`);
  }

  const value = Buffer.allocUnsafe(8);
  value.writeBigUInt64LE(valueSats);
  const coinb1 = Buffer.concat([
    Buffer.from('01000000', 'hex'), // tx version 1
    Buffer.from([1]), // one input
    Buffer.alloc(32), // null prevout hash
    Buffer.from('ffffffff', 'hex'), // null prevout index
    varint(scriptSigLength),
    heightPush,
    slotPush,
  ]);
  const coinb2 = Buffer.concat([
    tagPush,
    Buffer.from('ffffffff', 'hex'), // sequence
    Buffer.from([1]), // one output
    value,
    varint(spk.length),
    spk,
    Buffer.alloc(4), // locktime 0
  ]);
  return { coinb1: coinb1.toString('hex'), coinb2: coinb2.toString('hex') };
}
