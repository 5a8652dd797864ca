import { BadHexError } from './errors';

// Buffer.from(hex, 'hex') silently stops at the first bad character and drops an odd
// trailing nibble, so every hex string from the wire is checked before it is decoded.
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** True if `s` is an even-length hex string (possibly empty). */
export function isHex(s: unknown): s is string {
  return typeof s === 'string' && HEX_RE.test(s);
}

/** True if `s` is hex of exactly `bytes` bytes. */
export function isHexOfBytes(s: unknown, bytes: number): s is string {
  return typeof s === 'string' && s.length === bytes * 2 && HEX_RE.test(s);
}

/** Decode checked hex; throws BadHexError naming `what`. */
export function hexToBuffer(hex: string, what: string): Buffer {
  if (!isHex(hex)) throw new BadHexError(`${what}: malformed hex`);
  return Buffer.from(hex, 'hex');
}

/** Decode checked hex of an exact byte length; throws BadHexError naming `what`. */
export function hexToBufferOfBytes(hex: string, bytes: number, what: string): Buffer {
  if (!isHexOfBytes(hex, bytes)) throw new BadHexError(`${what}: expected ${bytes * 2} hex characters`);
  return Buffer.from(hex, 'hex');
}

/** Parse 8 hex characters as an unsigned 32-bit big-endian number (ntime, nbits, version, nonce). */
export function hexToU32(hex: string, what: string): number {
  if (!isHexOfBytes(hex, 4)) throw new BadHexError(`${what}: expected 8 hex characters`);
  return parseInt(hex, 16) >>> 0;
}
