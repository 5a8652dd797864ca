import { Registry } from 'prom-client';
import { mulberry32 } from '@stratum-relay/prng';
import type { CollectorConnectionExport } from '../src/connection-state';
import { collectorFixture } from './helpers/metrics-collector-fixture';
import type { CollectorFixture } from './helpers/metrics-collector-fixture';
import { mainnetBlockJobs } from './helpers/metrics-block-job';
import type { BlockJob } from './helpers/metrics-block-job';
import { POOL } from './helpers/metrics-events';
import { sampleValue, seriesOf } from './helpers/metrics-exposition';

const W = { client_id: 'rig1', pool_host: POOL };
const block = mainnetBlockJobs()[0] as BlockJob;
const REJECTED = { mode: 'rejected', fraction: 0.01 } as const;
/** Draws that never fall in a sample of 0.01, and draws that always do. */
const neverSampled = (): number => 0.99;
const alwaysSampled = (): number => 0;

function sessionOn(f: CollectorFixture, connectionId = 1): CollectorFixture {
  const { script } = f;
  script.openToPool(connectionId);
  script.subscribe(connectionId, 1, block.extranonce1, block.extranonce2.length / 2);
  script.authorize(connectionId, 2, 'rig1');
  script.setDifficulty(connectionId, 1);
  script.notify(connectionId, 'mining.notify', block.notifyParams);
  return f;
}

const submit = (f: CollectorFixture, id: number, nonce: string, jobId = block.jobId, connectionId = 1): void =>
  f.script.submit(connectionId, id, 'rig1', jobId, block.extranonce2, block.ntime, nonce);

/** Every series of a verdict family, zeros included (a series at 0 is not an absent one). */
const verdicts = (series: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(series).map(([k, v]) => [k.replace('verdict=', ''), v]));

/** The five answers of the audit-share test: real nonce accepted / rejected, wrong nonce accepted / rejected, unknown job. */
function fiveAnswers(f: CollectorFixture): void {
  submit(f, 10, block.nonce);
  f.script.answer(1, 10, true);
  submit(f, 11, block.nonce);
  f.script.answer(1, 11, false, [22, 'Duplicate share', null]);
  submit(f, 12, block.wrongNonce);
  f.script.answer(1, 12, true);
  submit(f, 13, block.wrongNonce);
  f.script.answer(1, 13, null, [23, 'Low difficulty share', null]);
  submit(f, 14, block.nonce, 'never-sent');
  f.script.answer(1, 14, true);
}

describe('SHARE_AUDIT=rejected', () => {
  it('counts every rejected share exactly, hashed when the reject arrives, and leaves accepted ones to the sample', async () => {
    const f = sessionOn(collectorFixture({ shareAudit: REJECTED, random: neverSampled }));
    fiveAnswers(f);
    const exp = await f.scrape();
    // No valid_accepted / invalid_accepted series at all: those are not counted in this mode.
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_total'))).toEqual({ valid_rejected: 1, invalid_rejected: 1, unknown_job: 1 });
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_sampled_total'))).toEqual({
      valid_accepted: 0,
      valid_rejected: 0,
      invalid_accepted: 0,
      invalid_rejected: 0,
      unknown_job: 0,
    });
    expect(sampleValue(exp, 'stratum_share_audit_sample_ratio')).toBe(0.01);
    // The rejected real-nonce share was hashed at its answer: a block candidate and the best share.
    expect(sampleValue(exp, 'stratum_block_candidates_total', W)).toBe(1);
    const all = sessionOn(collectorFixture({ shareAudit: true }));
    fiveAnswers(all);
    expect(sampleValue(exp, 'stratum_best_share_difficulty', W)).toBe(sampleValue(await all.scrape(), 'stratum_best_share_difficulty', W));
    // The histogram is the sample's: nothing sampled, nothing observed.
    expect(sampleValue(exp, 'stratum_share_difficulty_count')).toBe(0);
    expect(f.collector.internalErrors).toBe(0);
  });

  it('hashes sampled shares at submit: their verdicts go to the sample, rejected ones to the exact counts too', async () => {
    const f = sessionOn(collectorFixture({ shareAudit: REJECTED, random: alwaysSampled }));
    fiveAnswers(f);
    const exp = await f.scrape();
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_total'))).toEqual({ valid_rejected: 1, invalid_rejected: 1, unknown_job: 1 });
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_sampled_total'))).toEqual({
      valid_accepted: 1,
      valid_rejected: 1,
      invalid_accepted: 1,
      invalid_rejected: 1,
      unknown_job: 1,
    });
    expect(sampleValue(exp, 'stratum_share_difficulty_count')).toBe(4);
    expect(sampleValue(exp, 'stratum_block_candidates_total', W)).toBe(2);
  });

  it('judges a rejected share by the job, extranonce1 and difficulty in force at its submit, even after a clean_jobs notify and a new extranonce', async () => {
    const f = sessionOn(collectorFixture({ shareAudit: REJECTED, random: neverSampled }));
    submit(f, 10, block.nonce);
    f.script.notify(1, 'mining.notify', ['other', ...block.notifyParams.slice(1, 8), true]);
    f.script.notify(1, 'mining.set_extranonce', ['00000000', 4]);
    f.script.setDifficulty(1, 1e30);
    f.script.answer(1, 10, false, [21, 'Stale share', null]);
    const exp = await f.scrape();
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_total'))).toEqual({ valid_rejected: 1, invalid_rejected: 0, unknown_job: 0 });
    expect(sampleValue(exp, 'stratum_block_candidates_total', W)).toBe(1);
  });

  it('keeps nothing of a submit without an id (no answer will come) and draws no verdict for it', async () => {
    const f = sessionOn(collectorFixture({ shareAudit: REJECTED, random: neverSampled }));
    f.script.submit(1, null, 'rig1', block.jobId, block.extranonce2, block.ntime, block.nonce);
    expect(f.collector.stateSize().pending).toBe(0);
    const exp = await f.scrape();
    expect(Object.values(seriesOf(exp, 'stratum_share_audit_total')).every((v) => v === 0)).toBe(true);
  });
});

describe('SHARE_AUDIT=sample:<fraction>', () => {
  it('hashes only the sample: unknown_job stays exact, every other verdict is a sample', async () => {
    let n = 0;
    // Every other share sampled: shares 10, 12, 14 are.
    const f = sessionOn(collectorFixture({ shareAudit: { mode: 'sample', fraction: 0.5 }, random: () => (n++ % 2 === 0 ? 0.1 : 0.9) }));
    fiveAnswers(f);
    const exp = await f.scrape();
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_total'))).toEqual({ unknown_job: 1 });
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_sampled_total'))).toEqual({
      valid_accepted: 1,
      valid_rejected: 0,
      invalid_accepted: 1,
      invalid_rejected: 0,
      unknown_job: 1,
    });
    expect(sampleValue(exp, 'stratum_share_audit_sample_ratio')).toBe(0.5);
    // Share 11 (the block, rejected) was not sampled: not hashed, so not seen as a candidate.
    expect(sampleValue(exp, 'stratum_block_candidates_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_share_difficulty_count')).toBe(2);
  });

  it('estimates the counts of all within a few percent from a seeded 20 % sample of 5,000 shares', async () => {
    const run = async (f: CollectorFixture): Promise<Record<string, number>> => {
      sessionOn(f);
      for (let i = 0; i < 5000; i++) {
        const id = 100 + i;
        submit(f, id, i % 10 === 0 ? block.nonce : block.wrongNonce);
        if (i % 7 === 0) f.script.answer(1, id, null, [23, 'Low difficulty share', null]);
        else f.script.answer(1, id, true);
      }
      const exp = await f.scrape();
      return { ...verdicts(seriesOf(exp, 'stratum_share_audit_total')), ...verdicts(seriesOf(exp, 'stratum_share_audit_sampled_total')) };
    };
    const exact = await run(collectorFixture({ shareAudit: true }));
    const sampled = await run(collectorFixture({ shareAudit: { mode: 'sample', fraction: 0.2 }, random: mulberry32(42) }));
    for (const verdict of ['valid_accepted', 'valid_rejected', 'invalid_accepted', 'invalid_rejected'] as const) {
      const truth = exact[verdict] as number;
      const estimate = (sampled[verdict] as number) / 0.2;
      // Binomial sd of the estimate is sqrt(truth * 0.8 / 0.2): stay within 4 sd.
      expect({ verdict, off: Math.abs(estimate - truth) <= 4 * Math.sqrt((truth * 0.8) / 0.2) + 1 }).toEqual({ verdict, off: true });
    }
  });
});

describe('SHARE_AUDIT=all and off', () => {
  it.each([true, false])('export no sample families (shareAudit %s): the exposition is what it was before the modes', async (shareAudit) => {
    const f = sessionOn(collectorFixture({ shareAudit }));
    fiveAnswers(f);
    const text = await f.registry.metrics();
    expect(text).not.toContain('stratum_share_audit_sampled_total');
    expect(text).not.toContain('stratum_share_audit_sample_ratio');
  });
});

describe('SHARE_AUDIT=rejected across a handover', () => {
  function move(a: CollectorFixture, b: CollectorFixture, connectionId: number): CollectorConnectionExport {
    const exported = a.collector.exportConnection(connectionId);
    if (exported === null) throw new Error('no state');
    const wire = JSON.parse(JSON.stringify(exported)) as CollectorConnectionExport;
    expect(b.collector.importConnection(wire)).toBe(true);
    return wire;
  }

  it('moves a share waiting unhashed with its job, so a reject on the new side is still judged, once', async () => {
    const a = sessionOn(collectorFixture({ shareAudit: REJECTED, random: neverSampled }));
    const b = collectorFixture({ shareAudit: REJECTED, random: neverSampled });
    b.script.wall = a.script.wall;
    submit(a, 10, block.nonce);
    submit(a, 11, block.wrongNonce);
    // The job leaves RecentJobs before the move: the export must carry it for the waiting shares.
    a.script.notify(1, 'mining.notify', ['other', ...block.notifyParams.slice(1, 8), true]);
    const wire = move(a, b, 1);
    expect(wire.auditJobs).toHaveLength(1);
    expect(wire.minerRequests.map((r) => r.deferred?.job)).toEqual([0, 0]);
    b.script.answer(1, 10, false, [21, 'Stale share', null]);
    b.script.answer(1, 11, false, [23, 'Low difficulty share', null]);
    const eb = await b.scrape();
    expect(verdicts(seriesOf(eb, 'stratum_share_audit_total'))).toEqual({ valid_rejected: 1, invalid_rejected: 1, unknown_job: 0 });
    const ea = await a.scrape();
    expect(verdicts(seriesOf(ea, 'stratum_share_audit_total'))).toEqual({ valid_rejected: 0, invalid_rejected: 0, unknown_job: 0 });
  });

  it('keeps the sample mark, and exports of all-mode connections carry none of the new fields', () => {
    const a = sessionOn(collectorFixture({ shareAudit: REJECTED, random: alwaysSampled }));
    submit(a, 10, block.nonce);
    const wire = a.collector.exportConnection(1) as CollectorConnectionExport;
    expect(wire.minerRequests[0]).toMatchObject({ sampled: true });
    expect(wire.auditJobs).toBeUndefined();
    const all = sessionOn(collectorFixture({ shareAudit: true }));
    submit(all, 10, block.nonce);
    const plain = all.collector.exportConnection(1) as CollectorConnectionExport;
    expect(Object.keys(plain.minerRequests[0] as object).sort()).toEqual(['at', 'check', 'difficulty', 'id', 'method', 'timedOut']);
    expect('auditJobs' in plain).toBe(false);
  });

  it('refuses an export whose deferred share names a job it does not carry', () => {
    const a = sessionOn(collectorFixture({ shareAudit: REJECTED, random: neverSampled }));
    const b = collectorFixture({ shareAudit: REJECTED });
    submit(a, 10, block.nonce);
    const wire = JSON.parse(JSON.stringify(a.collector.exportConnection(1))) as { auditJobs?: unknown[] };
    delete wire.auditJobs;
    expect(b.collector.importConnection(wire as unknown as CollectorConnectionExport)).toBe(false);
  });
});

describe('the sample families', () => {
  it('are registered once however often a collector enables them, with the latest ratio', async () => {
    const registry = new Registry();
    const { createMetrics } = await import('@stratum-relay/metrics');
    const m = createMetrics(registry, { collectDefault: false });
    const cells = m.enableShareAuditSample(0.1);
    expect(m.enableShareAuditSample(0.2)).toBe(cells);
    cells.cell({ verdict: 'valid_accepted' }).add(3);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE stratum_share_audit_sampled_total counter');
    expect(text).toContain('stratum_share_audit_sampled_total{verdict="valid_accepted"} 3');
    expect(text).toContain('stratum_share_audit_sample_ratio 0.2');
  });
});
