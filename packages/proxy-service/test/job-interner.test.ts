import type { StratumJob } from '@stratum-relay/work';
import { JobInterner } from '../src/job-interner';

function job(over: Partial<StratumJob> = {}): StratumJob {
  return {
    jobId: '1f',
    prevhash: 'ab'.repeat(32),
    coinb1: '01000000',
    coinb2: 'ffffffff',
    merkleBranch: ['11'.repeat(32), '22'.repeat(32)],
    version: '20000000',
    nbits: '1703a30c',
    ntime: '6553f2a1',
    cleanJobs: true,
    ...over,
  };
}

describe('JobInterner', () => {
  it('hands every connection the first object of an equal job', () => {
    const interner = new JobInterner();
    const first = job();
    expect(interner.intern(first)).toBe(first);
    expect(interner.intern(job())).toBe(first);
    expect(interner.intern(job({ merkleBranch: ['11'.repeat(32), '22'.repeat(32)] }))).toBe(first);
    expect(interner.size).toBe(1);
  });

  it('keeps jobs apart when any field differs (a pool may re-send an id with new contents)', () => {
    const interner = new JobInterner();
    const base = interner.intern(job());
    const variants: Partial<StratumJob>[] = [
      { jobId: '20' },
      { prevhash: 'cd'.repeat(32) },
      { coinb1: '02000000' },
      { coinb2: 'fffffffe' },
      { merkleBranch: ['11'.repeat(32)] },
      { merkleBranch: ['22'.repeat(32), '11'.repeat(32)] },
      { version: '20000001' },
      { nbits: '1703a30d' },
      { ntime: '6553f2a2' },
      { cleanJobs: false },
    ];
    for (const v of variants) {
      const j = job(v);
      expect(interner.intern(j)).toBe(j);
      expect(interner.intern(job(v))).toBe(j);
      expect(j).not.toBe(base);
    }
    expect(interner.size).toBe(1 + variants.length);
  });

  it('cannot be fooled by a job id holding separators', () => {
    const interner = new JobInterner();
    const a = job({ jobId: `x\n${'ab'.repeat(32)}`, prevhash: 'cd'.repeat(32) });
    const b = job({ jobId: 'x', prevhash: 'ab'.repeat(32) });
    expect(interner.intern(a)).toBe(a);
    expect(interner.intern(b)).toBe(b);
  });

  it('is bounded: the oldest job is forgotten first, and an equal job after that is a new object', () => {
    const interner = new JobInterner(3);
    const jobs = ['a', 'b', 'c', 'd'].map((id) => interner.intern(job({ jobId: id })));
    expect(interner.size).toBe(3);
    expect(interner.intern(job({ jobId: 'd' }))).toBe(jobs[3]);
    expect(interner.intern(job({ jobId: 'b' }))).toBe(jobs[1]);
    const again = job({ jobId: 'a' });
    expect(interner.intern(again)).toBe(again);
    expect(interner.size).toBe(3);
  });
});
