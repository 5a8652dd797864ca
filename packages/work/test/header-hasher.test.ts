import { HeaderHasher, applyVersionRolling, evaluateShare } from '@stratum-relay/work';
import { mulberry32, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
import { codeOf } from './helpers/errors';
import { syntheticJob } from './helpers/synthetic-job';

describe('HeaderHasher', () => {
  it('hashes every nonce exactly like evaluateShare on random jobs (seeded)', () => {
    const seed = testSeed();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      for (let j = 0; j < 30; j++) {
        const job = syntheticJob(rand);
        const en1 = randomBytes(rand, 4).toString('hex');
        const en2 = randomBytes(rand, 1 + Math.floor(rand() * 8)).toString('hex');
        const hasher = new HeaderHasher(job, en1, en2);
        const nonces = [0, 0xffffffff, 0x80000000, ...Array.from({ length: 10 }, () => Math.floor(rand() * 2 ** 32))];
        for (const nonce of nonces) {
          const expected = evaluateShare(job, { extranonce1: en1, extranonce2: en2, ntime: job.ntime, nonce: HeaderHasher.nonceHex(nonce) });
          expect(hasher.hash(nonce).equals(expected.hash)).toBe(true);
          expect(hasher.header.equals(expected.header)).toBe(true);
        }
      }
    });
  });

  it('uses the given ntime and rolled version instead of the job defaults', () => {
    const job = { ...syntheticJob(mulberry32(7)), version: '20000000' };
    const mask = 0x1fffe000;
    const rolled = applyVersionRolling(0x20000000, 0x0badc000, mask);
    const hasher = new HeaderHasher(job, 'aabbccdd', '0102', '65000000', rolled);
    const expected = evaluateShare(job, {
      extranonce1: 'aabbccdd',
      extranonce2: '0102',
      ntime: '65000000',
      nonce: '12345678',
      versionBits: '0badc000',
      versionMask: mask,
    });
    expect(hasher.hash(0x12345678).equals(expected.hash)).toBe(true);
  });

  it('writes into a caller buffer at an offset with hashInto', () => {
    const job = syntheticJob(mulberry32(9));
    const hasher = new HeaderHasher(job, '00000000', '00000000');
    const out = Buffer.alloc(40, 0xee);
    expect(hasher.hashInto(77, out, 4)).toBe(out);
    expect(out.subarray(4, 36).equals(hasher.hash(77))).toBe(true);
    expect(out[0]).toBe(0xee);
    expect(out[39]).toBe(0xee);
  });

  it('formats nonces as the 8 hex characters a miner submits', () => {
    expect(HeaderHasher.nonceHex(0)).toBe('00000000');
    expect(HeaderHasher.nonceHex(0x1a2b)).toBe('00001a2b');
    expect(HeaderHasher.nonceHex(0xffffffff)).toBe('ffffffff');
  });

  it('rejects malformed extranonces and ntime with SRL_ERR_BAD_SHARE and a malformed job with SRL_ERR_BAD_JOB', () => {
    const job = syntheticJob(mulberry32(11));
    expect(codeOf(() => new HeaderHasher(job, 'abc', '00'))).toBe('SRL_ERR_BAD_SHARE');
    expect(codeOf(() => new HeaderHasher(job, 'ab', 'zz'))).toBe('SRL_ERR_BAD_SHARE');
    expect(codeOf(() => new HeaderHasher(job, 'ab', '00', '123'))).toBe('SRL_ERR_BAD_SHARE');
    expect(codeOf(() => new HeaderHasher({ ...job, nbits: 'nope' }, 'ab', '00'))).toBe('SRL_ERR_BAD_JOB');
    expect(codeOf(() => new HeaderHasher({ ...job, ntime: 'nope' }, 'ab', '00'))).toBe('SRL_ERR_BAD_JOB');
    expect(codeOf(() => new HeaderHasher(job, 'ab', '00', undefined, 1.5))).toBe('SRL_ERR_BAD_INPUT');
  });
});
