import { difficultyToTarget, evaluateShare } from '@stratum-relay/work';
import { ShareSearch } from '@stratum-relay/miner-sim';
import { makeJob } from './helpers/scripted-pool';

describe('ShareSearch', () => {
  const job = makeJob(8);
  const extranonce1 = 'aabbccdd';

  it('finds shares that evaluateShare confirms meet the difficulty', () => {
    const d = 1e-6;
    const search = new ShareSearch({ job, extranonce1, extranonce2Size: 4, target: difficultyToTarget(d) });
    let found = 0;
    let hashes = 0;
    while (found < 5 && hashes < 5_000_000) {
      const r = search.scan(10_000);
      hashes += r.hashes;
      if (r.share === null) continue;
      found++;
      const ev = evaluateShare(job, { extranonce1, extranonce2: r.share.extranonce2, ntime: r.share.ntime, nonce: r.share.nonce });
      expect(ev.difficulty).toBeGreaterThanOrEqual(d);
      expect(ev.hash.equals(r.share.hash)).toBe(true);
      expect(r.share.versionBits).toBeUndefined();
    }
    expect(found).toBe(5);
  });

  it('stops at the hash budget when nothing is found', () => {
    const search = new ShareSearch({ job, extranonce1, extranonce2Size: 4, target: difficultyToTarget(1e9) });
    expect(search.scan(1000)).toEqual({ hashes: 1000, share: null });
  });

  it('moves to the next extranonce2 when the nonce space is exhausted', () => {
    const search = new ShareSearch({ job, extranonce1, extranonce2Size: 2, target: difficultyToTarget(1e9), nonceSpace: 100 });
    expect(search.currentExtranonce2).toBe('0000');
    search.scan(250);
    expect(search.currentExtranonce2).toBe('0002');
  });

  it('reports exhaustion when every extranonce2 was searched', () => {
    const search = new ShareSearch({ job, extranonce1, extranonce2Size: 1, target: difficultyToTarget(1e9), nonceSpace: 2 });
    const r = search.scan(10_000);
    expect(r.hashes).toBe(512);
    expect(search.exhausted).toBe(true);
    expect(search.scan(10).hashes).toBe(0);
  });

  it('builds an invalid variant that misses the target', () => {
    const d = 1e-6;
    const search = new ShareSearch({ job, extranonce1, extranonce2Size: 4, target: difficultyToTarget(d) });
    let share = null;
    for (let i = 0; i < 1000 && share === null; i++) share = search.scan(10_000).share;
    expect(share).not.toBeNull();
    const bad = search.invalidVariant(share!);
    expect(bad.nonce).not.toBe(share!.nonce);
    const ev = evaluateShare(job, { extranonce1, extranonce2: bad.extranonce2, ntime: bad.ntime, nonce: bad.nonce });
    expect(ev.difficulty).toBeLessThan(d);
  });

  it('rolls only the masked version bits and the pool verifies them', () => {
    const mask = 0x1fffe000;
    const d = 1e-6;
    const search = new ShareSearch({ job, extranonce1, extranonce2Size: 4, target: difficultyToTarget(d), versionMask: mask, nonceSpace: 1000 });
    let share = null;
    for (let i = 0; i < 1000 && share === null; i++) share = search.scan(10_000).share;
    const bits = parseInt(share!.versionBits!, 16);
    expect(bits).not.toBe(0);
    expect(bits & ~mask).toBe(0);
    const ev = evaluateShare(job, { extranonce1, extranonce2: share!.extranonce2, ntime: share!.ntime, nonce: share!.nonce, versionBits: share!.versionBits!, versionMask: mask });
    expect(ev.difficulty).toBeGreaterThanOrEqual(d);
  });
});
