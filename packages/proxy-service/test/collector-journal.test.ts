/**
 * The collector's share journal hook, driven by scripted events: one row per mining.submit at the
 * place its fate is counted, so the journal's rows equal stratum_submits_total by construction.
 */
import type { ConnectionRow, JournalSink, ShareRow } from '@stratum-relay/share-journal';
import type { CollectorConnectionExport } from '../src/connection-state';
import { mainnetBlockJobs } from './helpers/metrics-block-job';
import { collectorFixture } from './helpers/metrics-collector-fixture';
import type { CollectorFixture } from './helpers/metrics-collector-fixture';
import { POOL } from './helpers/metrics-events';
import { sampleValue, sumSamples } from './helpers/metrics-exposition';

class RecordingJournal implements JournalSink {
  readonly shares: ShareRow[] = [];
  readonly connections: ConnectionRow[] = [];
  share(row: ShareRow): void {
    this.shares.push(row);
  }
  connection(row: ConnectionRow): void {
    this.connections.push(row);
  }
}

const W = { client_id: 'rig.1', pool_host: POOL };

function journalled(overrides: Parameters<typeof collectorFixture>[0] = {}): { f: CollectorFixture; journal: RecordingJournal } {
  const journal = new RecordingJournal();
  return { f: collectorFixture({ shareAudit: false, journal, ...overrides }), journal };
}

function authorized(f: CollectorFixture, id: number, difficulty = 16): void {
  f.script.openToPool(id);
  f.script.subscribe(id, 1);
  f.script.authorize(id, 2, 'rig.1');
  f.script.setDifficulty(id, difficulty);
}

describe('the collector hands the share journal', () => {
  it('one row per submit with its fate — accepted, rejected with its reason, late, timed out, evicted, lost, unanswerable — as many as stratum_submits_total', async () => {
    const { f, journal } = journalled({ submitTimeoutMs: 1000, lateAnswerWindow: 2, maxPendingPerConnection: 3 });
    const s = f.script;
    authorized(f, 7);
    const start = s.wall;
    s.submit(7, 10, 'rig.1', 'job-a');
    s.advance(25);
    s.answer(7, 10, true);
    s.submit(7, 11, 'rig.1', 'job-b');
    s.answer(7, 11, null, [23, 'Low difficulty share', null]);
    // Timed out, then answered within the late-answer window: the pool's answer is its fate.
    s.submit(7, 12, 'rig.1', 'job-c');
    s.advance(1500);
    f.collector.sweep();
    s.answer(7, 12, true);
    // Timed out and never answered: dropped after the window, a timeout.
    s.submit(7, 13, 'rig.1', 'job-d');
    s.advance(1500);
    f.collector.sweep();
    s.advance(1000);
    f.collector.sweep();
    // Pushed out of a full table (3 waiting at most): the oldest is a timeout.
    s.submit(7, 20);
    s.submit(7, 21);
    s.submit(7, 22);
    s.submit(7, 23);
    // No id: nothing can answer it.
    s.request(7, null, 'mining.submit', ['rig.1', 'job-x', '00', '5f5e1000', '00']);
    // Still waiting at close: lost.
    s.close(7, 'pool', 'reset');

    const exp = await f.scrape();
    expect(journal.shares).toHaveLength(sampleValue(exp, 'stratum_submits_total', W) ?? NaN);
    expect(journal.shares.map((r) => r.result)).toEqual(['accepted', 'rejected', 'accepted', 'timeout', 'timeout', 'lost', 'lost', 'lost', 'lost']);
    const byJob = new Map(journal.shares.map((r) => [r.jobId, r]));
    expect(byJob.get('job-a')).toEqual({
      time: start,
      worker: 'rig.1',
      pool: POOL,
      jobId: 'job-a',
      difficulty: 16,
      result: 'accepted',
      reason: null,
      audit: null,
      shareDifficulty: null,
      blockCandidate: false,
      latencyMs: 25,
      connectionId: 7,
      remoteAddress: '127.0.0.1',
    });
    expect(byJob.get('job-b')).toMatchObject({ result: 'rejected', reason: 'low_difficulty', latencyMs: 0 });
    expect(byJob.get('job-c')).toMatchObject({ result: 'accepted', latencyMs: 1500 });
    expect(byJob.get('job-d')).toMatchObject({ result: 'timeout', latencyMs: null });
    expect(byJob.get('job-x')).toMatchObject({ result: 'lost', latencyMs: null });
    // Accepted and rejected rows equal the counters exactly; lost rows add the unanswerable one.
    const count = (result: string): number => journal.shares.filter((r) => r.result === result).length;
    expect(count('accepted')).toBe(sampleValue(exp, 'stratum_accepted_shares_total', W));
    expect(count('rejected')).toBe(sumSamples(exp, 'stratum_rejected_shares_total'));
    expect(count('lost')).toBe((sampleValue(exp, 'stratum_submits_lost_total', W) ?? NaN) + 1);

    expect(journal.connections).toEqual([
      {
        connectionId: 7,
        openedAt: start,
        closedAt: s.wall,
        worker: 'rig.1',
        pool: POOL,
        remoteAddress: '127.0.0.1',
        remotePort: 40000,
        bytesSent: 0,
        bytesReceived: 0,
        submits: 9,
        accepted: 2,
        rejected: 1,
        closeSide: 'pool',
        closeReason: 'reset',
      },
    ]);
  });

  it("records the audit's verdict, the share's real difficulty and a block candidate", () => {
    const [block] = mainnetBlockJobs();
    if (block === undefined) throw new Error('fixture block missing');
    const { f, journal } = journalled({ shareAudit: true });
    const s = f.script;
    s.openToPool(1);
    s.subscribe(1, 1, block.extranonce1, block.extranonce2.length / 2);
    s.authorize(1, 2, 'rig1');
    s.setDifficulty(1, 1);
    s.notify(1, 'mining.notify', block.notifyParams);
    s.submit(1, 10, 'rig1', block.jobId, block.extranonce2, block.ntime, block.nonce);
    s.answer(1, 10, false, [21, 'Job not found', null]);
    s.submit(1, 11, 'rig1', block.jobId, block.extranonce2, block.ntime, block.wrongNonce);
    s.answer(1, 11, true);
    s.submit(1, 12, 'rig1', 'never-sent', block.extranonce2, block.ntime, block.nonce);
    s.close(1);
    const [valid, invalid, unknown] = journal.shares;
    expect(valid).toMatchObject({ result: 'rejected', reason: 'stale', audit: 'valid_rejected', blockCandidate: true, jobId: block.jobId });
    expect(valid?.shareDifficulty).toBeGreaterThan(1);
    expect(invalid).toMatchObject({ result: 'accepted', audit: 'invalid_accepted', blockCandidate: false });
    expect(invalid?.shareDifficulty).toBeLessThan(1);
    // Never answered: only the audit's own check.
    expect(unknown).toMatchObject({ result: 'lost', audit: 'unknown_job', shareDifficulty: null });
  });

  it('under SHARE_AUDIT=rejected records the difficulty of a share hashed only when the pool rejected it', () => {
    const [block] = mainnetBlockJobs();
    if (block === undefined) throw new Error('fixture block missing');
    const { f, journal } = journalled({ shareAudit: { mode: 'rejected', fraction: 0 } });
    const s = f.script;
    s.openToPool(1);
    s.subscribe(1, 1, block.extranonce1, block.extranonce2.length / 2);
    s.authorize(1, 2, 'rig1');
    s.notify(1, 'mining.notify', block.notifyParams);
    s.submit(1, 10, 'rig1', block.jobId, block.extranonce2, block.ntime, block.nonce);
    s.answer(1, 10, false, [22, 'Duplicate share', null]);
    s.submit(1, 11, 'rig1', block.jobId, block.extranonce2, block.ntime, block.nonce);
    s.answer(1, 11, true);
    expect(journal.shares[0]).toMatchObject({ result: 'rejected', audit: 'valid_rejected', blockCandidate: true });
    expect(journal.shares[0]?.shareDifficulty).toBeGreaterThan(1);
    // Accepted and not in the (empty) sample: never hashed.
    expect(journal.shares[1]).toMatchObject({ result: 'accepted', audit: null, shareDifficulty: null });
  });

  it('journals a submit that moves to another process once, where it is answered, with its latency from the original submit', () => {
    const a = journalled();
    const b = journalled();
    b.f.script.t = 9_000_000;
    b.f.script.wall = a.f.script.wall;
    authorized(a.f, 7);
    const submittedAt = a.f.script.wall;
    a.f.script.submit(7, 4, 'rig.1', 'job-moving');
    const exported = a.f.collector.exportConnection(7);
    if (exported === null) throw new Error('no state');
    const wire = JSON.parse(JSON.stringify(exported)) as CollectorConnectionExport;
    expect(b.f.collector.importConnection(wire)).toBe(true);
    a.f.script.advance(40);
    b.f.script.advance(40);
    b.f.script.answer(7, 4, true);
    b.f.script.close(7);
    expect(a.journal.shares).toEqual([]);
    expect(a.journal.connections).toEqual([]);
    expect(b.journal.shares).toEqual([expect.objectContaining({ time: submittedAt, jobId: 'job-moving', result: 'accepted', latencyMs: 40, connectionId: 7 })]);
    expect(b.journal.connections).toHaveLength(1);
  });

  it('reads no submit params when neither the audit nor the journal needs them', () => {
    const f = collectorFixture({ shareAudit: false });
    authorized(f, 7);
    let reads = 0;
    const params = ['rig.1', 'job', '00', '5f5e1000', '00'];
    f.collector.handle({
      type: 'stratum.request',
      connectionId: 7,
      t: f.script.t,
      direction: 'miner_to_pool',
      id: 10,
      method: 'mining.submit',
      get params() {
        reads++;
        return params;
      },
    });
    f.script.answer(7, 10, true);
    expect(reads).toBe(0);
  });
});
