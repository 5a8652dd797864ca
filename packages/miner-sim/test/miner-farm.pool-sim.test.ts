import { PoolSim } from '@stratum-relay/pool-sim';
import { MinerFarm } from '@stratum-relay/miner-sim';
import { waitFor } from './helpers/wait-for';

describe('miners against the real pool-sim', () => {
  let pool: PoolSim;
  let farm: MinerFarm | null = null;
  afterEach(async () => {
    await farm?.stop();
    farm = null;
    await pool.close();
  });

  it('agrees with pool-sim share for share, faults included', async () => {
    pool = new PoolSim({ profile: 'easy', difficulty: 0.00001 });
    const { port } = await pool.listen();
    farm = new MinerFarm({
      url: `stratum+tcp://127.0.0.1:${port}`,
      miners: 2,
      hashrate: 500_000,
      versionRolling: true,
      faults: [{ mode: 'stale', count: 1 }, { mode: 'invalid_nonce', count: 1 }],
      durationMs: 60_000,
    });
    await farm.start();
    // Stop on what happened, not on a share count: with a fixed total, one miner can find most
    // shares before the other reaches its second (faulty) one.
    const active = farm;
    await waitFor('both miners to send their stale and invalid shares, and good ones', () => {
      const now = active.summary();
      return now.rejectedByReason.stale === 2 && now.rejectedByReason.low_difficulty === 2 && now.accepted >= 6;
    }, 40_000);
    const s = await farm.stop();
    farm = null;
    await waitFor('pool-sim counted every answered share', () => {
      const t = pool.stats().totals;
      return t.accepted + Object.values(t.rejected).reduce((a, b) => a + b, 0) >= s.accepted + s.rejected;
    });
    const t = pool.stats().totals;
    expect(s.accepted).toBeGreaterThanOrEqual(6);
    expect(t.accepted).toBe(s.accepted);
    expect(s.rejectedByReason.stale).toBe(2); // one per miner
    expect(s.rejectedByReason.low_difficulty).toBe(2);
    expect(t.rejected.stale).toBe(2);
    expect(t.rejected.low_difficulty).toBe(2);
  });
});
