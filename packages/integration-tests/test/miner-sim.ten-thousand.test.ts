/**
 * miner-sim's upper bound: 10,000 concurrent miners from one process, against pool-sim in a
 * child process (10,000 descriptors each side; the cap is 20,000 per process). Not through the
 * proxy: 10,000 miners need 20,000 descriptors there, exactly the cap, so the proxy's own
 * many-miners test stays at 2,000.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import type { PoolStats } from '@stratum-relay/pool-sim';
import { startPoolSimProcess, waitFor, type PoolSimProcess } from '../src';

const MINERS = 10_000;

describe('miner-sim: 10,000 concurrent miners from one process', () => {
  let pool: PoolSimProcess | undefined;
  let farm: MinerFarm | undefined;

  beforeAll(async () => {
    pool = await startPoolSimProcess(['--profile', 'easy', '--difficulty', '0.000001', '--job-interval', '0', '--seed', '10']);
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await pool?.stop();
  }, 90_000);

  it('connects and authorizes every miner, then lets every one go', async () => {
    const ps = pool as PoolSimProcess;
    farm = new MinerFarm({
      url: `stratum+tcp://127.0.0.1:${ps.port}`,
      miners: MINERS,
      user: 'swarm',
      // Idle connections, as most of a 10,000-miner farm would be on one core (documented).
      hashrate: 1,
      rampUp: 2_500,
      seed: 10,
      durationMs: 120_000,
      connectTimeoutMs: 30_000,
      stopGraceMs: 20_000,
    });
    await farm.start();
    await waitFor(() => farm !== undefined && farm.summary().authorized === MINERS, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `all ${MINERS} miners to be connected and authorized`,
      context: () => JSON.stringify(farm?.progress()),
    });
    expect((await ps.stats<PoolStats>()).sessions.open).toBe(MINERS);

    const summary = await farm.stop();
    expect(summary.connects).toBe(MINERS);
    expect(summary.connectFailures).toBe(0);
    await waitFor(async () => (await ps.stats<PoolStats>()).sessions.open === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'pool-sim to see every miner leave',
    });
    expect((await ps.stats<PoolStats>()).sessions.total).toBe(MINERS);
  }, 150_000);
});
