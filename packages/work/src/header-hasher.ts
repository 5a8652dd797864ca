import { BadInputError, BadJobError, BadShareError } from './errors';
import { isHex, isHexOfBytes } from './hex';
import { foldBranch } from './merkle';
import type { StratumJob } from './notify-params';
import { prepareJob } from './prepared-job';
import { sha256d } from './sha256';
import { SHA256_IV, compress, compressDigest } from './sha256-compress';

/**
 * For miners: everything except the nonce is computed once per (job, extranonce2, ntime,
 * version); each nonce then costs two SHA-256 block compressions in JS with no allocation
 * (node:crypto cannot resume from a midstate and costs more per call than both compressions).
 */
export class HeaderHasher {
  /** The 80-byte header; bytes 76..79 hold the nonce last passed to hash()/hashInto(). */
  readonly header: Buffer;
  // Hot-loop state, allocated once. w1: the header's second block (bytes 64..79 and padding).
  private readonly midstate = new Int32Array(8);
  private readonly state = new Int32Array(8);
  private readonly w1 = new Int32Array(16);

  /**
   * @param ntime 8 hex BE; defaults to the job's ntime.
   * @param version header version (already rolled, if rolling); defaults to the job's version.
   * Throws BadJobError for a malformed job, BadShareError for malformed extranonces/ntime.
   */
  constructor(job: StratumJob, extranonce1: string, extranonce2: string, ntime?: string, version?: number) {
    const p = prepareJob(job);
    const t = ntime ?? job.ntime;
    if (!isHex(extranonce1)) throw new BadShareError('extranonce1: malformed hex');
    if (!isHex(extranonce2)) throw new BadShareError('extranonce2: malformed hex');
    if (!isHexOfBytes(t, 4)) {
      if (ntime === undefined) throw new BadJobError('job ntime: expected 8 hex characters');
      throw new BadShareError('ntime: expected 8 hex characters');
    }
    if (version !== undefined && !Number.isInteger(version)) throw new BadInputError('version: expected an integer');

    const coinbase = Buffer.concat([p.coinb1, Buffer.from(extranonce1, 'hex'), Buffer.from(extranonce2, 'hex'), p.coinb2]);
    const root = foldBranch(sha256d(coinbase), p.branch);
    const header = Buffer.alloc(80);
    header.writeUInt32LE((version ?? p.version) >>> 0, 0);
    p.prevhash.copy(header, 4);
    root.copy(header, 36);
    header.writeUInt32LE(parseInt(t, 16) >>> 0, 68);
    header.writeUInt32LE(p.nbits, 72);
    this.header = header;

    // Midstate: the first 64 header bytes never change with the nonce.
    const w = this.w1;
    for (let i = 0; i < 16; i++) w[i] = header.readInt32BE(i * 4);
    this.midstate.set(SHA256_IV);
    compress(this.midstate, w);
    // Second block: header bytes 64..79, then SHA-256 padding for an 80-byte (640-bit) message.
    w.fill(0);
    for (let i = 0; i < 4; i++) w[i] = header.readInt32BE(64 + i * 4);
    w[4] = 0x80000000 | 0;
    w[15] = 640;
  }

  /** sha256d of the header with this nonce (coerced to an unsigned 32-bit integer), as a new Buffer. */
  hash(nonce: number): Buffer {
    return this.hashInto(nonce, Buffer.allocUnsafe(32), 0);
  }

  /** Same as hash() but writes the 32 bytes into `out` at `offset` (no allocation); returns `out`. */
  hashInto(nonce: number, out: Buffer, offset = 0): Buffer {
    // Hot path: no validation beyond the u32 coercion, no allocation.
    const n = nonce >>> 0;
    this.header.writeUInt32LE(n, 76);
    const w1 = this.w1;
    // The header stores the nonce little-endian; SHA-256 reads big-endian words.
    w1[3] = ((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24);
    const s = this.state;
    s.set(this.midstate);
    compress(s, w1);
    compressDigest(s);
    for (let i = 0; i < 8; i++) out.writeInt32BE(s[i]!, offset + i * 4);
    return out;
  }

  /** A nonce as the 8-hex string a miner submits (big-endian number). */
  static nonceHex(nonce: number): string {
    return (nonce >>> 0).toString(16).padStart(8, '0');
  }
}
