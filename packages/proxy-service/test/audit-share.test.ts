import { collectorFixture } from './helpers/metrics-collector-fixture';
import type { CollectorFixture } from './helpers/metrics-collector-fixture';
import { mainnetBlockJobs } from './helpers/metrics-block-job';
import type { BlockJob } from './helpers/metrics-block-job';
import { POOL } from './helpers/metrics-events';
import { sampleValue, seriesOf } from './helpers/metrics-exposition';

const W = { client_id: 'rig1', pool_host: POOL };

/** A connection that subscribed with the block's extranonce1, authorized, and received the block as a job. */
function sessionOn(block: BlockJob, fixture: CollectorFixture = collectorFixture(), difficulty = 1): CollectorFixture {
  const { script } = fixture;
  script.openToPool(1);
  script.subscribe(1, 1, block.extranonce1, block.extranonce2.length / 2);
  script.authorize(1, 2, 'rig1');
  script.setDifficulty(1, difficulty);
  script.notify(1, 'mining.notify', block.notifyParams);
  return fixture;
}

function verdicts(series: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(series)) if (v !== 0) out[k.replace('verdict=', '')] = v;
  return out;
}

describe.each(mainnetBlockJobs())('share audit on mainnet block $name', (block) => {
  it('produces each verdict: real nonce accepted/rejected, wrong nonce accepted/rejected, unknown job', async () => {
    const f = sessionOn(block);
    const { script } = f;
    const submit = (id: number, nonce: string, jobId = block.jobId): void =>
      script.submit(1, id, 'rig1', jobId, block.extranonce2, block.ntime, nonce);
    submit(10, block.nonce);
    script.answer(1, 10, true);
    submit(11, block.nonce);
    script.answer(1, 11, false, [22, 'Duplicate share', null]);
    submit(12, block.wrongNonce);
    script.answer(1, 12, true);
    submit(13, block.wrongNonce);
    script.answer(1, 13, null, [23, 'Low difficulty share', null]);
    submit(14, block.nonce, 'never-sent');
    script.answer(1, 14, false, [21, 'Job not found', null]);
    const exp = await f.scrape();
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_total'))).toEqual({
      valid_accepted: 1,
      valid_rejected: 1,
      invalid_accepted: 1,
      invalid_rejected: 1,
      unknown_job: 1,
    });
    // The real nonce reproduces the block: a block candidate, twice submitted.
    expect(sampleValue(exp, 'stratum_block_candidates_total', W)).toBe(2);
    expect(sampleValue(exp, 'stratum_share_difficulty_count')).toBe(4);
    expect(sampleValue(exp, 'stratum_best_share_difficulty', W)).toBeGreaterThanOrEqual(1);
    expect(f.collector.internalErrors).toBe(0);
  });

  it('calls a real block share invalid when the difficulty in force is above its hash difficulty', async () => {
    const f = sessionOn(block, collectorFixture(), 1e15);
    f.script.submit(1, 10, 'rig1', block.jobId, block.extranonce2, block.ntime, block.nonce);
    f.script.answer(1, 10, true);
    expect(verdicts(seriesOf(await f.scrape(), 'stratum_share_audit_total'))).toEqual({ invalid_accepted: 1 });
  });
});

describe('share audit edge cases', () => {
  const [genesis, , , big] = mainnetBlockJobs();
  if (genesis === undefined || big === undefined) throw new Error('fixture blocks missing');

  it('counts malformed submits as invalid without throwing', async () => {
    const f = sessionOn(genesis);
    const s = f.script;
    s.submit(1, 10, 'rig1', genesis.jobId, 'zz', genesis.ntime, genesis.nonce);
    s.submit(1, 11, 'rig1', genesis.jobId, genesis.extranonce2, 'short', genesis.nonce);
    s.request(1, 12, 'mining.submit', ['rig1', 7]);
    s.request(1, 13, 'mining.submit', []);
    for (const id of [10, 11, 12, 13]) s.answer(1, id, false, [20, 'Malformed', null]);
    expect(verdicts(seriesOf(await f.scrape(), 'stratum_share_audit_total'))).toEqual({ invalid_rejected: 4 });
    expect(f.collector.internalErrors).toBe(0);
  });

  it('forgets older jobs when the pool sends clean_jobs', async () => {
    const f = sessionOn(genesis);
    const other = [...genesis.notifyParams];
    other[0] = 'next';
    other[8] = true;
    f.script.notify(1, 'mining.notify', other);
    f.script.submit(1, 10, 'rig1', genesis.jobId, genesis.extranonce2, genesis.ntime, genesis.nonce);
    f.script.answer(1, 10, true);
    const exp = await f.scrape();
    expect(verdicts(seriesOf(exp, 'stratum_share_audit_total'))).toEqual({ unknown_job: 1 });
    expect(seriesOf(exp, 'stratum_jobs_total')).toEqual({ 'clean=true': 2 });
  });

  it('applies the version bits inside the mask negotiated by mining.configure (BIP310)', async () => {
    const f = sessionOn(big);
    const s = f.script;
    s.request(1, 0, 'mining.configure', [['version-rolling'], { 'version-rolling.mask': 'ffffffff' }]);
    s.answer(1, 0, { 'version-rolling': true, 'version-rolling.mask': '1fffe000' });
    // Bits outside the mask are ignored: the real header is rebuilt.
    s.submit(1, 10, 'rig1', big.jobId, big.extranonce2, big.ntime, big.nonce, '00000fff');
    s.answer(1, 10, true);
    // Bits inside the mask change the version: a different hash.
    s.submit(1, 11, 'rig1', big.jobId, big.extranonce2, big.ntime, big.nonce, '00002000');
    s.answer(1, 11, true);
    expect(verdicts(seriesOf(await f.scrape(), 'stratum_share_audit_total'))).toEqual({ valid_accepted: 1, invalid_accepted: 1 });
  });

  it('ignores version bits when no mask was negotiated', async () => {
    const f = sessionOn(big);
    f.script.submit(1, 10, 'rig1', big.jobId, big.extranonce2, big.ntime, big.nonce, '00002000');
    f.script.answer(1, 10, true);
    expect(verdicts(seriesOf(await f.scrape(), 'stratum_share_audit_total'))).toEqual({ valid_accepted: 1 });
  });

  it('takes the version mask from mining.set_version_mask', async () => {
    const f = sessionOn(big);
    f.script.notify(1, 'mining.set_version_mask', ['1fffe000']);
    f.script.submit(1, 10, 'rig1', big.jobId, big.extranonce2, big.ntime, big.nonce, '00002000');
    f.script.answer(1, 10, true);
    expect(verdicts(seriesOf(await f.scrape(), 'stratum_share_audit_total'))).toEqual({ invalid_accepted: 1 });
  });

  it('uses the extranonce1 from mining.set_extranonce', async () => {
    const f = collectorFixture();
    const s = f.script;
    s.openToPool(1);
    s.subscribe(1, 1, 'deadbeef', 4);
    s.authorize(1, 2, 'rig1');
    s.notify(1, 'mining.set_extranonce', [genesis.extranonce1, genesis.extranonce2.length / 2]);
    s.setDifficulty(1, 1);
    s.notify(1, 'mining.notify', genesis.notifyParams);
    s.submit(1, 10, 'rig1', genesis.jobId, genesis.extranonce2, genesis.ntime, genesis.nonce);
    s.answer(1, 10, true);
    expect(verdicts(seriesOf(await f.scrape(), 'stratum_share_audit_total'))).toEqual({ valid_accepted: 1 });
  });

  it('records nothing of the audit when shareAudit is off', async () => {
    const f = sessionOn(genesis, collectorFixture({ shareAudit: false }));
    f.script.submit(1, 10, 'rig1', genesis.jobId, genesis.extranonce2, genesis.ntime, genesis.nonce);
    f.script.answer(1, 10, true);
    const exp = await f.scrape();
    expect(seriesOf(exp, 'stratum_share_audit_total')).toEqual({});
    expect(sampleValue(exp, 'stratum_share_difficulty_count')).toBe(0);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(1);
  });
});
