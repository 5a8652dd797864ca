import { MinerFarm, type IdStyle } from '@stratum-relay/miner-sim';
import { ScriptedPool } from './helpers/scripted-pool';

describe.each<[IdStyle, (ids: unknown[]) => void]>([
  [
    'increment',
    (ids) => {
      expect(ids.every((id) => typeof id === 'number')).toBe(true);
      expect(ids).toEqual([...ids].sort((a, b) => (a as number) - (b as number)));
      expect(new Set(ids).size).toBe(ids.length);
    },
  ],
  ['reuse', (ids) => expect(new Set(ids)).toEqual(new Set([4]))],
  [
    'string',
    (ids) => {
      expect(ids.every((id) => typeof id === 'string' && /^[0-9]+$/.test(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    },
  ],
])('request ids in %s style', (idStyle, checkIds) => {
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

  it('carry the style on every request and still match every answer', async () => {
    farm = new MinerFarm({ url: pool.url, miners: 1, hashrate: 1_000_000, idStyle, versionRolling: true, shares: 4 });
    await farm.start();
    await farm.whenDone();
    const s = await farm.stop();
    farm = null;
    const ids = pool.conns[0]!.requests.map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(7); // configure, subscribe, authorize, 4 submits
    checkIds(ids);
    expect(s.accepted).toBeGreaterThanOrEqual(4);
    expect(s.authorized + s.authorizeFailures).toBe(0); // stopped: no session left, none failed
  });
});
