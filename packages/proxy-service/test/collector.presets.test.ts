import { METHODS_BY_DIRECTION, SHARE_REJECT_REASONS } from '@stratum-relay/metrics';
import { collectorFixture } from './helpers/metrics-collector-fixture';
import { POOL } from './helpers/metrics-events';
import { sampleValue, seriesOf } from './helpers/metrics-exposition';

describe('series the collector presets at 0', () => {
  it('presets stratum_messages_total only for the methods each direction carries, plus response and other', async () => {
    const { scrape } = collectorFixture();
    const series = seriesOf(await scrape(), 'stratum_messages_total');
    const expected: Record<string, number> = {};
    for (const direction of ['miner_to_pool', 'pool_to_miner'] as const) {
      for (const method of [...METHODS_BY_DIRECTION[direction], 'response', 'other']) expected[`direction=${direction},method=${method}`] = 0;
    }
    expect(series).toEqual(expected);
    expect(Object.keys(series)).toHaveLength(17);
    expect(series).not.toHaveProperty(['direction=miner_to_pool,method=mining.notify']);
    expect(series).not.toHaveProperty(['direction=pool_to_miner,method=mining.submit']);
  });

  it('counts a known method sent the wrong way as itself, its series appearing with it', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.request(1, null, 'mining.notify', []);
    script.request(1, 7, 'mining.frobnicate', []);
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'miner_to_pool', method: 'mining.notify' })).toBe(1);
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'miner_to_pool', method: 'other' })).toBe(1);
  });

  it('presets rejected shares for every reason when a worker appears, as it does accepted shares', async () => {
    const { script, scrape } = collectorFixture();
    script.openToPool(1);
    script.subscribe(1, 1);
    script.authorize(1, 2, 'rig9');
    const exp = await scrape();
    expect(sampleValue(exp, 'stratum_accepted_shares_total', { client_id: 'rig9', pool_host: POOL })).toBe(0);
    const rejected = seriesOf(exp, 'stratum_rejected_shares_total');
    for (const reason of SHARE_REJECT_REASONS) expect(rejected[`client_id=rig9,pool_host=${POOL},reason=${reason}`]).toBe(0);
  });
});

describe('the client_id cap', () => {
  it('sets stratum_client_ids_capped and calls back once when a worker name first finds MAX_CLIENT_IDS full', async () => {
    const reached: number[] = [];
    const { script, scrape } = collectorFixture({ maxClientIds: 2, onClientIdCapReached: (max) => reached.push(max) });
    expect(sampleValue(await scrape(), 'stratum_client_ids_capped', {})).toBe(0);
    for (let id = 1; id <= 5; id++) {
      script.openToPool(id);
      script.authorize(id, 1, `rig${id}`);
    }
    const exp = await scrape();
    expect(reached).toEqual([2]);
    expect(sampleValue(exp, 'stratum_client_ids_capped', {})).toBe(1);
    expect(sampleValue(exp, 'stratum_submits_total', { client_id: 'other', pool_host: POOL })).toBe(0);
  });

  it('stays at 0 without a cap', async () => {
    const { script, scrape } = collectorFixture({ maxClientIds: null });
    for (let id = 1; id <= 5; id++) {
      script.openToPool(id);
      script.authorize(id, 1, `rig${id}`);
    }
    expect(sampleValue(await scrape(), 'stratum_client_ids_capped', {})).toBe(0);
  });
});
