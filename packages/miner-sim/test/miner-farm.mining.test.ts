import { evaluateShare, hashDifficulty } from '@stratum-relay/work';
import { MinerFarm, type ShareEvent } from '@stratum-relay/miner-sim';
import { ScriptedPool } from './helpers/scripted-pool';
import { waitFor } from './helpers/wait-for';

describe('miners mining against a scripted pool', () => {
  let pool: ScriptedPool;
  let farm: MinerFarm | null = null;

  beforeEach(async () => {
    pool = new ScriptedPool({ difficulty: 1e-6 });
    await pool.listen();
  });
  afterEach(async () => {
    await farm?.stop();
    farm = null;
    await pool.close();
  });

  it('finds real sha256d shares at a tiny difficulty that the pool accepts with evaluateShare', async () => {
    farm = new MinerFarm({ url: pool.url, miners: 3, user: 'rig', hashrate: 200_000, shares: 12 });
    const events: ShareEvent[] = [];
    farm.events.on('share', (e: ShareEvent) => events.push(e));
    await farm.start();
    await farm.whenDone();
    const s = await farm.stop();
    farm = null;

    expect(s.accepted).toBeGreaterThanOrEqual(12);
    expect(s.rejected).toBe(0);
    expect(s.acceptRatio).toBe(1);
    expect(s.hashes).toBeGreaterThan(0);
    expect(s.latencyMs?.samples).toBe(s.accepted);
    expect(events.length).toBe(s.accepted + s.rejected);
    expect(events.every((e) => e.accepted && e.reason === null && e.latencyMs >= 0)).toBe(true);
    // Every accepted share really hashes to at least the pool difficulty.
    for (const rec of pool.submits) {
      expect(rec.accepted).toBe(true);
      expect(rec.difficulty).toBeGreaterThanOrEqual(1e-6);
    }
    const workers = new Set(pool.submits.map((r) => r.params[0]));
    expect([...workers].every((w) => /^rig\.[1-3]$/.test(String(w)))).toBe(true);
    expect(s.perMiner.map((m) => m.worker)).toEqual(['rig.1', 'rig.2', 'rig.3']);
  });

  it('sends the user agent on subscribe and authorizes as prefix.N with the password', async () => {
    farm = new MinerFarm({ url: `127.0.0.1:${pool.port}`, miners: 2, user: 'w', password: 'secret', hashrate: 1 });
    await farm.start();
    await waitFor('two authorized miners', () => farm!.summary().authorized === 2);
    const subs = pool.conns.flatMap((c) => c.requests.filter((r) => r.method === 'mining.subscribe'));
    expect(subs.map((r) => r.params)).toEqual([['miner-sim/0.1'], ['miner-sim/0.1']]);
    const auths = pool.conns.flatMap((c) => c.requests.filter((r) => r.method === 'mining.authorize')).map((r) => r.params);
    expect(auths.sort()).toEqual([
      ['w.1', 'secret'],
      ['w.2', 'secret'],
    ]);
  });

  it('rolls version bits inside the negotiated mask when version rolling is on', async () => {
    farm = new MinerFarm({ url: pool.url, miners: 1, hashrate: 200_000, shares: 4, versionRolling: true, nonceSpace: 3000 });
    await farm.start();
    await farm.whenDone();
    await farm.stop();
    farm = null;
    expect(pool.conns[0]?.requests[0]?.method).toBe('mining.configure');
    expect(pool.submits.length).toBeGreaterThanOrEqual(4);
    for (const rec of pool.submits) {
      expect(rec.accepted).toBe(true);
      const bits = parseInt(String(rec.params[5]), 16);
      expect(bits).not.toBe(0);
      expect(bits & ~0x1fffe000).toBe(0);
      // Cross-check the pool's verdict independently of it.
      const job = pool.currentJob;
      const r = evaluateShare(job, {
        extranonce1: rec.conn.extranonce1,
        extranonce2: String(rec.params[2]),
        ntime: String(rec.params[3]),
        nonce: String(rec.params[4]),
        versionBits: String(rec.params[5]),
        versionMask: 0x1fffe000,
      });
      expect(hashDifficulty(r.hash)).toBeGreaterThanOrEqual(1e-6);
    }
  });
});
