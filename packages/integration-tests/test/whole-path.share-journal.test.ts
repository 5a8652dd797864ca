/**
 * The share journal on the whole path: miner-sim through the built proxy to pool-sim, the journal
 * in a real SQLite file or a real PostgreSQL server.
 * - chaos profile, SIGTERM: rows = stratum_submits_total exactly; accepted and rejected-by-reason
 *   rows = /metrics = pool-sim's ground truth; `stratum-proxy report` says the same.
 * - SIGKILL: nothing committed is lost; what is missing is what waited for the next batch.
 * - PostgreSQL stopped for 10 s under load: the relay goes on, drops are counted, writing
 *   resumes, and rows + dropped = submits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim } from '@stratum-relay/pool-sim';
import { openJournalBackend, parseJournalTarget, type JournalBackend, type StoredShare } from '@stratum-relay/share-journal';
import {
  BINS,
  getJson,
  proxyTotals,
  rejectedTotal,
  scrapeMetrics,
  shareTally,
  SHARE_REJECT_REASONS,
  startPostgres,
  startProxyProcess,
  waitFor,
  type MetricSamples,
  type PostgresServer,
  type ProxyProcess,
} from '../src';

const SEED = 20240613;
const DIFFICULTY = 0.000002;

async function journalRows(journal: string): Promise<StoredShare[]> {
  const backend: JournalBackend = openJournalBackend(parseJournalTarget(journal), { readonly: true });
  try {
    return await backend.listShares({ sinceMs: null, worker: null, pool: null, result: null }, null);
  } finally {
    await backend.close();
  }
}

async function journalConnections(journal: string): Promise<number> {
  const backend: JournalBackend = openJournalBackend(parseJournalTarget(journal), { readonly: true });
  try {
    return await backend.countRows('connections');
  } finally {
    await backend.close();
  }
}

function farmOn(proxy: ProxyProcess, options: Partial<ConstructorParameters<typeof MinerFarm>[0]>): MinerFarm {
  return new MinerFarm({
    url: `127.0.0.1:${proxy.proxyPort}`,
    miners: 4,
    user: 'journal',
    hashrate: 20_000,
    seed: SEED,
    submitTimeoutMs: 8_000,
    backoffBaseMs: 100,
    backoffMaxMs: 1_000,
    stopGraceMs: 5_000,
    ...options,
  });
}

/** Every connection closed and every submit settled: the counters are final. */
async function settled(proxy: ProxyProcess): Promise<MetricSamples> {
  return waitFor(
    async () => {
      const m = await scrapeMetrics(proxy.metricsPort);
      return m.sum('stratum_active_connections') === 0 && m.get('stratum_pending_requests') === 0 ? m : undefined;
    },
    { timeoutMs: 30_000, what: 'no open connection and no pending request', context: proxy.logs },
  );
}

describe('whole path: the share journal', () => {
  let dir: string;
  let pool: PoolSim;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'srl-journal-path-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('after SIGTERM under the chaos profile, has one row per submit and the accepted and rejected counts of /metrics and the pool', async () => {
    pool = new PoolSim({ profile: 'chaos', seed: SEED, difficulty: DIFFICULTY });
    const { port } = await pool.listen();
    cleanups.push(() => pool.close());
    const journal = join(dir, 'chaos.sqlite');
    const proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: port, env: { SUBMIT_TIMEOUT_MS: '3000', MAX_CLIENT_IDS: 'none', SHARE_JOURNAL: journal } });
    cleanups.push(() => proxy.stop());
    const farm = farmOn(proxy, {
      shares: 120,
      durationMs: 40_000,
      faults: [
        { mode: 'stale', probability: 0.05 },
        { mode: 'invalid_nonce', probability: 0.05 },
        { mode: 'duplicate', probability: 0.05 },
      ],
    });
    cleanups.push(() => farm.stop());
    await farm.start();
    await farm.whenDone();
    await farm.stop();
    const metrics = await settled(proxy);
    await waitFor(() => pool.stats().sessions.open === 0, { timeoutMs: 20_000, what: 'the pool to have no open session' });
    const truth = shareTally(pool.stats().totals);
    expect(await proxy.stop()).toEqual({ code: 0, signal: null });

    const rows = await journalRows(journal);
    const totals = proxyTotals(metrics);
    expect(totals.submits).toBeGreaterThan(0);
    expect(rows).toHaveLength(totals.submits);
    const count = (pred: (r: StoredShare) => boolean): number => rows.filter(pred).length;
    expect(count((r) => r.result === 'accepted')).toBe(totals.accepted);
    expect(totals.accepted).toBe(truth.accepted);
    for (const reason of SHARE_REJECT_REASONS) {
      expect({ reason, rows: count((r) => r.result === 'rejected' && r.reason === reason) }).toEqual({ reason, rows: totals.rejected[reason] });
      expect({ reason, pool: truth.rejected[reason] }).toEqual({ reason, pool: totals.rejected[reason] });
    }
    expect(count((r) => r.result === 'lost')).toBe(totals.lost);
    // Each row names its worker, pool, job and difficulty; answered rows have their latency.
    expect(rows.every((r) => r.worker?.startsWith('journal.') === true && r.pool !== 'none' && r.jobId !== null && r.difficulty > 0)).toBe(true);
    expect(rows.filter((r) => r.result === 'accepted' || r.result === 'rejected').every((r) => r.latencyMs !== null)).toBe(true);

    // The report says the same, through the real program.
    const out = execFileSync(process.execPath, [BINS.proxy, 'report', '--journal', journal, '--format', 'json'], { encoding: 'utf8' });
    const report = JSON.parse(out) as { total: { shares: number; accepted: number; rejected: number; rejected_by_reason: Record<string, number> } };
    expect(report.total.shares).toBe(totals.submits);
    expect(report.total.accepted).toBe(truth.accepted);
    expect(report.total.rejected).toBe(rejectedTotal(totals));
    for (const [reason, n] of Object.entries(report.total.rejected_by_reason)) expect({ reason, n }).toEqual({ reason, n: totals.rejected[reason as keyof typeof totals.rejected] });
  }, 90_000);

  it('after SIGKILL keeps every committed row; only rows still waiting for the next batch are missing', async () => {
    pool = new PoolSim({ profile: 'easy', seed: SEED, difficulty: DIFFICULTY });
    const { port } = await pool.listen();
    cleanups.push(() => pool.close());
    const journal = join(dir, 'killed.sqlite');
    const proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: port, env: { SHARE_JOURNAL: journal } });
    cleanups.push(() => proxy.stop());
    const farm = farmOn(proxy, { durationMs: null, shares: null });
    cleanups.push(() => farm.stop());
    await farm.start();
    await waitFor(async () => ((await scrapeMetrics(proxy.metricsPort)).get('stratum_journal_rows_total', { table: 'shares' }) ?? 0) >= 20, {
      timeoutMs: 20_000,
      what: 'rows in the journal',
    });
    const before = await scrapeMetrics(proxy.metricsPort);
    await proxy.process.stop({ signal: 'SIGKILL' });
    const written = before.get('stratum_journal_rows_total', { table: 'shares' }) ?? 0;
    const waiting = before.get('stratum_journal_queue') ?? 0;
    const rows = await journalRows(journal);
    expect(rows.length).toBeGreaterThanOrEqual(written);
    // What a kill loses is what waited for the next 100 ms batch: at 4 miners' rate, a handful.
    const seconds = (Date.now() - (rows[rows.length - 1]?.time ?? Date.now())) / 1000;
    const perSecond = rows.length / Math.max(1, seconds);
    expect(waiting).toBeLessThanOrEqual(Math.ceil(perSecond * 0.5) + 10);
  }, 60_000);

  describe('on PostgreSQL', () => {
    let pg: PostgresServer;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 30_000);
    afterAll(() => pg.stop());

    it('relays on while the database is away for 10 s, counts the rows it drops, resumes writing, and rows + dropped = submits', async () => {
      pool = new PoolSim({ profile: 'easy', seed: SEED, difficulty: DIFFICULTY });
      const { port } = await pool.listen();
      cleanups.push(() => pool.close());
      const journal = pg.createDatabase('journal_outage');
      const proxy = await startProxyProcess({
        poolHost: '127.0.0.1',
        poolPort: port,
        env: { SHARE_JOURNAL: journal, SHARE_JOURNAL_MAX_QUEUE: '40' },
      });
      cleanups.push(() => proxy.stop());
      const farm = farmOn(proxy, { durationMs: null, shares: null });
      cleanups.push(() => farm.stop());
      await farm.start();
      const metric = async (name: string, labels?: Record<string, string>): Promise<number> => (await scrapeMetrics(proxy.metricsPort)).get(name, labels) ?? 0;
      await waitFor(async () => (await metric('stratum_journal_rows_total', { table: 'shares' })) >= 10, { timeoutMs: 20_000, what: 'first rows' });

      pg.pause();
      const acceptedAtStop = farm.progress().accepted;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      // The relay did not notice: miners kept getting answers, the proxy is healthy.
      expect(farm.progress().accepted).toBeGreaterThan(acceptedAtStop + 20);
      expect(await getJson(proxy.metricsPort, '/healthz')).toEqual({ status: 'ok' });
      expect(await metric('stratum_journal_dropped_total')).toBeGreaterThan(0);
      expect(await metric('stratum_journal_queue')).toBeLessThanOrEqual(40);
      const writtenDuringOutage = await metric('stratum_journal_rows_total', { table: 'shares' });

      pg.resume();
      await waitFor(async () => (await metric('stratum_journal_rows_total', { table: 'shares' })) > writtenDuringOutage + 20, {
        timeoutMs: 20_000,
        what: 'writing to resume',
        context: proxy.logs,
      });
      await farm.stop();
      const metrics = await settled(proxy);
      expect(await proxy.stop()).toEqual({ code: 0, signal: null });
      const rows = await journalRows(journal);
      const connectionRows = await journalConnections(journal);
      // Every submit and every closed connection is a row or a counted drop, nothing else.
      const dropped = metrics.get('stratum_journal_dropped_total') ?? 0;
      expect(dropped).toBeGreaterThan(0);
      expect(rows.length + connectionRows + dropped).toBe(proxyTotals(metrics).submits + metrics.sum('stratum_connection_closes_total'));
    }, 90_000);
  });
});
