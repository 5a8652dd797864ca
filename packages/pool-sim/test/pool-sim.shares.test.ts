import type { ShareEvent } from '../src';
import { useFixture } from './helpers/fixture';
import { parseNotifyParams } from '@stratum-relay/work';
import { findNonce, findNonceBetween, type StratumTestClient, type WireMessage } from './helpers/stratum-test-client';

const D = 0.00001;

function errorCode(m: { error?: unknown }): number | null {
  return Array.isArray(m.error) ? (m.error[0] as number) : null;
}

describe('pool-sim share judging', () => {
  const fx = useFixture();

  async function ready(opts = {}): Promise<{
    pool: Awaited<ReturnType<typeof fx.pool>>['pool'];
    c: StratumTestClient;
    h: Awaited<ReturnType<StratumTestClient['handshake']>>;
  }> {
    const { pool, port } = await fx.pool({ difficulty: D, ...opts });
    const c = await fx.client(port);
    const h = await c.handshake('alice');
    return { pool, c, h };
  }

  it('accepts a really hashed share that meets the difficulty and credits its difficulty', async () => {
    const { pool, c, h } = await ready();
    const events: ShareEvent[] = [];
    pool.events.on('share', (e: ShareEvent) => events.push(e));
    const nonce = findNonce(h.job, h.extranonce1, '00000001', D);
    const res = await c.request('mining.submit', ['alice', h.job.jobId, '00000001', h.job.ntime, nonce], 5);
    expect(res).toEqual({ id: 5, result: true, error: null });
    const s = pool.stats();
    expect(s.workers.alice?.accepted).toBe(1);
    expect(s.workers.alice?.acceptedDifficulty).toBe(D);
    expect(events).toEqual([
      { sessionId: 0, worker: 'alice', jobId: h.job.jobId, verdict: 'accepted', judged: 'accepted', difficulty: D },
    ]);
  });

  it('rejects a share for a job from before the last clean_jobs as stale (21)', async () => {
    const { pool, c, h } = await ready();
    const nonce = findNonce(h.job, h.extranonce1, '00000001', D);
    pool.advanceTip();
    const notify = await c.nextNotification('mining.notify');
    expect(notify.params?.[8]).toBe(true);
    const res = await c.request('mining.submit', ['alice', h.job.jobId, '00000001', h.job.ntime, nonce], 6);
    expect(errorCode(res)).toBe(21);
    expect(pool.stats().workers.alice?.rejected.stale).toBe(1);
  });

  it('rejects an unknown job id as stale (21)', async () => {
    const { c } = await ready();
    const res = await c.request('mining.submit', ['alice', 'deadbeef', '00000001', '00000000', '00000000'], 6);
    expect(errorCode(res)).toBe(21);
  });

  it('keeps accepting shares on an older job after a non-clean job rotation', async () => {
    const { pool, c, h } = await ready();
    pool.rotateJob();
    const notify = await c.nextNotification('mining.notify');
    expect(notify.params?.[0]).not.toBe(h.job.jobId);
    // The coinbase tag carries the job serial, so the merkle root (and the header) really changes.
    expect(notify.params?.[3]).not.toBe(h.job.coinb2);
    expect(notify.params?.[8]).toBe(false);
    const nonce = findNonce(h.job, h.extranonce1, '000000aa', D);
    const res = await c.request('mining.submit', ['alice', h.job.jobId, '000000aa', h.job.ntime, nonce], 6);
    expect(res.result).toBe(true);
  });

  it('rejects the same share twice as duplicate (22)', async () => {
    const { pool, c, h } = await ready();
    const nonce = findNonce(h.job, h.extranonce1, '00000002', D);
    const params = ['alice', h.job.jobId, '00000002', h.job.ntime, nonce];
    expect((await c.request('mining.submit', params, 1)).result).toBe(true);
    expect(errorCode(await c.request('mining.submit', params, 2))).toBe(22);
    expect(pool.stats().workers.alice?.rejected.duplicate).toBe(1);
  });

  it('rejects a nonce whose hash misses the share target as low difficulty (23)', async () => {
    const { pool, c, h } = await ready();
    const nonce = findNonce(h.job, h.extranonce1, '00000003', D, { wantFail: true });
    const res = await c.request('mining.submit', ['alice', h.job.jobId, '00000003', h.job.ntime, nonce], 1);
    expect(errorCode(res)).toBe(23);
    expect(pool.stats().workers.alice?.rejected.low_difficulty).toBe(1);
  });

  it.each([
    ['too few params', ['alice', 'x', '00000000', '00000000']],
    ['a short extranonce2', ['alice', '@job', '0000', '@ntime', '00000000']],
    ['a non-hex nonce', ['alice', '@job', '00000000', '@ntime', 'zzzzzzzz']],
    ['a 7-char ntime', ['alice', '@job', '00000000', '0000000', '00000000']],
    ['params that are not an array', { worker: 'alice' }],
  ])('rejects malformed params (%s) with error 20', async (_name, raw) => {
    const { pool, c, h } = await ready();
    const params = Array.isArray(raw) ? raw.map((v) => (v === '@job' ? h.job.jobId : v === '@ntime' ? h.job.ntime : v)) : raw;
    const res = await c.request('mining.submit', params as unknown[], 1);
    expect(errorCode(res)).toBe(20);
    expect(pool.stats().totals.rejected.other).toBe(1);
  });

  it.each([
    ['before the job ntime', -1],
    ['more than two hours ahead', 7300],
  ])('rejects an ntime %s with error 20', async (_name, offset) => {
    const { c, h } = await ready();
    const ntime = (parseInt(h.job.ntime, 16) + offset).toString(16).padStart(8, '0');
    const nonce = findNonce(h.job, h.extranonce1, '00000004', D, { ntime });
    const res = await c.request('mining.submit', ['alice', h.job.jobId, '00000004', ntime, nonce], 1);
    expect(errorCode(res)).toBe(20);
  });

  it('accepts version-rolled shares within the negotiated mask and rejects bits outside it', async () => {
    const { pool, port } = await fx.pool({ difficulty: D });
    const c = await fx.client(port);
    const conf = await c.request('mining.configure', [['version-rolling'], { 'version-rolling.mask': '1fffe000' }], 1);
    expect(conf.result).toEqual({ 'version-rolling': true, 'version-rolling.mask': '1fffe000' });
    const h = await c.handshake('alice');
    const bits = 0x00002000;
    const version = (parseInt(h.job.version, 16) | bits) >>> 0;
    const nonce = findNonce(h.job, h.extranonce1, '00000005', D, { version });
    const ok = await c.request('mining.submit', ['alice', h.job.jobId, '00000005', h.job.ntime, nonce, '00002000'], 2);
    expect(ok.result).toBe(true);
    const bad = await c.request('mining.submit', ['alice', h.job.jobId, '00000006', h.job.ntime, nonce, '00000001'], 3);
    expect(errorCode(bad)).toBe(20);
    expect(pool.stats().workers.alice).toMatchObject({ accepted: 1, rejected: { other: 1 } });
  });

  it('rejects version bits from a miner that never negotiated version rolling', async () => {
    const { c, h } = await ready();
    const res = await c.request('mining.submit', ['alice', h.job.jobId, '00000005', h.job.ntime, '00000000', '00002000'], 2);
    expect(errorCode(res)).toBe(20);
  });

  it('echoes a reused id on every submit answer, as cpuminer expects', async () => {
    const { c, h } = await ready();
    for (let i = 0; i < 3; i++) {
      const en2 = `0000001${i}`;
      const nonce = findNonce(h.job, h.extranonce1, en2, D);
      const res = await c.request('mining.submit', ['alice', h.job.jobId, en2, h.job.ntime, nonce], 4);
      expect(res).toEqual({ id: 4, result: true, error: null });
    }
  });

  it('applies a raised difficulty from the next notify and still takes old jobs at the old difficulty', async () => {
    const { pool, c, h } = await ready();
    const hard = 0.0001;
    pool.setDifficulty('alice', hard);
    const setDiff = await c.nextNotification('mining.set_difficulty');
    expect(setDiff.params).toEqual([hard]);

    // Old job: judged at the difficulty in force when it was sent.
    const easyOnOld = findNonceBetween(h.job, h.extranonce1, '00000007', D, hard);
    const oldJob = await c.request('mining.submit', ['alice', h.job.jobId, '00000007', h.job.ntime, easyOnOld], 1);
    expect(oldJob.result).toBe(true);

    pool.rotateJob();
    const newJob = parseNotifyParams((await c.nextNotification('mining.notify')).params ?? [])!;
    const easyOnNew = findNonceBetween(newJob, h.extranonce1, '00000008', D, hard);
    const low = await c.request('mining.submit', ['alice', newJob.jobId, '00000008', newJob.ntime, easyOnNew], 2);
    expect(errorCode(low)).toBe(23);

    const hardNonce = findNonce(newJob, h.extranonce1, '00000009', hard);
    const ok = await c.request('mining.submit', ['alice', newJob.jobId, '00000009', newJob.ntime, hardNonce], 3);
    expect(ok.result).toBe(true);
    expect(pool.stats().workers.alice?.acceptedDifficulty).toBeCloseTo(D + hard, 12);
  });

  it('keeps judging jobs sent before a lowered difficulty at their own, higher difficulty', async () => {
    const high = 0.0001;
    const { pool, port } = await fx.pool({ difficulty: high });
    const c = await fx.client(port);
    const h = await c.handshake('bob');
    pool.setDifficulty(D);
    await c.nextNotification('mining.set_difficulty');
    const lowOnly = findNonceBetween(h.job, h.extranonce1, '0000000a', D, high);
    const low = await c.request('mining.submit', ['bob', h.job.jobId, '0000000a', h.job.ntime, lowOnly], 1);
    expect(errorCode(low)).toBe(23);
    const highNonce = findNonce(h.job, h.extranonce1, '0000000b', high);
    const ok = await c.request('mining.submit', ['bob', h.job.jobId, '0000000b', h.job.ntime, highNonce], 2);
    expect(ok.result).toBe(true);
    expect(pool.stats().workers.bob?.acceptedDifficulty).toBe(high);
  });

  it('reports stats that match exactly the answers the client received', async () => {
    const { pool, c, h } = await ready();
    const expected = { accepted: 0, other: 0, low: 0, dup: 0 };
    const answers: WireMessage[] = [];
    for (let i = 0; i < 12; i++) {
      const en2 = i.toString(16).padStart(8, '0');
      const kind = i % 4;
      let params: unknown[];
      if (kind === 0 || kind === 3) {
        params = ['alice', h.job.jobId, en2, h.job.ntime, findNonce(h.job, h.extranonce1, en2, D)];
      } else if (kind === 1) {
        params = ['alice', h.job.jobId, en2, h.job.ntime, findNonce(h.job, h.extranonce1, en2, D, { wantFail: true })];
      } else {
        params = ['alice', h.job.jobId, en2, 'nothex!!', '00000000'];
      }
      answers.push(await c.request('mining.submit', params, i));
      if (kind === 3) answers.push(await c.request('mining.submit', params, i));
    }
    for (const a of answers) {
      if (a.result === true) expected.accepted++;
      else if (errorCode(a) === 20) expected.other++;
      else if (errorCode(a) === 23) expected.low++;
      else if (errorCode(a) === 22) expected.dup++;
    }
    const s = pool.stats();
    expect(s.totals.accepted).toBe(expected.accepted);
    expect(s.totals.rejected.other).toBe(expected.other);
    expect(s.totals.rejected.low_difficulty).toBe(expected.low);
    expect(s.totals.rejected.duplicate).toBe(expected.dup);
    expect(expected).toEqual({ accepted: 6, other: 3, low: 3, dup: 3 });
    expect(s.bytes.sent).toBe(c.receivedBytes.length);
    expect(s.sessions).toEqual({ open: 1, total: 1 });
  });

  it('keeps the exact bytes of each session when captureBytes is on', async () => {
    const { pool, c } = await ready({ captureBytes: true });
    await c.request('mining.extranonce.subscribe', [], 77);
    const [cap] = pool.captures();
    expect(cap?.sent.equals(c.receivedBytes)).toBe(true);
    expect(cap?.received.toString()).toContain('"id":77');
  });
});
