import { ShareAuditor, WorkError, evaluateShare, hashDifficulty } from '@stratum-relay/work';
import type { ShareInput, StratumJob } from '@stratum-relay/work';
import { deriveSeed, mulberry32, randInt, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
import type { Prng } from '@stratum-relay/prng';
import { parseBlock } from './helpers/block-parser';
import { loadMainnetBlocks } from './helpers/mainnet-blocks';
import { CUTS, asPoolWouldSendIt, u32hex } from './helpers/pool-view';
import { syntheticJob } from './helpers/synthetic-job';

/** What each side concluded: the numbers on success, the error class and code on failure. */
type Outcome = { difficulty: number; block: boolean } | { error: string; code: string };

function outcome(fn: () => { difficulty: number; meetsNetworkTarget: boolean }): Outcome {
  try {
    const r = fn();
    return { difficulty: r.difficulty, block: r.meetsNetworkTarget };
  } catch (err) {
    if (!(err instanceof WorkError)) throw err;
    return { error: err.constructor.name, code: err.code };
  }
}

const viaEvaluateShare = (job: StratumJob, s: ShareInput): Outcome => outcome(() => evaluateShare(job, s));
const viaAuditor = (auditor: ShareAuditor, job: StratumJob, s: ShareInput): Outcome =>
  outcome(() => auditor.audit(job, s.extranonce1, s.extranonce2, s.ntime, s.nonce, s.versionBits, s.versionMask));

/** Asserts the auditor matches evaluateShare bit for bit (Object.is: -0, NaN, Infinity included). */
function expectSame(auditor: ShareAuditor, job: StratumJob, s: ShareInput): Outcome {
  const expected = viaEvaluateShare(job, s);
  const actual = viaAuditor(auditor, job, s);
  expect(actual).toStrictEqual(expected);
  if ('difficulty' in actual && 'difficulty' in expected) expect(Object.is(actual.difficulty, expected.difficulty)).toBe(true);
  return actual;
}

const hex = (b: Buffer): string => b.toString('hex');

describe.each(loadMainnetBlocks().map((b) => ({ ...b, parsed: parseBlock(b.raw_block_hex) })))('ShareAuditor on mainnet block $name', (b) => {
  const block = b.parsed;

  it.each(CUTS)('gives evaluateShare difficulty and block flag for the real and a wrong nonce, extranonces at the %s', (cut) => {
    const view = asPoolWouldSendIt(block, cut);
    const auditor = new ShareAuditor();
    const share: ShareInput = { extranonce1: view.extranonce1, extranonce2: view.extranonce2, ntime: u32hex(block.ntime), nonce: u32hex(block.nonce) };
    const real = expectSame(auditor, view.job, share);
    expect(real).toStrictEqual({ difficulty: hashDifficulty(evaluateShare(view.job, share).hash), block: true });
    const wrong = expectSame(auditor, view.job, { ...share, nonce: u32hex(block.nonce ^ 1) });
    expect(wrong).toMatchObject({ block: false });
  });
});

/** Lengths around the 64-byte block edges (padding needs 9 bytes: 55/56 change the block count), and anything else. */
function edgyLength(rand: Prng, max: number): number {
  const edges = [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192, 193];
  return rand() < 0.5 ? edges[randInt(rand, 0, edges.length - 1)]! : randInt(rand, 0, max);
}

function randomJob(rand: Prng): StratumJob {
  const base = syntheticJob(rand);
  // Mainnet-like nbits mostly; regtest's 207fffff so about half the hashes are blocks.
  const nbits = rand() < 0.3 ? '207fffff' : rand() < 0.5 ? '1d00ffff' : '1703a30c';
  const depth = randInt(rand, 0, 12);
  return {
    ...base,
    nbits,
    coinb1: hex(randomBytes(rand, edgyLength(rand, 300))),
    coinb2: hex(randomBytes(rand, edgyLength(rand, 300))),
    merkleBranch: Array.from({ length: depth }, () => hex(randomBytes(rand, 32))),
  };
}

function randomShare(rand: Prng, en1: string, en2Size: number): ShareInput {
  const en2 = hex(randomBytes(rand, en2Size));
  const share: ShareInput = {
    extranonce1: en1,
    // Miners send lowercase, but hex is case-insensitive on both paths.
    extranonce2: rand() < 0.2 ? en2.toUpperCase() : en2,
    ntime: hex(randomBytes(rand, 4)),
    nonce: hex(randomBytes(rand, 4)),
  };
  const rolling = randInt(rand, 0, 3);
  if (rolling >= 1) share.versionMask = rand() < 0.5 ? 0x1fffe000 : randInt(rand, 0, 0xffffffff);
  if (rolling >= 2) share.versionBits = randInt(rand, 0, 0xffffffff).toString(16).padStart(rand() < 0.8 ? 8 : 1, '0');
  if (rolling === 3 && rand() < 0.3) delete share.versionMask; // bits without a mask: ignored
  return share;
}

describe('ShareAuditor against evaluateShare on seeded random jobs', () => {
  const seed = testSeed();

  it('matches difficulty and block flag bit for bit over 600 jobs x 5 shares (branch 0-12, coinbase parts across block edges, rolling on/off)', () => {
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      // One auditor for everything: its scratch is reused and grows, as in the proxy.
      const auditor = new ShareAuditor();
      let blocks = 0;
      for (let j = 0; j < 600; j++) {
        const job = randomJob(rand);
        const en1 = hex(randomBytes(rand, randInt(rand, 0, 8)));
        const en2Size = randInt(rand, 0, 16);
        for (let k = 0; k < 5; k++) {
          const r = expectSame(auditor, job, randomShare(rand, en1, en2Size));
          if ('block' in r && r.block) blocks++;
        }
      }
      // Both outcomes of the block check were exercised.
      expect(blocks).toBeGreaterThan(100);
      expect(blocks).toBeLessThan(3000);
    });
  });

  it('handles a coinbase far larger than its initial scratch, then small ones again', () => {
    withSeed(seed, () => {
      const rand = mulberry32(deriveSeed(seed, 1));
      const auditor = new ShareAuditor();
      for (const size of [10, 5000, 70_000, 3, 1000]) {
        const job = { ...syntheticJob(rand), coinb1: hex(randomBytes(rand, size)), coinb2: hex(randomBytes(rand, size >> 1)) };
        expectSame(auditor, job, randomShare(rand, 'f8002c90', 4));
      }
    });
  });
});

describe('ShareAuditor rejects malformed input exactly as evaluateShare does', () => {
  const rand = mulberry32(7);
  const job: StratumJob = { ...syntheticJob(rand), version: '20000000' };
  const good: ShareInput = { extranonce1: 'f8002c90', extranonce2: '00000001', ntime: job.ntime, nonce: 'deadbeef' };
  const auditor = new ShareAuditor();

  const badShares: [string, Partial<ShareInput>][] = [
    ['an odd-length extranonce2', { extranonce2: '0000001' }],
    ['a non-hex extranonce2', { extranonce2: '0000000g' }],
    ['a non-ASCII extranonce2', { extranonce2: '0000000é' }],
    ['a non-hex extranonce1', { extranonce1: 'xyz0' }],
    ['an odd-length extranonce1', { extranonce1: 'f8002c9' }],
    ['a numeric extranonce1', { extranonce1: 5 as unknown as string }],
    ['a null extranonce2', { extranonce2: null as unknown as string }],
    ['a 7-character ntime', { ntime: '5f5e100' }],
    ['a non-hex ntime', { ntime: '5f5e100z' }],
    ['a signed ntime', { ntime: '-5f5e100' }],
    ['a 10-character nonce', { nonce: 'deadbeef00' }],
    ['an empty nonce', { nonce: '' }],
    ['a nonce with a 0x prefix', { nonce: '0xdeadbe' }],
    ['a numeric nonce', { nonce: 12345 as unknown as string }],
    ['non-hex version bits', { versionBits: 'ghijklmn', versionMask: 0x1fffe000 }],
    ['9-character version bits', { versionBits: '1fffe0000', versionMask: 0x1fffe000 }],
    ['empty version bits', { versionBits: '', versionMask: 0x1fffe000 }],
    ['numeric version bits', { versionBits: 0x2000 as unknown as string, versionMask: 0x1fffe000 }],
    ['a fractional version mask', { versionBits: '1fffe000', versionMask: 1.5 }],
    ['a string version mask', { versionBits: '1fffe000', versionMask: '1fffe000' as unknown as number }],
  ];

  it.each(badShares)('with the same error class and code for %s, and stays correct afterwards', (_name, patch) => {
    const r = expectSame(auditor, job, { ...good, ...patch });
    expect(r).toMatchObject({ error: 'BadShareError', code: 'SRL_ERR_BAD_SHARE' });
    expectSame(auditor, job, good);
  });

  const accepted: [string, Partial<ShareInput>][] = [
    ['short version bits', { versionBits: '2000', versionMask: 0x1fffe000 }],
    ['malformed version bits without a mask', { versionBits: 'zz' }],
    ['a mask beyond 32 bits', { versionBits: 'ffffffff', versionMask: 2 ** 40 + 0x2000 }],
    ['a negative mask', { versionBits: 'ffffffff', versionMask: -8192 }],
    ['empty extranonces', { extranonce1: '', extranonce2: '' }],
    ['uppercase hex', { extranonce1: 'F8002C90', ntime: job.ntime.toUpperCase(), nonce: 'DEADBEEF' }],
  ];

  it.each(accepted)('and accepts what it accepts: %s', (_name, patch) => {
    expect(expectSame(auditor, job, { ...good, ...patch })).toHaveProperty('difficulty');
  });

  const badJobs: [string, Partial<StratumJob>][] = [
    ['an odd-length coinb1', { coinb1: '012' }],
    ['a non-hex coinb2', { coinb2: 'zz' }],
    ['a short prevhash', { prevhash: '00'.repeat(31) }],
    ['a malformed branch entry', { merkleBranch: ['zz'] }],
    ['a branch that is not an array', { merkleBranch: 'ab' as unknown as string[] }],
    ['a non-hex version', { version: 'version!' }],
    ['negative nbits', { nbits: '04923456' }],
  ];

  it.each(badJobs)('with SRL_ERR_BAD_JOB for a job with %s, even when the share is malformed too', (_name, patch) => {
    const bad = { ...job, ...patch };
    expect(expectSame(auditor, bad, good)).toMatchObject({ error: 'BadJobError', code: 'SRL_ERR_BAD_JOB' });
    expect(expectSame(auditor, bad, { ...good, nonce: 'x' })).toMatchObject({ code: 'SRL_ERR_BAD_JOB' });
  });

  it('notices a job object changed after it was first audited', () => {
    const mutable: StratumJob = { ...job, merkleBranch: [...job.merkleBranch] };
    const before = expectSame(auditor, mutable, good);
    mutable.coinb1 = '00'.repeat(70);
    mutable.merkleBranch.push('11'.repeat(32));
    const after = expectSame(auditor, mutable, good);
    expect(after).not.toStrictEqual(before);
  });
});
