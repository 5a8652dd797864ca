import { BadHexError } from './errors';
import { isHex } from './hex';

/**
 * The coinbase transaction a miner hashes: coinb1 + extranonce1 + extranonce2 + coinb2, as the
 * pool sent them (notify, subscribe answer) and the miner chose them (submit).
 * Throws BadHexError (SRL_ERR_BAD_HEX) if any part is not even-length hex.
 */
export function buildCoinbase(coinb1: string, extranonce1: string, extranonce2: string, coinb2: string): Buffer {
  if (!isHex(coinb1)) throw new BadHexError('coinb1: malformed hex');
  if (!isHex(extranonce1)) throw new BadHexError('extranonce1: malformed hex');
  if (!isHex(extranonce2)) throw new BadHexError('extranonce2: malformed hex');
  if (!isHex(coinb2)) throw new BadHexError('coinb2: malformed hex');
  // One allocation, hex decoded straight into place.
  const out = Buffer.allocUnsafe((coinb1.length + extranonce1.length + extranonce2.length + coinb2.length) >>> 1);
  let off = out.write(coinb1, 0, 'hex');
  off += out.write(extranonce1, off, 'hex');
  off += out.write(extranonce2, off, 'hex');
  out.write(coinb2, off, 'hex');
  return out;
}
