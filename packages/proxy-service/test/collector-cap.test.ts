import { ClientIdCap, sanitizeWorkerName } from '../src/client-id-cap';
import { collectorFixture } from './helpers/metrics-collector-fixture';
import { POOL } from './helpers/metrics-events';
import { seriesOf } from './helpers/metrics-exposition';

async function clientIdsAfter(maxClientIds: number | null, workers: string[]): Promise<Record<string, number>> {
  const { script, scrape } = collectorFixture({ maxClientIds });
  workers.forEach((w, i) => {
    script.openToPool(i + 1);
    script.authorize(i + 1, 1, w);
    script.submit(i + 1, 2, w);
  });
  const series = seriesOf(await scrape(), 'stratum_submits_total');
  const out: Record<string, number> = {};
  // Every worker is on the one pool; "unknown" also has its series on no pool ("none").
  for (const [k, v] of Object.entries(series)) if (k.endsWith(`,pool_host=${POOL}`)) out[k.replace(`,pool_host=${POOL}`, '').replace('client_id=', '')] = v;
  return out;
}

describe('client_id cardinality cap', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];

  it('gives the first 3 of 5 workers their own client_id and puts the rest under "other" with cap 3', async () => {
    expect(await clientIdsAfter(3, five)).toEqual({ unknown: 0, a: 1, b: 1, c: 1, other: 2 });
  });

  it('gives every worker its own client_id when the cap is null', async () => {
    expect(await clientIdsAfter(null, five)).toEqual({ unknown: 0, a: 1, b: 1, c: 1, d: 1, e: 1 });
  });

  it('puts every worker under "other" when the cap is 0', async () => {
    expect(await clientIdsAfter(0, five)).toEqual({ unknown: 0, other: 5 });
  });

  it('keeps an admitted name across connections and after they close, and never admits a 4th later', async () => {
    const { script, scrape } = collectorFixture({ maxClientIds: 3 });
    let id = 0;
    for (const w of ['a', 'b', 'c', 'a', 'd', 'b']) {
      id++;
      script.openToPool(id);
      script.authorize(id, 1, w);
      script.submit(id, 2, w);
      script.close(id);
    }
    const series = seriesOf(await scrape(), 'stratum_submits_total');
    expect(series).toEqual({
      'client_id=unknown,pool_host=none': 0,
      [`client_id=unknown,pool_host=${POOL}`]: 0,
      [`client_id=a,pool_host=${POOL}`]: 2,
      [`client_id=b,pool_host=${POOL}`]: 2,
      [`client_id=c,pool_host=${POOL}`]: 1,
      [`client_id=other,pool_host=${POOL}`]: 1,
    });
  });

  it('cleans worker names: control characters removed, trimmed, cut to 128 characters, empty means unknown', () => {
    expect(sanitizeWorkerName(' bc1qxyz.rig\n')).toBe('bc1qxyz.rig');
    expect(sanitizeWorkerName('x'.repeat(500))).toHaveLength(128);
    expect(sanitizeWorkerName('\u0000')).toBeNull();
    expect(sanitizeWorkerName(42)).toBeNull();
    const cap = new ClientIdCap(1);
    expect(cap.resolve('')).toBe('unknown');
    expect(cap.resolve('a')).toBe('a');
    expect(cap.resolve('b')).toBe('other');
    expect(cap.size).toBe(1);
  });
});
