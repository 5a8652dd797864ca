import { useFixture } from './helpers/fixture';
import { findNonce } from './helpers/stratum-test-client';

describe('pool-sim vardiff', () => {
  const fx = useFixture();

  it('raises the difficulty of a session that submits far faster than the target interval', async () => {
    const d = 0.000001;
    const { pool, port } = await fx.pool({
      difficulty: d,
      vardiff: true,
      targetShareIntervalMs: 60_000,
      vardiffRetargetMs: 60_000,
    });
    const c = await fx.client(port);
    const h = await c.handshake('hank');
    // 8 shares (the early-retarget count) in well under a minute: 4x up, the step cap.
    for (let i = 0; i < 8; i++) {
      const en2 = i.toString(16).padStart(8, '0');
      const res = await c.request('mining.submit', ['hank', h.job.jobId, en2, h.job.ntime, findNonce(h.job, h.extranonce1, en2, d)], i);
      expect(res.result).toBe(true);
    }
    const setDiff = await c.nextNotification('mining.set_difficulty');
    expect(setDiff.params).toEqual([d * 4]);
    expect(pool.stats().workers.hank?.accepted).toBe(8);
  });

  it('leaves the difficulty alone when vardiff is off (the default)', async () => {
    const d = 0.000001;
    const { port } = await fx.pool({ difficulty: d });
    const c = await fx.client(port);
    const h = await c.handshake('ivy');
    for (let i = 0; i < 10; i++) {
      const en2 = i.toString(16).padStart(8, '0');
      await c.request('mining.submit', ['ivy', h.job.jobId, en2, h.job.ntime, findNonce(h.job, h.extranonce1, en2, d)], i);
    }
    expect(c.messages.filter((m) => m.method === 'mining.set_difficulty')).toHaveLength(1);
  });
});
