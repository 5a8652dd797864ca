import { MinerFarm, parseFaultSpec, type MinerFarmOptions, type ShareEvent } from '@stratum-relay/miner-sim';
import { ScriptedPool } from './helpers/scripted-pool';
import { waitFor } from './helpers/wait-for';

describe('fault injection', () => {
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

  function start(fault: string, extra: Partial<MinerFarmOptions> = {}): Promise<void> {
    farm = new MinerFarm({ url: pool.url, miners: 1, hashrate: 1_000_000, backoffBaseMs: 20, faults: [parseFaultSpec(fault)], ...extra });
    return farm.start();
  }

  it('invalid_nonce submits a nonce below the target that the pool rejects as low difficulty', async () => {
    await start('invalid_nonce:1.0', { shares: 4 });
    await farm!.whenDone();
    const s = await farm!.stop();
    farm = null;
    expect(s.rejectedByReason.low_difficulty).toBeGreaterThanOrEqual(4);
    expect(s.accepted).toBe(0);
    expect(s.faults.invalid_nonce).toBe(s.submitted);
    expect(pool.submits.every((r) => r.code === 23 && r.difficulty! < 1e-6)).toBe(true);
  });

  it('stale submits a job id the pool does not know, for the first N shares only', async () => {
    await start('stale:2', { shares: 5 });
    await farm!.whenDone();
    const s = await farm!.stop();
    farm = null;
    expect(s.rejectedByReason.stale).toBe(2);
    expect(s.accepted).toBeGreaterThanOrEqual(3);
    expect(pool.submits.slice(0, 2).map((r) => r.code)).toEqual([21, 21]);
    expect(s.faults.stale).toBe(2);
  });

  it('duplicate resubmits an accepted share, which the pool rejects as duplicate', async () => {
    const events: ShareEvent[] = [];
    // No shares limit: shares come in bursts and could use it all before the duplicate's turn.
    await start('duplicate:1');
    farm!.events.on('share', (e: ShareEvent) => events.push(e));
    await waitFor('the duplicate rejection', () => events.some((e) => !e.accepted));
    const s = await farm!.stop();
    farm = null;
    expect(s.rejectedByReason.duplicate).toBe(1);
    expect(s.faults.duplicate).toBe(1);
    expect(events.filter((e) => !e.accepted).map((e) => e.reason)).toEqual(['duplicate']);
    const dup = pool.submits.find((r) => r.code === 22)!;
    expect(pool.submits.filter((r) => JSON.stringify(r.params) === JSON.stringify(dup.params))).toHaveLength(2);
  });

  it('malformed sends a non-JSON line and keeps mining through the pool error', async () => {
    await start('malformed:1', { shares: 3 });
    await farm!.whenDone();
    const s = await farm!.stop();
    farm = null;
    expect(pool.conns[0]!.malformed).toBe(1);
    expect(s.faults.malformed).toBe(1);
    expect(s.accepted).toBeGreaterThanOrEqual(3);
    expect(s.disconnects).toBe(1); // only the final stop
  });

  it('oversized sends a 128 KiB line; the pool drops the connection and the miner reconnects', async () => {
    await start('oversized:1');
    await waitFor('a share on a second connection', () => pool.submits.some((r) => r.conn.index === 2 && r.accepted));
    const s = farm!.summary();
    expect(pool.conns[0]!.oversized).toBe(1);
    expect(s.faults.oversized).toBe(1);
    expect(s.connects).toBe(2);
  });

  it('slow_reader stops reading for a while, so the answer arrives late', async () => {
    const events: ShareEvent[] = [];
    await start('slow_reader:1', { slowReaderMs: 500, shares: 3 });
    farm!.events.on('share', (e: ShareEvent) => events.push(e));
    await farm!.whenDone();
    const s = await farm!.stop();
    farm = null;
    expect(s.faults.slow_reader).toBe(1);
    expect(s.latencyMs!.max).toBeGreaterThanOrEqual(450);
    expect(events.every((e) => e.accepted)).toBe(true);
  });

  it('disconnect destroys the socket instead of submitting, then reconnects with backoff', async () => {
    await start('disconnect:1');
    await waitFor('an accepted share after reconnecting', () => pool.submits.some((r) => r.accepted));
    const s = farm!.summary();
    expect(s.faults.disconnect).toBe(1);
    expect(s.connects).toBe(2);
    expect(s.disconnects).toBe(1);
    expect(pool.conns[0]!.closed).toBe(true);
    expect(pool.submits.every((r) => r.conn.index === 2)).toBe(true);
  });
});
