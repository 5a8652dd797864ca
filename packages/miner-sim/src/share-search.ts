import { HeaderHasher, applyVersionRolling, meetsTarget, type StratumJob } from '@stratum-relay/work';

/** A share found by the search, in mining.submit wire form. */
export interface FoundShare {
  readonly jobId: string;
  readonly extranonce2: string;
  readonly ntime: string;
  readonly nonce: string;
  /** BIP310 6th submit param; only when version rolling was negotiated. */
  readonly versionBits: string | undefined;
  /** sha256d of the header (internal byte order). */
  readonly hash: Buffer;
}

export interface ScanResult {
  readonly hashes: number;
  readonly share: FoundShare | null;
}

export interface ShareSearchOptions {
  readonly job: StratumJob;
  readonly extranonce1: string;
  readonly extranonce2Size: number;
  /** Share target (difficultyToTarget of the difficulty in force for this job). */
  readonly target: bigint;
  /** BIP310 mask negotiated with the pool; 0 = no version rolling. */
  readonly versionMask?: number;
  /** Nonces tried per extranonce2 before moving on; 2^32 unless a test wants to see the rollover. */
  readonly nonceSpace?: number;
  /** First extranonce2 value (default 0). */
  readonly extranonce2Start?: number;
}

const FULL_NONCE_SPACE = 2 ** 32;
const TWO_POW_32 = 2 ** 32;

/**
 * Pure nonce search over one job: tries nonces 0..nonceSpace-1 for each extranonce2 (rolling
 * the version bits too when negotiated), then moves to the next extranonce2, until a hash meets
 * the share target. No sockets, no timers: the caller decides how many hashes to spend per call.
 */
export class ShareSearch {
  readonly jobId: string;
  readonly target: bigint;
  private readonly job: StratumJob;
  private readonly extranonce1: string;
  private readonly extranonce2Size: number;
  private readonly versionMask: number;
  private readonly versionShift: number;
  private readonly jobVersion: number;
  private readonly nonceSpace: number;
  /** Top 32 bits of the target: the hot loop rejects almost every hash on them without a bigint. */
  private readonly targetTop: number;
  private readonly scratch = Buffer.alloc(32);
  private hasher!: HeaderHasher;
  private extranonce2 = 0;
  private extranonce2Hex = '';
  private versionBits = 0;
  private rollCounter = 0;
  private nonce = 0;
  private done = false;

  constructor(opts: ShareSearchOptions) {
    this.job = opts.job;
    this.jobId = opts.job.jobId;
    this.extranonce1 = opts.extranonce1;
    this.extranonce2Size = opts.extranonce2Size;
    this.target = opts.target;
    this.versionMask = (opts.versionMask ?? 0) >>> 0;
    this.versionShift = this.versionMask === 0 ? 0 : 31 - Math.clz32(this.versionMask & -this.versionMask);
    this.jobVersion = parseInt(opts.job.version, 16) >>> 0;
    this.nonceSpace = Math.min(opts.nonceSpace ?? FULL_NONCE_SPACE, FULL_NONCE_SPACE);
    const top = opts.target >> 224n;
    this.targetTop = top >= BigInt(TWO_POW_32) ? TWO_POW_32 : Number(top);
    this.extranonce2 = opts.extranonce2Start ?? 0;
    this.prepare();
  }

  /** True once every extranonce2 value was searched (only possible with tiny extranonce2 sizes). */
  get exhausted(): boolean {
    return this.done;
  }

  /** The extranonce2 currently searched, as hex. */
  get currentExtranonce2(): string {
    return this.extranonce2Hex;
  }

  /** Spend at most `maxHashes` hashes; stops at the first share found. */
  scan(maxHashes: number): ScanResult {
    let hashes = 0;
    const out = this.scratch;
    while (hashes < maxHashes && !this.done) {
      if (this.nonce >= this.nonceSpace) {
        this.nextExtranonce2();
        continue;
      }
      const nonce = this.nonce++;
      this.hasher.hashInto(nonce, out, 0);
      hashes++;
      // Hot path: the hash is a little-endian number, so bytes 28..31 are its top 32 bits.
      if (out.readUInt32LE(28) > this.targetTop) continue;
      if (meetsTarget(out, this.target)) return { hashes, share: this.shareFor(nonce, Buffer.from(out)) };
    }
    return { hashes, share: null };
  }

  /**
   * A nonce near `share` whose hash misses the target (for the invalid_nonce fault). Falls back to
   * the share itself when every probed nonce meets the target (only at absurdly low difficulty).
   */
  invalidVariant(share: FoundShare): FoundShare {
    const hasher = new HeaderHasher(this.job, this.extranonce1, share.extranonce2, share.ntime, this.rolledVersion(share.versionBits));
    const base = parseInt(share.nonce, 16);
    for (let i = 1; i <= 1024; i++) {
      const nonce = (base + i) >>> 0;
      const hash = hasher.hash(nonce);
      if (!meetsTarget(hash, this.target)) return { ...share, nonce: HeaderHasher.nonceHex(nonce), hash };
    }
    return share;
  }

  private rolledVersion(versionBits: string | undefined): number | undefined {
    if (versionBits === undefined) return undefined;
    return applyVersionRolling(this.jobVersion, parseInt(versionBits, 16), this.versionMask);
  }

  private shareFor(nonce: number, hash: Buffer): FoundShare {
    return {
      jobId: this.jobId,
      extranonce2: this.extranonce2Hex,
      ntime: this.job.ntime,
      nonce: HeaderHasher.nonceHex(nonce),
      versionBits: this.versionMask === 0 ? undefined : (this.versionBits >>> 0).toString(16).padStart(8, '0'),
      hash,
    };
  }

  private nextExtranonce2(): void {
    this.extranonce2++;
    this.nonce = 0;
    if (this.extranonce2 >= 2 ** Math.min(8 * this.extranonce2Size, 48)) {
      this.done = true;
      return;
    }
    this.prepare();
  }

  private prepare(): void {
    const width = this.extranonce2Size * 2;
    this.extranonce2Hex = width === 0 ? '' : this.extranonce2.toString(16).padStart(width, '0').slice(-width);
    let version: number | undefined;
    if (this.versionMask !== 0) {
      // Roll different version bits for each extranonce2 so rolling is visible in every share.
      this.rollCounter++;
      this.versionBits = ((this.rollCounter << this.versionShift) & this.versionMask) >>> 0;
      if (this.versionBits === 0) {
        this.rollCounter = 1;
        this.versionBits = ((1 << this.versionShift) & this.versionMask) >>> 0;
      }
      version = applyVersionRolling(this.jobVersion, this.versionBits, this.versionMask);
    }
    this.hasher = new HeaderHasher(this.job, this.extranonce1, this.extranonce2Hex, this.job.ntime, version);
  }
}
