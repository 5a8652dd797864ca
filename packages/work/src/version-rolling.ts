/**
 * BIP310 version rolling: the miner may change only the bits in the negotiated mask.
 * (jobVersion & ~mask) | (versionBits & mask), as an unsigned 32-bit number.
 */
export function applyVersionRolling(jobVersion: number, versionBits: number, mask: number): number {
  return ((jobVersion & ~mask) | (versionBits & mask)) >>> 0;
}
