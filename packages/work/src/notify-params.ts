import { isHex, isHexOfBytes } from './hex';

/** A mining.notify job with its fields as sent on the wire. Treat as immutable once built. */
export interface StratumJob {
  jobId: string;
  /** Stratum prevhash encoding (64 hex, each 4-byte word byte-swapped). */
  prevhash: string;
  coinb1: string;
  coinb2: string;
  /** Merkle branch of the coinbase, 64 hex each, internal byte order. */
  merkleBranch: string[];
  /** 8 hex, big-endian. */
  version: string;
  /** 8 hex, big-endian compact target. */
  nbits: string;
  /** 8 hex, big-endian unix time. */
  ntime: string;
  cleanJobs: boolean;
}

function isBranch(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const h of v) if (!isHexOfBytes(h, 32)) return false;
  return true;
}

/**
 * Hand-written guard over mining.notify params (cheap; no schema library on this path).
 * Returns null if any of the 9 positional params is missing or malformed; extra trailing
 * params are ignored. The branch array is copied so later changes to `params` cannot leak in.
 */
export function parseNotifyParams(params: readonly unknown[]): StratumJob | null {
  if (!Array.isArray(params) || params.length < 9) return null;
  const [jobId, prevhash, coinb1, coinb2, merkleBranch, version, nbits, ntime, cleanJobs] = params as unknown[];
  if (typeof jobId !== 'string' || jobId.length === 0) return null;
  if (!isHexOfBytes(prevhash, 32)) return null;
  if (!isHex(coinb1) || !isHex(coinb2)) return null;
  if (!isBranch(merkleBranch)) return null;
  if (!isHexOfBytes(version, 4) || !isHexOfBytes(nbits, 4) || !isHexOfBytes(ntime, 4)) return null;
  if (typeof cleanJobs !== 'boolean') return null;
  return { jobId, prevhash, coinb1, coinb2, merkleBranch: merkleBranch.slice(), version, nbits, ntime, cleanJobs };
}
