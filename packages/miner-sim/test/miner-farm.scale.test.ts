import { MinerFarm } from '@stratum-relay/miner-sim';
import { ScriptedPool } from './helpers/scripted-pool';
import { waitFor } from './helpers/wait-for';

describe('many miners in one process', () => {
  let pool: ScriptedPool;
  let farm: MinerFarm | null = null;
  beforeEach(async () => {
    // Difficulty 1 at 1 kH/s: no shares, this is about connections.
    pool = new ScriptedPool({ difficulty: 1 });
    await pool.listen();
  });
  afterEach(async () => {
    await farm?.stop();
    farm = null;
    await pool.close();
  });

  it('connects 500 miners, authorizes them all, and disconnects them cleanly', async () => {
    farm = new MinerFarm({ url: pool.url, miners: 500, hashrate: 1000, rampUp: 5000 });
    let connected = 0;
    farm.events.on('connected', () => connected++);
    await farm.start();
    await waitFor('500 authorized miners', () => farm!.summary().authorized === 500, 45_000);
    expect(connected).toBe(500);
    expect(pool.openConns.length).toBe(500);
    expect(new Set(pool.conns.flatMap((c) => [...c.authorizedWorkers])).size).toBe(500);

    const s = await farm.stop();
    farm = null;
    expect(s.connected).toBe(0);
    expect(s.connects).toBe(500);
    expect(s.disconnects).toBe(500);
    expect(s.connectFailures).toBe(0);
    await waitFor('the pool sees every close', () => pool.openConns.length === 0, 30_000);
  });
});
