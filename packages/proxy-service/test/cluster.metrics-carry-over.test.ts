import { Registry } from 'prom-client';
import { createMetrics, snapshotRegistry, type StratumMetrics } from '@stratum-relay/metrics';
import { mulberry32, randInt, testSeed } from '@stratum-relay/prng';
import { MetricsStore } from '../src/cluster/metrics-store';

/** A stand-in worker: its own registry and a running truth of what it counted. */
interface SimWorker {
  readonly id: number;
  readonly slot: number;
  readonly metrics: StratumMetrics;
  seq: number;
  /** Submits counted so far, and as of its last snapshot the store holds. */
  counted: number;
  snapshotCounted: number;
}

function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

const cumulative = (key: string): boolean => /^(stratum|process)_\w+(_total|_bucket|_sum|_count)(\{|$)/.test(key);

describe('merged /metrics while workers crash, retire and are replaced', () => {
  it('never shows a counter or histogram sample lower than before, and loses only what a crashed worker counted after its last scrape', async () => {
    const seed = testSeed();
    try {
      const prng = mulberry32(seed);
      const store = new MetricsStore();
      let nextId = 1;
      const spawn = (slot: number): SimWorker => ({ id: nextId++, slot, metrics: createMetrics(new Registry(), { collectDefault: false }), seq: 0, counted: 0, snapshotCounted: 0 });
      const workers = [spawn(1), spawn(2), spawn(3)];
      const scrape = async (w: SimWorker): Promise<void> => {
        store.update(w.id, `worker-${w.slot}`, { seq: ++w.seq, families: await snapshotRegistry(w.metrics.registry) });
        w.snapshotCounted = w.counted;
      };
      let truth = 0;
      let lost = 0;
      let served = new Map<string, number>();

      for (let step = 0; step < 300; step++) {
        const w = workers[randInt(prng, 0, workers.length - 1)]!;
        const action = randInt(prng, 0, 9);
        if (action <= 4) {
          // Traffic: shares, a latency, a connection.
          const n = randInt(prng, 1, 5);
          w.metrics.cells.submits.cell({ client_id: `rig${randInt(prng, 1, 3)}`, pool_host: 'p' }).add(n);
          w.metrics.requestResponseSeconds.cell({ method: 'mining.submit' }).observe(randInt(prng, 1, 40) / 8);
          w.metrics.connectionsTotal.labels('p').inc();
          w.counted += n;
          truth += n;
        } else if (action <= 6) {
          await scrape(w);
        } else if (action === 7) {
          // /metrics: every live worker is asked first, then the merge is served.
          for (const live of workers) await scrape(live);
          const now = samples(await store.aggregate([]).metrics());
          const wentBack = [...served].filter(([key, value]) => cumulative(key) && (now.get(key) ?? 0) < value);
          expect(wentBack).toEqual([]);
          const submits = [...now].filter(([key]) => key.startsWith('stratum_submits_total{')).reduce((sum, [, v]) => sum + v, 0);
          expect(submits).toBe(truth - lost);
          served = now;
        } else {
          // The worker goes: a crash (its last scrape is what stays) or a graceful retirement
          // (a final snapshot first: nothing is lost). Its slot gets a new worker.
          const graceful = action === 9;
          if (graceful) await scrape(w);
          lost += w.counted - w.snapshotCounted;
          store.retire(w.id);
          workers[workers.indexOf(w)] = spawn(w.slot);
        }
      }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      e.message = `[seed ${seed}; replay with SRL_TEST_SEED=${seed}] ${e.message}`;
      throw e;
    }
  });

  it('drops a snapshot older than the one it holds (answers crossing on the channel)', async () => {
    const store = new MetricsStore();
    const m = createMetrics(new Registry(), { collectDefault: false });
    m.cells.submits.cell({ client_id: 'rig', pool_host: 'p' }).add(5);
    const newer = { seq: 2, families: await snapshotRegistry(m.registry) };
    m.cells.submits.cell({ client_id: 'rig', pool_host: 'p' }).add(5);
    expect(store.update(1, 'worker-1', newer)).toBe(true);
    expect(store.update(1, 'worker-1', { seq: 1, families: await snapshotRegistry(m.registry) })).toBe(false);
    expect(samples(await store.aggregate([]).metrics()).get('stratum_submits_total{client_id="rig",pool_host="p"}')).toBe(5);
  });
});
