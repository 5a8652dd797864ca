import * as net from 'node:net';
import { PoolSim } from '@stratum-relay/pool-sim';
import { MinerFarm, type MinerFarmOptions } from '@stratum-relay/miner-sim';
import { waitFor } from './helpers/wait-for';

/** Reconnecting like ASICs: after a pool drop, a refused or hung connect, a handshake timeout. */
describe('reconnecting after pool failures', () => {
  const pools: PoolSim[] = [];
  const servers: net.Server[] = [];
  let farm: MinerFarm | null = null;

  afterEach(async () => {
    await farm?.stop();
    farm = null;
    await Promise.all(pools.splice(0).map((p) => p.close()));
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function startPool(opts: ConstructorParameters<typeof PoolSim>[0] = {}, port = 0): Promise<{ pool: PoolSim; url: string }> {
    const pool = new PoolSim({ jobIntervalMs: 0, difficulty: 0.00001, ...opts, port });
    pools.push(pool);
    const addr = await pool.listen();
    return { pool, url: `stratum+tcp://127.0.0.1:${addr.port}` };
  }

  function startFarm(opts: Partial<MinerFarmOptions>): MinerFarm {
    farm = new MinerFarm({ hashrate: 500_000, backoffBaseMs: 20, ...opts });
    return farm;
  }

  const acceptedBy = (f: MinerFarm): number[] => f.summary().perMiner.map((m) => m.accepted);

  it('reconnects every miner after pool-sim kills all sessions, mines again, and reports the pool prefix per miner', async () => {
    const { pool, url } = await startPool({ extranonce1Prefix: 'a1', name: 'primary' });
    const f = startFarm({ url, miners: 3 });
    await f.start();
    await waitFor('an accepted share from every miner', () => acceptedBy(f).every((n) => n > 0));
    const before = f.extranonce1s();
    expect([...before.keys()]).toEqual(['sim.1', 'sim.2', 'sim.3']);
    for (const en1 of before.values()) expect(en1).toMatch(/^a1[0-9a-f]{6}$/);
    const acceptedBefore = acceptedBy(f);

    expect(pool.killSessions()).toBe(3);
    await waitFor('every miner to mine again on a new session', () => {
      const s = f.summary();
      return s.perMiner.every((m, i) => m.reconnects === 1 && m.authorized && m.accepted > (acceptedBefore[i] as number));
    });
    const s = f.summary();
    expect(s.disconnects).toBe(3);
    expect(s.reconnects).toBe(3);
    for (const m of s.perMiner) {
      expect(m).toEqual(expect.objectContaining({ connects: 2, reconnects: 1, connected: true }));
      // A new session has a new extranonce1, from the same pool.
      expect(m.extranonce1).toMatch(/^a1[0-9a-f]{6}$/);
      expect(m.extranonce1).not.toBe(before.get(m.worker));
    }
    expect(pool.stats().sessions).toEqual({ open: 3, total: 6 });
  });

  it('shows through extranonce1s() that every miner ended on the backup pool that took over the port', async () => {
    const { pool: primary, url } = await startPool({ extranonce1Prefix: 'a1' });
    const port = Number(url.split(':').pop());
    const f = startFarm({ url, miners: 4, backoffMaxMs: 200 });
    await f.start();
    await waitFor('every miner on the primary', () => [...f.extranonce1s().values()].every((e) => e?.startsWith('a1') === true));

    await primary.close();
    await waitFor('refused connects while no pool listens', () => f.summary().connectFailures >= 4);
    // Kept while disconnected: the miners last were on the primary.
    expect([...f.extranonce1s().values()].every((e) => e?.startsWith('a1') === true)).toBe(true);
    const { pool: backup } = await startPool({ extranonce1Prefix: 'b2' }, port);
    await waitFor('every miner on the backup', () => [...f.extranonce1s().values()].every((e) => e?.startsWith('b2') === true));
    await waitFor('accepted shares on the backup', () => backup.stats().totals.accepted >= 4);
    const s = await f.stop();
    farm = null;
    // Where each miner ended stays in the final summary.
    for (const m of s.perMiner) expect(m.extranonce1).toMatch(/^b2/);
  });

  it('drops a connection whose handshake goes unanswered, retries with backoff, and starts over from the base once a handshake completes', async () => {
    const { pool, url } = await startPool({ extranonce1Prefix: 'c3' });
    pool.setBlackhole(true);
    const f = startFarm({ url, miners: 1, handshakeTimeoutMs: 200, backoffBaseMs: 100, backoffMaxMs: 10_000 });
    const connectedAt: number[] = [];
    f.events.on('connected', () => connectedAt.push(Date.now()));
    await f.start();
    await waitFor('five handshake timeouts', () => f.summary().handshakeTimeouts >= 5);
    // Every attempt was a TCP connection the blackholed pool accepted.
    expect(pool.stats().sessions.total).toBeGreaterThanOrEqual(5);
    expect(f.summary().authorized).toBe(0);

    pool.setBlackhole(false);
    await waitFor('the handshake on a fresh connection', () => f.summary().authorized === 1, 30_000);
    expect(f.extranonce1s().get('sim.1')).toMatch(/^c3/);

    // Reset, the delay is 50-100 ms; without the reset it would be at least 100·2^5 / 2 = 1600 ms.
    const connects = connectedAt.length;
    const killedAt = Date.now();
    pool.killSessions();
    await waitFor('the reconnect', () => connectedAt.length > connects);
    expect((connectedAt[connects] as number) - killedAt).toBeLessThan(1200);
  });

  it('does not reset the backoff on a bare TCP connect: a peer that accepts and closes at once is retried ever more slowly', async () => {
    const acceptedAt: number[] = [];
    const server = net.createServer((socket) => {
      acceptedAt.push(Date.now());
      socket.destroy();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const f = startFarm({ url: `127.0.0.1:${port}`, miners: 1, backoffBaseMs: 50, backoffMaxMs: 10_000 });
    await f.start();
    await waitFor('six connections', () => acceptedAt.length >= 6);
    // Delays of at least half of 50, 100, 200, 400, 800 ms (775 ms, less a few ms of timer rounding);
    // at the base each time it would be at most 250 ms in all.
    expect((acceptedAt[5] as number) - (acceptedAt[0] as number)).toBeGreaterThanOrEqual(760);
    expect(f.summary().connectFailures).toBe(0);
    expect(f.summary().reconnects).toBeGreaterThanOrEqual(5);
  });

  it('gives up a pool that went silent after the handshake when silenceTimeoutMs is set', async () => {
    const { pool, url } = await startPool();
    const f = startFarm({ url, miners: 1, silenceTimeoutMs: 600, shares: 1 });
    await f.start();
    await waitFor('an authorized miner', () => f.summary().authorized === 1);
    await f.whenDone(); // the one share is answered; the miner stops hashing and the pool stays quiet
    await waitFor('the silent connection dropped', () => f.summary().silenceTimeouts >= 1);
    await waitFor('a new session', () => f.summary().reconnects >= 1 && f.summary().authorized === 1);
    expect(pool.stats().sessions.total).toBeGreaterThanOrEqual(2);
  });
});
