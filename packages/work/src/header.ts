import { BadInputError } from './errors';
import { hexToU32 } from './hex';
import { stratumPrevhashToHeaderBytes } from './prevhash';

/** The fields of an 80-byte block header, in the encodings Stratum uses on the wire. */
export interface HeaderFields {
  /** Block version as a number (after BIP310 version rolling, if any). */
  version: number;
  /** mining.notify prevhash encoding (64 hex, each 4-byte word swapped). */
  prevhash: string;
  /** 32 bytes, internal byte order. */
  merkleRoot: Buffer;
  /** 8 hex, big-endian number as in notify/submit. */
  ntime: string;
  /** 8 hex, big-endian number as in notify. */
  nbits: string;
  /** 8 hex, big-endian number as submitted. */
  nonce: string;
}

export const HEADER_SIZE = 80;

/**
 * The 80-byte header: version LE u32, prevhash bytes, merkle root, ntime LE, nbits LE, nonce LE.
 * Throws BadHexError on malformed prevhash/ntime/nbits/nonce, BadInputError on a bad version
 * or merkle root length.
 */
export function buildHeader(f: HeaderFields): Buffer {
  if (!Number.isInteger(f.version)) throw new BadInputError('version: expected an integer');
  if (!Buffer.isBuffer(f.merkleRoot) || f.merkleRoot.length !== 32) throw new BadInputError('merkleRoot: expected 32 bytes');
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header.writeUInt32LE(f.version >>> 0, 0);
  stratumPrevhashToHeaderBytes(f.prevhash).copy(header, 4);
  f.merkleRoot.copy(header, 36);
  header.writeUInt32LE(hexToU32(f.ntime, 'ntime'), 68);
  header.writeUInt32LE(hexToU32(f.nbits, 'nbits'), 72);
  header.writeUInt32LE(hexToU32(f.nonce, 'nonce'), 76);
  return header;
}
