import { collectorFixture } from './helpers/metrics-collector-fixture';
import { POOL } from './helpers/metrics-events';
import { sampleValue, sumSamples } from './helpers/metrics-exposition';

describe('MetricsCollector state cleanup', () => {
  it('holds no connection or pending state after 10,000 connections open, leave requests unanswered and close', async () => {
    const { script, scrape, collector } = collectorFixture();
    for (let c = 1; c <= 10_000; c++) {
      script.openToPool(c);
      script.subscribe(c, 1);
      script.authorize(c, 2, `w${c % 7}`);
      script.submit(c, 4, `w${c % 7}`);
      script.submit(c, 4, `w${c % 7}`);
      script.answer(c, 4, true);
      script.poolRequest(c, 'v', 'client.get_version');
      script.request(c, 'x', 'mining.suggest_difficulty', [1]);
      script.bytes(c, 'miner_to_pool', 10);
      script.close(c);
    }
    expect(collector.stateSize()).toEqual({ connections: 0, pending: 0 });
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_pending_requests')).toBe(0);
    expect(sampleValue(exp, 'stratum_active_connections', { pool_host: POOL })).toBe(0);
    expect(sampleValue(exp, 'stratum_connections_total', { pool_host: POOL })).toBe(10_000);
    // Released on close, not expired: no timeouts were invented; the unanswered submit of each is lost.
    expect(sumSamples(exp, 'stratum_submit_timeouts_total')).toBe(0);
    expect(sumSamples(exp, 'stratum_submits_lost_total')).toBe(10_000);
  });

  it('reports live pending requests in stratum_pending_requests at scrape time', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.submit(1, 1);
    script.submit(1, 2);
    script.poolRequest(1, 3, 'client.get_version');
    expect(sampleValue(await scrape(), 'stratum_pending_requests')).toBe(3);
    script.answer(1, 1, true);
    expect(sampleValue(await scrape(), 'stratum_pending_requests')).toBe(2);
  });
});
