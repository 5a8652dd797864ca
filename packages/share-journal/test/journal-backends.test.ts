import { Registry } from 'prom-client';
import {
  createJournalMetrics,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  NO_FILTER,
  ShareJournal,
  type JournalBackend,
  type JournalBatch,
} from '@stratum-relay/share-journal';
import { connectionRow, eventually, POSTGRES, POSTGRES_THREAD, shareRow, SQLITE, SQLITE_THREAD, type BackendKind, type TestDatabase } from './journal-fixtures';

const DAY = 86_400_000;

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return sample?.value ?? NaN;
}

/** Records the size of each batch the writer commits. */
function recordingBatches(backend: JournalBackend): number[] {
  const sizes: number[] = [];
  const write = backend.write.bind(backend);
  backend.write = async (batch: JournalBatch) => {
    await write(batch);
    sizes.push(batch.shares.length + batch.connections.length);
  };
  return sizes;
}

describe.each<BackendKind>([SQLITE, SQLITE_THREAD, POSTGRES, POSTGRES_THREAD])('the $name journal', (kind) => {
  let db: TestDatabase;
  const journals: ShareJournal[] = [];

  beforeAll(() => kind.setup(), 30_000);
  afterAll(() => kind.teardown());
  beforeEach(async () => {
    db = await kind.create();
  });
  afterEach(async () => {
    for (const j of journals.splice(0)) await j.close(0);
    await db.dispose();
  });

  function journal(options: Partial<ConstructorParameters<typeof ShareJournal>[0]> = {}): { journal: ShareJournal; registry: Registry } {
    const registry = new Registry();
    const holder: { journal?: ShareJournal } = {};
    const metrics = createJournalMetrics(registry, () => holder.journal?.queued ?? 0);
    const j = new ShareJournal({ backend: db.backend, metrics, maxQueue: 100_000, retentionDays: 30, retryMinMs: 20, retryMaxMs: 100, ...options });
    holder.journal = j;
    journals.push(j);
    return { journal: j, registry };
  }

  describe('migrations', () => {
    it('creates every table from an empty database and records each version once', async () => {
      expect(await db.backend.schemaVersions()).toEqual([]);
      expect(await db.backend.migrate()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await db.backend.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await db.backend.migrate()).toEqual([]);
      expect(await db.backend.countRows('shares')).toBe(0);
      expect(await db.backend.countRows('connections')).toBe(0);
    });

    it('migrates a database of the previous version forward, keeping its rows', async () => {
      expect(await db.backend.migrate(LATEST_SCHEMA_VERSION - 1)).toEqual(MIGRATIONS.slice(0, -1).map((m) => m.version));
      await db.backend.write({ shares: [shareRow({ worker: 'before' })], connections: [connectionRow()] });
      expect(await db.backend.migrate()).toEqual([LATEST_SCHEMA_VERSION]);
      const rows = await db.backend.listShares(NO_FILTER, null);
      expect(rows.map((r) => r.worker)).toEqual(['before']);
      expect(await db.backend.countRows('connections')).toBe(1);
    });

    it('refuses a database migrated by a newer program', async () => {
      await db.backend.migrate();
      await db.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${LATEST_SCHEMA_VERSION + 1}, 'future', 0)`);
      await expect(db.backend.migrate()).rejects.toMatchObject({ code: 'SRL_ERR_JOURNAL_MIGRATION' });
    });

    it('applies each migration once when two processes start together', async () => {
      const other = db.another();
      const [a, b] = await Promise.all([db.backend.migrate(), other.migrate()]);
      expect([...a, ...b].sort()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await db.backend.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
    });
  });

  describe('rows', () => {
    it('stores every column as given, nulls and booleans included, and lists newest first', async () => {
      await db.backend.migrate();
      const old = shareRow({ time: 1000, result: 'rejected', reason: 'low_difficulty', audit: 'valid_rejected', blockCandidate: true });
      const bare = shareRow({ time: 2000, worker: null, jobId: null, result: 'lost', audit: null, shareDifficulty: null, latencyMs: null });
      await db.backend.write({ shares: [old, bare], connections: [] });
      const rows = await db.backend.listShares(NO_FILTER, null);
      expect(rows.map(({ id: _id, ...rest }) => rest)).toEqual([bare, old]);
      expect(rows[0]!.id).toBeGreaterThan(rows[1]!.id);
      const scanned: number[] = [];
      await db.backend.scanShares(NO_FILTER, (r) => scanned.push(r.time));
      expect(scanned).toEqual([1000, 2000]);
    });

    it('filters by time, worker, pool and result', async () => {
      await db.backend.migrate();
      await db.backend.write({
        shares: [
          shareRow({ time: 1000, worker: 'a', pool: 'p1' }),
          shareRow({ time: 2000, worker: 'b', pool: 'p1', result: 'rejected', reason: 'stale' }),
          shareRow({ time: 3000, worker: 'a', pool: 'p2', result: 'timeout', latencyMs: null }),
        ],
        connections: [],
      });
      const times = async (filter: Partial<typeof NO_FILTER>, limit: number | null = null): Promise<number[]> =>
        (await db.backend.listShares({ ...NO_FILTER, ...filter }, limit)).map((r) => r.time);
      expect(await times({ sinceMs: 2000 })).toEqual([3000, 2000]);
      expect(await times({ worker: 'a' })).toEqual([3000, 1000]);
      expect(await times({ pool: 'p1', result: 'rejected' })).toEqual([2000]);
      expect(await times({}, 1)).toEqual([3000]);
    });

    it('writes a batch all or nothing', async () => {
      await db.backend.migrate();
      const broken = { ...shareRow(), result: 'maybe' } as unknown as ReturnType<typeof shareRow>;
      await expect(db.backend.write({ shares: [shareRow(), broken], connections: [connectionRow()] })).rejects.toBeDefined();
      expect(await db.backend.countRows('shares')).toBe(0);
      expect(await db.backend.countRows('connections')).toBe(0);
    });
  });

  describe('the writer', () => {
    it('writes rows queued at once in transactions of at most 1,000 rows, and counts them', async () => {
      const sizes = recordingBatches(db.backend);
      const { journal: j, registry } = journal({ flushIntervalMs: 60_000 });
      j.start();
      await eventually(() => j.ready, 10_000, 'migration');
      for (let i = 0; i < 2400; i++) j.share(shareRow({ time: i }));
      for (let i = 0; i < 100; i++) j.connection(connectionRow({ connectionId: i }));
      // 1,000 rows waiting start a batch without waiting for the (here: one minute) interval.
      await eventually(() => j.written >= 2000, 10_000, 'full batches');
      await j.flush();
      expect(sizes.every((n) => n <= 1000)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(2500);
      expect(await db.backend.countRows('shares')).toBe(2400);
      expect(await db.backend.countRows('connections')).toBe(100);
      expect(await metricValue(registry, 'stratum_journal_rows_total', { table: 'shares' })).toBe(2400);
      expect(await metricValue(registry, 'stratum_journal_rows_total', { table: 'connections' })).toBe(100);
      expect(await metricValue(registry, 'stratum_journal_queue')).toBe(0);
    });

    it('writes a partial batch at the next flush interval', async () => {
      const { journal: j } = journal({ flushIntervalMs: 20 });
      j.start();
      for (let i = 0; i < 5; i++) j.share(shareRow({ time: i }));
      await eventually(async () => (await db.backend.countRows('shares').catch(() => 0)) === 5, 10_000, 'the interval flush');
      expect(j.written).toBe(5);
    });

    it('drops and counts rows past the queue bound while the database is away, then writes the rest', async () => {
      const { journal: j, registry } = journal({ maxQueue: 100, flushIntervalMs: 10 });
      j.start();
      await eventually(() => j.ready, 10_000, 'migration');
      await db.takeAway();
      for (let i = 0; i < 150; i++) j.share(shareRow({ time: i }));
      expect(j.dropped).toBe(50);
      expect(await metricValue(registry, 'stratum_journal_dropped_total')).toBe(50);
      expect(await metricValue(registry, 'stratum_journal_queue')).toBe(100);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(j.written).toBe(0);
      await db.bringBack();
      await eventually(() => j.written === 100, 20_000, 'writing to resume');
      const times = (await db.backend.listShares(NO_FILTER, null)).map((r) => r.time).reverse();
      expect(times).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }, 40_000);

    it('reaches a database that was away when it started', async () => {
      await db.takeAway();
      const { journal: j } = journal({ flushIntervalMs: 10 });
      j.start();
      j.share(shareRow());
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(j.ready).toBe(false);
      await db.bringBack();
      await eventually(() => j.written === 1, 20_000, 'the first write');
    }, 40_000);

    it('flushes everything on close, and drops (counting) what a database still away at the deadline did not take', async () => {
      const { journal: j } = journal({ flushIntervalMs: 60_000 });
      j.start();
      await eventually(() => j.ready, 10_000, 'migration');
      for (let i = 0; i < 10; i++) j.share(shareRow({ time: i }));
      const first = await j.close(5000);
      expect(first).toEqual({ flushed: 10, dropped: 0 });
      expect(await db.another().countRows('shares')).toBe(10);

      // The first journal closed its backend: the second writes through another handle.
      const { journal: k } = journal({ backend: db.another(), flushIntervalMs: 60_000 });
      k.start();
      await eventually(() => k.ready, 10_000, 'migration');
      k.share(shareRow());
      await db.takeAway();
      expect(await k.close(300)).toEqual({ flushed: 0, dropped: 1 });
      expect(k.dropped).toBe(1);
      k.share(shareRow());
      expect(k.dropped).toBe(2);
    }, 40_000);
  });

  describe('retention', () => {
    it('deletes shares and connections older than the retention, in chunks, and keeps the rest', async () => {
      const now = 100 * DAY;
      const { journal: j } = journal({ retentionDays: 30, pruneChunkRows: 7, now: () => now, flushIntervalMs: 60_000 });
      j.start();
      await eventually(() => j.ready, 10_000, 'migration');
      await db.backend.write({
        shares: [
          ...Array.from({ length: 20 }, (_, i) => shareRow({ time: now - 31 * DAY - i })),
          ...Array.from({ length: 5 }, (_, i) => shareRow({ time: now - 29 * DAY + i })),
        ],
        connections: [connectionRow({ closedAt: now - 40 * DAY }), connectionRow({ closedAt: now - DAY })],
      });
      expect(await j.pruneNow()).toBe(21);
      expect(await db.backend.countRows('shares')).toBe(5);
      expect(await db.backend.countRows('connections')).toBe(1);
      expect(await j.pruneNow()).toBe(0);
    });
  });
});
