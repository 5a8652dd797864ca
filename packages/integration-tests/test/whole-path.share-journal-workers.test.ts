/**
 * The share journal with WORKERS=2: both worker processes write their own rows into the same
 * database (one SQLite file in WAL mode, each worker's writer thread holding its own connection;
 * or one PostgreSQL database). After SIGTERM the rows equal stratum_submits_total of the merged
 * /metrics the primary served, accepted and rejected-by-reason rows equal its counters, and the
 * rows' connection ids show that both workers wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim } from '@stratum-relay/pool-sim';
import { openJournalBackend, parseJournalTarget, type StoredShare } from '@stratum-relay/share-journal';
import {
  getJson,
  httpRequest,
  proxyTotals,
  scrapeMetrics,
  SHARE_REJECT_REASONS,
  startPostgres,
  startProxyProcess,
  waitFor,
  type MetricSamples,
  type PostgresServer,
  type ProxyProcess,
} from '../src';

const DIFFICULTY = 0.000002;
/** A connection id is its worker's id × 1e9 plus a count (cluster/connection-id-base.ts). */
const IDS_PER_WORKER = 1_000_000_000;

interface Journal {
  readonly name: string;
  target(): string;
}

describe('whole path: the share journal with WORKERS=2', () => {
  let dir: string;
  let pg: PostgresServer;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'srl-journal-workers-'));
    pg = await startPostgres();
  }, 30_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 60_000);
  afterAll(() => {
    pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const journals: Journal[] = [
    { name: 'one SQLite file', target: () => join(dir, 'workers.sqlite') },
    { name: 'one PostgreSQL database', target: () => pg.createDatabase('journal_workers') },
  ];

  it.each(journals)('after SIGTERM, $name holds one row per submit of the merged /metrics, written by both workers', async ({ target }) => {
    const journal = target();
    const pool = new PoolSim({ profile: 'easy', seed: 7, difficulty: DIFFICULTY });
    const { port } = await pool.listen();
    cleanups.push(() => pool.close());
    const proxy: ProxyProcess = await startProxyProcess({
      poolHost: '127.0.0.1',
      poolPort: port,
      env: { WORKERS: '2', SHARE_JOURNAL: journal, MAX_CLIENT_IDS: 'none', POOL_PROBE_INTERVAL_MS: '600000' },
    });
    cleanups.push(() => proxy.stop());
    // /readyz turns 200 with the first listening worker; the miners must find both listening.
    await waitFor(
      async () => {
        const ready = (await httpRequest(proxy.metricsPort, '/readyz')).status === 200;
        const { workers } = await getJson<{ workers: { state: string }[] }>(proxy.metricsPort, '/status');
        return ready && workers.length === 2 && workers.every((w) => w.state === 'running');
      },
      { timeoutMs: 30_000, what: 'both workers listening', context: proxy.logs },
    );

    // Eight connections, so that each worker gets some; a few stale shares for rejected rows.
    const farm = new MinerFarm({
      url: `127.0.0.1:${proxy.proxyPort}`,
      miners: 8,
      user: 'journal',
      hashrate: 20_000,
      seed: 7,
      shares: 120,
      durationMs: 15_000,
      faults: [{ mode: 'stale', probability: 0.1 }],
      stopGraceMs: 5_000,
    });
    cleanups.push(() => farm.stop());
    await farm.start();
    await farm.whenDone();
    await farm.stop();
    // The merged /metrics once every connection closed and every submit settled: final counts.
    const metrics = await waitFor(
      async () => {
        const m: MetricSamples = await scrapeMetrics(proxy.metricsPort);
        return m.sum('stratum_active_connections') === 0 && m.get('stratum_pending_requests') === 0 ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'no open connection and no pending request', context: proxy.logs },
    );
    expect(await proxy.stop()).toEqual({ code: 0, signal: null });

    const backend = openJournalBackend(parseJournalTarget(journal), { readonly: true });
    let rows: StoredShare[];
    let connections: number;
    try {
      rows = await backend.listShares({ sinceMs: null, worker: null, pool: null, result: null }, null);
      connections = await backend.countRows('connections');
    } finally {
      await backend.close();
    }
    const totals = proxyTotals(metrics);
    expect(totals.submits).toBeGreaterThanOrEqual(80);
    expect(rows).toHaveLength(totals.submits);
    expect(rows.filter((r) => r.result === 'accepted')).toHaveLength(totals.accepted);
    for (const reason of SHARE_REJECT_REASONS) {
      expect({ reason, rows: rows.filter((r) => r.result === 'rejected' && r.reason === reason).length }).toEqual({ reason, rows: totals.rejected[reason] });
    }
    expect(connections).toBe(metrics.sum('stratum_connection_closes_total'));
    expect(metrics.get('stratum_journal_dropped_total')).toBe(0);
    const writers = new Set(rows.map((r) => Math.floor(r.connectionId / IDS_PER_WORKER)));
    expect(writers.size).toBe(2);
  }, 60_000);
});
