import { collectorFixture } from './helpers/metrics-collector-fixture';
import { mainnetBlockJobs } from './helpers/metrics-block-job';
import { seriesOf } from './helpers/metrics-exposition';

describe('jobs shared across connections', () => {
  const block = mainnetBlockJobs()[0]!;

  it('two connections that receive the same notify hold one job object, and both audit against it', async () => {
    const f = collectorFixture();
    const { script } = f;
    for (const c of [1, 2]) {
      script.openToPool(c);
      script.subscribe(c, 1, block.extranonce1, block.extranonce2.length / 2);
      script.authorize(c, 2, `rig${c}`);
      script.notify(c, 'mining.notify', block.notifyParams);
    }
    const job1 = f.collector.connectionState(1)?.jobs?.get(block.jobId);
    const job2 = f.collector.connectionState(2)?.jobs?.get(block.jobId);
    expect(job1).toBeDefined();
    expect(job2).toBe(job1);

    for (const c of [1, 2]) {
      script.submit(c, 10, `rig${c}`, block.jobId, block.extranonce2, block.ntime, block.nonce);
      script.answer(c, 10, true);
      script.submit(c, 11, `rig${c}`, block.jobId, block.extranonce2, block.ntime, block.wrongNonce);
      script.answer(c, 11, true);
    }
    const exp = await f.scrape();
    expect(seriesOf(exp, 'stratum_share_audit_total')).toMatchObject({ 'verdict=valid_accepted': 2, 'verdict=invalid_accepted': 2 });
    expect(f.collector.internalErrors).toBe(0);
  });

  it('a clean_jobs notify on one connection leaves the shared job with the other', () => {
    const f = collectorFixture();
    const { script } = f;
    for (const c of [1, 2]) {
      script.openToPool(c);
      script.subscribe(c, 1, block.extranonce1, block.extranonce2.length / 2);
      script.notify(c, 'mining.notify', block.notifyParams);
    }
    const next = [...block.notifyParams];
    next[0] = 'next-job';
    next[8] = true;
    script.notify(1, 'mining.notify', next);
    expect(f.collector.connectionState(1)?.jobs?.get(block.jobId)).toBeUndefined();
    expect(f.collector.connectionState(2)?.jobs?.get(block.jobId)).toBeDefined();
  });
});
