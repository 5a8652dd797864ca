import type { ChaosOptions, PoolStats, ShareEvent } from '../src';
import { ChaosPlanner } from '../src/chaos-planner';
import { useFixture } from './helpers/fixture';
import { findNonce, type StratumTestClient } from './helpers/stratum-test-client';

const D = 0.000001;
/** Submit ids start here so handshake answers (ids 1, 2) are never counted as share answers. */
const SUBMIT_ID0 = 1000;
const HEAVY: ChaosOptions = {
  dropProbability: 0.15,
  delayProbability: 0.3,
  delayMinMs: 1,
  delayMaxMs: 20,
  disconnectProbability: 0.1,
  malformedProbability: 0.2,
  reconnectProbability: 0.1,
};

interface RunResult {
  verdicts: string[];
  stats: PoolStats;
  answersSeen: { accepted: number; rejected: number };
}

describe('pool-sim chaos profile', () => {
  const fx = useFixture();

  /** One scripted miner, one submit at a time; reconnects when the pool resets it. */
  async function run(seed: number, submits: number): Promise<RunResult> {
    const { pool, port } = await fx.pool({ profile: 'chaos', seed, difficulty: D, chaos: HEAVY, jobIntervalMs: 0, tipIntervalMs: 0 });
    const verdicts: string[] = [];
    const answersSeen = { accepted: 0, rejected: 0 };
    const count = (cl: StratumTestClient): void => {
      for (const m of cl.messages) {
        if (typeof m.id !== 'number' || m.id < SUBMIT_ID0) continue;
        if (m.result === true) answersSeen.accepted++;
        else if (m.result === false) answersSeen.rejected++;
      }
    };
    let c = await fx.client(port);
    let h = await c.handshake('eve');
    for (let i = 0; i < submits; i++) {
      const en2 = i.toString(16).padStart(8, '0');
      const nonce = findNonce(h.job, h.extranonce1, en2, D, { wantFail: i % 3 === 2 });
      const judged = new Promise<ShareEvent>((resolve) => pool.events.once('share', resolve));
      const id = SUBMIT_ID0 + i;
      c.send({ id, method: 'mining.submit', params: ['eve', h.job.jobId, en2, h.job.ntime, nonce] });
      const e = await judged;
      verdicts.push(`${e.sessionId}:${e.verdict}`);
      if (e.verdict !== 'dropped') {
        await c.next((m) => m.id === id);
        continue;
      }
      // Dropped or reset: a round trip tells which; on a reset, the next submit goes on a new session.
      try {
        await c.request('mining.extranonce.subscribe', [], 'ping');
      } catch {
        count(c);
        c = await fx.client(port);
        h = await c.handshake('eve');
      }
    }
    count(c);
    return { verdicts, stats: pool.stats(), answersSeen };
  }

  it('injects the same faults for the same seed and script, and counts exactly what was sent', async () => {
    const a = await run(42, 40);
    const b = await run(42, 40);
    expect(b.verdicts).toEqual(a.verdicts);
    expect(b.stats.totals).toEqual(a.stats.totals);
    // Every kind of outcome shows up with these probabilities over 40 shares.
    expect(a.stats.totals.dropped).toBeGreaterThan(0);
    expect(a.stats.sessions.total).toBeGreaterThan(1);
    const t = a.stats.totals;
    expect(t.accepted + t.rejected.low_difficulty + t.dropped).toBe(40);
    expect(a.stats.workers.eve).toEqual(t);
    expect(a.verdicts.filter((v) => v.endsWith(':dropped')).length).toBe(t.dropped);
    // The ground truth is what went on the wire: exactly the answers the miner received.
    expect(a.answersSeen).toEqual({ accepted: t.accepted, rejected: t.rejected.low_difficulty });
  });

  it('draws different faults for a different seed', async () => {
    const a = await run(1, 30);
    const b = await run(2, 30);
    expect(b.verdicts).not.toEqual(a.verdicts);
  });

  it('counts an answer that is dropped as dropped and never sends it', async () => {
    const { pool, port } = await fx.pool({
      difficulty: D,
      chaos: { ...HEAVY, dropProbability: 1, disconnectProbability: 0, malformedProbability: 0 },
    });
    const c = await fx.client(port);
    const h = await c.handshake('frank');
    const nonce = findNonce(h.job, h.extranonce1, '00000001', D);
    const judged = new Promise<ShareEvent>((resolve) => pool.events.once('share', resolve));
    c.send({ id: 50, method: 'mining.submit', params: ['frank', h.job.jobId, '00000001', h.job.ntime, nonce] });
    expect(await judged).toMatchObject({ verdict: 'dropped', judged: 'accepted' });
    const ping = await c.request('mining.extranonce.subscribe', [], 51);
    expect(ping.id).toBe(51);
    expect(c.messages.some((m) => m.id === 50)).toBe(false);
    expect(pool.stats().workers.frank).toMatchObject({ accepted: 0, dropped: 1 });
  });

  it('counts an answer still delayed when the session closes as dropped', async () => {
    const { pool, port } = await fx.pool({
      difficulty: D,
      chaos: { ...HEAVY, dropProbability: 0, disconnectProbability: 0, delayProbability: 1, delayMinMs: 60_000, delayMaxMs: 60_000 },
    });
    const c = await fx.client(port);
    const h = await c.handshake('gina');
    const nonce = findNonce(h.job, h.extranonce1, '00000001', D);
    c.send({ id: 1, method: 'mining.submit', params: ['gina', h.job.jobId, '00000001', h.job.ntime, nonce] });
    await c.request('mining.extranonce.subscribe', [], 2);
    const judged = new Promise<ShareEvent>((resolve) => pool.events.once('share', resolve));
    await pool.close();
    expect(await judged).toMatchObject({ verdict: 'dropped' });
    expect(pool.stats().workers.gina?.dropped).toBe(1);
  });

  describe('ChaosPlanner', () => {
    it('never faults with all probabilities at zero', () => {
      const zero: ChaosOptions = { ...HEAVY, dropProbability: 0, delayProbability: 0, disconnectProbability: 0, malformedProbability: 0, reconnectProbability: 0 };
      const p = new ChaosPlanner(zero, 7, 0);
      for (let i = 0; i < 1000; i++) {
        const plan = p.planAnswer();
        if (plan.action !== 'send' || plan.delayMs !== 0 || plan.malformedBefore || plan.reconnectAfter) throw new Error(`fault at ${i}`);
      }
      expect(p.planAnswer().action).toBe('send');
    });

    it('hits each probability roughly over many draws (seeded)', () => {
      const seed = 99;
      const p = new ChaosPlanner(HEAVY, seed, 3);
      const n = 20_000;
      let drop = 0;
      let disconnect = 0;
      for (let i = 0; i < n; i++) {
        const a = p.planAnswer().action;
        if (a === 'drop') drop++;
        if (a === 'disconnect') disconnect++;
      }
      if (Math.abs(drop / n - HEAVY.dropProbability) > 0.02 || Math.abs(disconnect / n - HEAVY.disconnectProbability) > 0.02) {
        throw new Error(`rates off for seed ${seed}: drop ${drop / n}, disconnect ${disconnect / n}`);
      }
      expect(drop).toBeGreaterThan(0);
    });
  });
});
