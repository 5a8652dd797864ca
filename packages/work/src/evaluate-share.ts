import { BadShareError } from './errors';
import { isHex, isHexOfBytes } from './hex';
import { foldBranch } from './merkle';
import type { StratumJob } from './notify-params';
import { prepareJob } from './prepared-job';
import { sha256d } from './sha256';
import { difficultyOfHash, hashAtMostTarget } from './target';
import { applyVersionRolling } from './version-rolling';

/** What a miner submitted (plus the extranonce1 the pool gave it), as wire hex. */
export interface ShareInput {
  extranonce1: string;
  extranonce2: string;
  /** 8 hex, big-endian. */
  ntime: string;
  /** 8 hex, big-endian. */
  nonce: string;
  /** BIP310: 6th mining.submit param, hex. */
  versionBits?: string;
  /** BIP310 mask negotiated in mining.configure; rolling is applied only when both are present. */
  versionMask?: number;
}

export interface ShareResult {
  /** The 80-byte header that was hashed. */
  header: Buffer;
  /** sha256d(header), internal byte order. */
  hash: Buffer;
  /** DIFF1_TARGET / hash, within ~2 ulp (hashDifficulty). */
  difficulty: number;
  /** hash <= the job's nbits target: this share is a block. */
  meetsNetworkTarget: boolean;
}

// BIP310 version bits are a 32-bit number; miners send 8 hex but nothing forbids fewer digits.
const VERSION_BITS_RE = /^[0-9a-fA-F]{1,8}$/;

/**
 * Rebuild coinbase → merkle root → header → sha256d for one submitted share.
 * The job's fields are decoded once per job object and cached (jobs are treated as immutable;
 * a changed field is noticed and re-decoded).
 * Throws BadShareError (SRL_ERR_BAD_SHARE) on malformed hex / wrong lengths in the share
 * (nonce and ntime must be 8 hex; extranonce1/2 even-length hex), BadJobError
 * (SRL_ERR_BAD_JOB) if the job itself is malformed.
 */
export function evaluateShare(job: StratumJob, share: ShareInput): ShareResult {
  const p = prepareJob(job);
  if (share === null || typeof share !== 'object') throw new BadShareError('share: expected an object');
  const { extranonce1, extranonce2, ntime, nonce } = share;
  if (!isHex(extranonce1)) throw new BadShareError('extranonce1: malformed hex');
  if (!isHex(extranonce2)) throw new BadShareError('extranonce2: malformed hex');
  if (!isHexOfBytes(ntime, 4)) throw new BadShareError('ntime: expected 8 hex characters');
  if (!isHexOfBytes(nonce, 4)) throw new BadShareError('nonce: expected 8 hex characters');

  let version = p.version;
  if (share.versionBits !== undefined && share.versionMask !== undefined) {
    if (typeof share.versionBits !== 'string' || !VERSION_BITS_RE.test(share.versionBits)) {
      throw new BadShareError('versionBits: expected 1 to 8 hex characters');
    }
    if (!Number.isInteger(share.versionMask)) throw new BadShareError('versionMask: expected an integer');
    version = applyVersionRolling(p.version, parseInt(share.versionBits, 16), share.versionMask);
  }

  // One allocation for the coinbase; extranonces are hex-decoded straight into place.
  const coinbase = Buffer.allocUnsafe(p.coinb1.length + (extranonce1.length >>> 1) + (extranonce2.length >>> 1) + p.coinb2.length);
  let off = p.coinb1.copy(coinbase, 0);
  off += coinbase.write(extranonce1, off, 'hex');
  off += coinbase.write(extranonce2, off, 'hex');
  p.coinb2.copy(coinbase, off);

  const root = foldBranch(sha256d(coinbase), p.branch);

  const header = Buffer.allocUnsafe(80);
  header.writeUInt32LE(version, 0);
  p.prevhash.copy(header, 4);
  root.copy(header, 36);
  header.writeUInt32LE(parseInt(ntime, 16) >>> 0, 68);
  header.writeUInt32LE(p.nbits, 72);
  header.writeUInt32LE(parseInt(nonce, 16) >>> 0, 76);

  const hash = sha256d(header);
  // HOT PATH (one per audited share): doubles for the difficulty value, an exact word compare for the block check.
  return { header, hash, difficulty: difficultyOfHash(hash), meetsNetworkTarget: hashAtMostTarget(hash, p.networkTargetWords) };
}
