import { BadInputError } from './errors';
import { hexToBufferOfBytes } from './hex';

/** Reverse the bytes of each 4-byte word in place. */
function swapWords(buf: Buffer): Buffer {
  return buf.swap32();
}

/**
 * mining.notify's prevhash -> the 32 prevhash bytes of the header. Stratum (slush's original
 * implementation, kept by every pool since) sends the header bytes with each 4-byte word
 * byte-swapped. Throws BadHexError unless `prevhash` is 64 hex characters.
 */
export function stratumPrevhashToHeaderBytes(prevhash: string): Buffer {
  return swapWords(hexToBufferOfBytes(prevhash, 32, 'prevhash'));
}

/** The 32 prevhash bytes of a header -> mining.notify's prevhash encoding (inverse of the above). */
export function headerBytesToStratumPrevhash(bytes: Buffer): string {
  if (!Buffer.isBuffer(bytes) || bytes.length !== 32) throw new BadInputError('prevhash bytes: expected 32 bytes');
  return swapWords(Buffer.from(bytes)).toString('hex');
}
