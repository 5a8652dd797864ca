import { MinerFarm } from '@stratum-relay/miner-sim';
import { ScriptedPool } from './helpers/scripted-pool';
import { waitFor } from './helpers/wait-for';

describe('connection lifecycle', () => {
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

  it('reconnects, re-authorizes and mines again after the pool drops the connection', async () => {
    farm = new MinerFarm({ url: pool.url, miners: 2, hashrate: 500_000, backoffBaseMs: 20 });
    const events: string[] = [];
    farm.events.on('connected', (e: { worker: string }) => events.push(`+${e.worker}`));
    farm.events.on('disconnected', (e: { worker: string }) => events.push(`-${e.worker}`));
    await farm.start();
    await waitFor('shares from both miners', () => new Set(pool.submits.map((s) => s.conn)).size === 2);
    pool.dropAll();
    await waitFor('shares on new connections', () => pool.submits.some((s) => s.conn.index > 2 && s.accepted));
    const s = farm.summary();
    expect(s.disconnects).toBe(2);
    expect(s.connects).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.startsWith('-')).sort()).toEqual(['-sim.1', '-sim.2']);
  });

  it('backs off exponentially while the pool is down and comes back when it listens again', async () => {
    const port = pool.port;
    farm = new MinerFarm({ url: pool.url, miners: 1, hashrate: 500_000, backoffBaseMs: 50, backoffMaxMs: 400 });
    await farm.start();
    await waitFor('an accepted share', () => pool.submits.some((s) => s.accepted));
    const closed = pool.stopListening();
    const downAt = Date.now();
    pool.dropAll();
    await closed;
    await waitFor('three refused attempts', () => farm!.summary().connectFailures >= 3);
    // Delays are at least half of 50, 100, 200 ms: the third failure cannot come sooner.
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(170);
    pool = new ScriptedPool({ difficulty: 1e-6 });
    await pool.listen(port);
    await waitFor('an accepted share after the restart', () => pool.submits.some((s) => s.accepted));
    expect(farm.summary().connects).toBe(2);
  });

  it('counts a submit without answer as a timeout', async () => {
    await pool.close();
    pool = new ScriptedPool({ difficulty: 1e-6, answerSubmits: false });
    await pool.listen();
    farm = new MinerFarm({ url: pool.url, miners: 1, hashrate: 500_000, submitTimeoutMs: 200, shares: 2 });
    await farm.start();
    await waitFor('two timeouts', () => farm!.summary().timeouts >= 2);
    const s = await farm.stop();
    farm = null;
    expect(s.accepted).toBe(0);
    expect(s.acceptRatio).toBe(0);
    expect(s.latencyMs).toBeNull();
  });

  it('counts submits lost with their connection as unanswered, and stops reconnecting on stop', async () => {
    await pool.close();
    pool = new ScriptedPool({ difficulty: 1e-6, answerSubmits: false });
    await pool.listen();
    farm = new MinerFarm({ url: pool.url, miners: 1, hashrate: 500_000 });
    await farm.start();
    await waitFor('a submit', () => pool.submits.length > 0);
    const s = await farm.stop();
    farm = null;
    expect(s.unanswered).toBeGreaterThanOrEqual(1);
    expect(s.timeouts).toBe(0);
    expect(s.connected).toBe(0);
    await waitFor('the pool sees the close', () => pool.openConns.length === 0);
    expect(pool.conns.length).toBe(1);
  });

  it('keeps mining with a failed authorization counted, not crashing', async () => {
    farm = new MinerFarm({ url: pool.url, miners: 1, password: 'bad', hashrate: 500_000 });
    await farm.start();
    await waitFor('the authorize failure', () => farm!.summary().authorizeFailures === 1);
    expect(farm.summary().authorized).toBe(0);
    expect(pool.submits).toEqual([]);
  });
});
