import {
  BadShareError,
  WorkError,
  applyVersionRolling,
  buildCoinbase,
  buildHeader,
  evaluateShare,
  merkleRootFromBranch,
  sha256d,
} from '@stratum-relay/work';
import type { ShareInput, StratumJob } from '@stratum-relay/work';
import { codeOf } from './helpers/errors';
import { mulberry32 } from '@stratum-relay/prng';
import { syntheticJob } from './helpers/synthetic-job';

const job: StratumJob = syntheticJob(mulberry32(42));
const share: ShareInput = { extranonce1: 'f000000f', extranonce2: '00000001', ntime: job.ntime, nonce: 'deadbeef' };

/** The header hash computed the slow, obvious way with the standalone helpers. */
function expectedHash(j: StratumJob, s: ShareInput, version: number): Buffer {
  const coinbase = buildCoinbase(j.coinb1, s.extranonce1, s.extranonce2, j.coinb2);
  const root = merkleRootFromBranch(sha256d(coinbase), j.merkleBranch);
  return sha256d(buildHeader({ version, prevhash: j.prevhash, merkleRoot: root, ntime: s.ntime, nbits: j.nbits, nonce: s.nonce }));
}

describe('evaluateShare', () => {
  it('matches the share hashed step by step with the standalone helpers', () => {
    const r = evaluateShare(job, share);
    expect(r.hash.equals(expectedHash(job, share, parseInt(job.version, 16)))).toBe(true);
    expect(r.header).toHaveLength(80);
    expect(r.difficulty).toBeGreaterThan(0);
  });

  it('notices a job object changed after it was first evaluated', () => {
    const mutable: StratumJob = { ...job, merkleBranch: [...job.merkleBranch] };
    const before = evaluateShare(mutable, share).hash;
    mutable.coinb2 = mutable.coinb2 + '00';
    mutable.merkleBranch.push('11'.repeat(32));
    const after = evaluateShare(mutable, share).hash;
    expect(after.equals(before)).toBe(false);
    expect(after.equals(expectedHash(mutable, share, parseInt(job.version, 16)))).toBe(true);
  });

  describe('BIP310 version rolling', () => {
    const rollingJob: StratumJob = { ...job, version: '20000000' };
    const mask = 0x1fffe000;

    it('applies only the masked bits, as an unsigned 32-bit number', () => {
      expect(applyVersionRolling(0x20000000, 0x1fffe000, mask)).toBe(0x3fffe000);
      expect(applyVersionRolling(0x20000000, 0xffffffff, mask)).toBe(0x3fffe000);
      expect(applyVersionRolling(0x20000000, 0x00004000, mask)).toBe(0x20004000);
      expect(applyVersionRolling(0x20000000, 0x80000000, 0x80000000)).toBe(0xa0000000);
      expect(applyVersionRolling(0xffffffff, 0, 0xffffffff)).toBe(0);
    });

    it('hashes the rolled version when both version bits and a mask are present', () => {
      const r = evaluateShare(rollingJob, { ...share, versionBits: '00ffe000', versionMask: mask });
      expect(r.header.readUInt32LE(0)).toBe(0x20ffe000);
      expect(r.hash.equals(expectedHash(rollingJob, share, 0x20ffe000))).toBe(true);
    });

    it('gives the same hash whether the miner sends only the rolled bits or the full version', () => {
      const bitsOnly = evaluateShare(rollingJob, { ...share, versionBits: '00ffe000', versionMask: mask });
      const full = evaluateShare(rollingJob, { ...share, versionBits: '20ffe000', versionMask: mask });
      expect(full.hash.equals(bitsOnly.hash)).toBe(true);
    });

    it('ignores version bits outside the mask', () => {
      const r = evaluateShare(rollingJob, { ...share, versionBits: 'e0000fff', versionMask: mask });
      expect(r.header.readUInt32LE(0)).toBe(0x20000000);
    });

    it('ignores version bits when no mask was negotiated, and a mask without bits', () => {
      const plain = evaluateShare(rollingJob, share).hash;
      expect(evaluateShare(rollingJob, { ...share, versionBits: '00ffe000' }).hash.equals(plain)).toBe(true);
      expect(evaluateShare(rollingJob, { ...share, versionMask: mask }).hash.equals(plain)).toBe(true);
    });
  });

  describe('bad input', () => {
    const badShares: [string, Partial<ShareInput>][] = [
      ['an odd-length extranonce2', { extranonce2: '0000001' }],
      ['a non-hex extranonce2', { extranonce2: '0000000g' }],
      ['a non-hex extranonce1', { extranonce1: 'xyz0' }],
      ['a 7-character ntime', { ntime: '5f5e100' }],
      ['a non-hex ntime', { ntime: '5f5e100z' }],
      ['a 10-character nonce', { nonce: 'deadbeef00' }],
      ['an empty nonce', { nonce: '' }],
      ['a numeric nonce', { nonce: 12345 as unknown as string }],
      ['non-hex version bits', { versionBits: 'ghijklmn', versionMask: 0x1fffe000 }],
      ['9-character version bits', { versionBits: '1fffe0000', versionMask: 0x1fffe000 }],
      ['a fractional version mask', { versionBits: '1fffe000', versionMask: 1.5 }],
    ];

    it.each(badShares)('throws SRL_ERR_BAD_SHARE for %s', (_name, patch) => {
      expect(codeOf(() => evaluateShare(job, { ...share, ...patch }))).toBe('SRL_ERR_BAD_SHARE');
    });

    it('throws a BadShareError that is a WorkError for a share that is not an object', () => {
      let caught: unknown;
      try {
        evaluateShare(job, null as unknown as ShareInput);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(BadShareError);
      expect(caught).toBeInstanceOf(WorkError);
    });

    const badJobs: [string, Partial<StratumJob>][] = [
      ['an odd-length coinb1', { coinb1: '012' }],
      ['a short prevhash', { prevhash: '00'.repeat(31) }],
      ['a malformed branch entry', { merkleBranch: ['zz'] }],
      ['a non-hex version', { version: 'version!' }],
      ['negative nbits', { nbits: '04923456' }],
    ];

    it.each(badJobs)('throws SRL_ERR_BAD_JOB for a job with %s', (_name, patch) => {
      expect(codeOf(() => evaluateShare({ ...job, ...patch }, share))).toBe('SRL_ERR_BAD_JOB');
    });
  });
});
