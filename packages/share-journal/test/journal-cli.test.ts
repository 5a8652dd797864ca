import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJournalCommand, SqliteBackend, type ShareRow } from '@stratum-relay/share-journal';
import { POSTGRES, shareRow, type TestDatabase } from './journal-fixtures';

const NOW = Date.UTC(2024, 5, 1, 12, 30);
const HOUR = 3_600_000;

interface Run {
  code: number;
  out: string;
  err: string[];
}

async function run(...argv: string[]): Promise<Run> {
  let out = '';
  const err: string[] = [];
  const code = await runJournalCommand(argv, { write: (t) => (out += t), error: (l) => err.push(l), now: () => NOW });
  return { code, out, err };
}

/** Two workers on two pools over three hours: what the reports below are checked against. */
function fixtureRows(): ShareRow[] {
  const t = (hoursAgo: number, ms = 0): number => NOW - hoursAgo * HOUR + ms;
  return [
    shareRow({ time: t(2.5), worker: 'rig1', pool: 'main', result: 'accepted', difficulty: 1000, latencyMs: 10, audit: 'valid_accepted' }),
    shareRow({ time: t(2.4), worker: 'rig1', pool: 'main', result: 'rejected', reason: 'low_difficulty', latencyMs: 20, audit: 'valid_rejected' }),
    shareRow({ time: t(1.5), worker: 'rig2', pool: 'main', result: 'accepted', difficulty: 3000, latencyMs: 30, audit: 'invalid_accepted' }),
    shareRow({ time: t(0.5), worker: 'rig2', pool: 'backup', result: 'rejected', reason: 'stale', latencyMs: 40, audit: 'invalid_rejected' }),
    shareRow({ time: t(0.4), worker: 'rig2', pool: 'backup', result: 'timeout', latencyMs: null, audit: 'valid' }),
    shareRow({ time: t(0.3), worker: 'rig1', pool: 'backup', result: 'lost', latencyMs: null, audit: null, blockCandidate: true }),
  ];
}

describe('stratum-proxy shares and report', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'srl-journal-cli-'));
    file = join(dir, 'journal.sqlite');
    const backend = new SqliteBackend({ path: file });
    await backend.migrate();
    await backend.write({ shares: fixtureRows(), connections: [] });
    await backend.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the shares newest first, filtered by worker, result and time', async () => {
    const all = await run('shares', '--journal', file, '--format', 'json');
    expect(all.code).toBe(0);
    const rows = JSON.parse(all.out) as { id: number; worker: string; result: string; time: string }[];
    expect(rows.map((r) => r.id)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(rows[0]).toMatchObject({ worker: 'rig1', result: 'lost', block_candidate: true, latency_ms: null, time: new Date(NOW - 0.3 * HOUR).toISOString() });
    const some = await run('shares', '--journal', file, '--worker', 'rig2', '--result', 'rejected', '--format=json');
    expect((JSON.parse(some.out) as { id: number }[]).map((r) => r.id)).toEqual([4]);
    const recent = await run('shares', '--journal', file, '--since', '1h', '--format', 'csv', '--limit', '2');
    expect(recent.out.trim().split('\n')).toHaveLength(3);
    expect(recent.out.split('\n')[0]).toBe('id,time,worker,pool,job_id,difficulty,result,reason,audit,share_difficulty,block_candidate,latency_ms,connection_id,remote_address');
    const table = await run('shares', '--journal', file);
    expect(table.out.split('\n')[0]).toMatch(/^id\s+time\s+worker/);
  });

  it('reports per worker: fates, rejects by reason, accepted difficulty and hashrate, latency, and the audit disagreements with their row ids', async () => {
    const r = await run('report', '--journal', file, '--since', '3h', '--by', 'worker', '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { groups: Record<string, unknown>[]; total: Record<string, unknown> };
    const [rig1, rig2] = report.groups;
    expect(rig1).toMatchObject({
      group: 'rig1',
      shares: 3,
      accepted: 1,
      rejected: 1,
      rejected_by_reason: { low_difficulty: 1 },
      timeouts: 0,
      lost: 1,
      accepted_difficulty: 1000,
      latency_median_ms: 10,
      latency_p99_ms: 20,
      valid_rejected_ids: [2],
      invalid_accepted_ids: [],
      block_candidate_ids: [6],
    });
    // 1,000 difficulty over the 3 hours asked for: 1000 * 2^32 / 10,800 s.
    expect(rig1?.['hashrate_hs']).toBeCloseTo((1000 * 2 ** 32) / 10_800, 6);
    expect(rig2).toMatchObject({ group: 'rig2', accepted: 1, rejected: 1, timeouts: 1, lost: 0, invalid_accepted_ids: [3], valid_rejected_ids: [] });
    expect(report.total).toMatchObject({ shares: 6, accepted: 2, rejected: 2, timeouts: 1, lost: 1, accepted_difficulty: 4000, latency_median_ms: 20, latency_p99_ms: 40 });
  });

  it('reports per pool and per hour, and prints the evidence in the terminal table', async () => {
    const pools = JSON.parse((await run('report', '--journal', file, '--by', 'pool', '--format', 'json')).out) as { groups: { group: string; shares: number }[] };
    expect(pools.groups.map((g) => [g.group, g.shares])).toEqual([
      ['backup', 3],
      ['main', 3],
    ]);
    const hours = JSON.parse((await run('report', '--journal', file, '--since', '3h', '--by', 'hour', '--format', 'json')).out) as {
      groups: { group: string; shares: number; hashrate_hs: number }[];
    };
    expect(hours.groups.map((g) => [g.group, g.shares])).toEqual([
      ['2024-06-01T10:00Z', 2],
      ['2024-06-01T11:00Z', 1],
      ['2024-06-01T12:00Z', 3],
    ]);
    // The 10:00 hour counts from --since (09:30 is before it: the whole hour) and the accepted 1000.
    expect(hours.groups[0]?.hashrate_hs).toBeCloseTo((1000 * 2 ** 32) / 3600, 6);
    const table = await run('report', '--journal', file, '--by', 'worker');
    expect(table.out).toContain('rig1: valid shares the pool rejected, ids 2');
    expect(table.out).toContain('rig2: invalid shares the pool accepted, ids 3');
    const csv = await run('report', '--journal', file, '--format', 'csv');
    expect(csv.out.split('\n')[1]).toMatch(/^total,6,2,2,low_difficulty:1 stale:1,1,1,4000,/);
  });

  it.each([
    [['shares'], 'stratum-proxy shares: --journal <file|postgres://…> is required'],
    [['shares', '--journal', 'x', '--since', 'yesterday'], 'stratum-proxy shares: --since "yesterday" is not valid: expected a duration such as 30m, 1h, 24h or 7d'],
    [['shares', '--journal', 'x', '--result', 'won'], 'stratum-proxy shares: --result "won" is not valid: expected one of accepted, rejected, timeout, lost'],
    [['report', '--journal', 'x', '--by', 'day'], 'stratum-proxy report: --by "day" is not valid: expected one of worker, pool, hour'],
    [['report', '--journal', 'x', '--format', 'xml'], 'stratum-proxy report: --format "xml" is not valid: expected one of table, json, csv'],
    [['report', '--journal', 'x', '--result', 'lost'], 'stratum-proxy report: unknown flag --result (expected --journal, --since, --worker, --pool, --by, --format)'],
    [['shares', '--journal', 'x', '--limit', '0'], 'stratum-proxy shares: --limit "0" is not valid: expected a positive integer or none'],
    [['shares', '--journal'], 'stratum-proxy shares: --journal needs a value'],
    [['shares', '--journal', 'x', '--worker', 'a', '--worker', 'b'], 'stratum-proxy shares: --worker is given twice'],
    [['shares', '--journal', 'mysql://db/x'], 'stratum-proxy shares: mysql://db/x: only file paths (SQLite) and postgres:// URLs are journals'],
  ])('refuses %j with exit 2 and one line', async (argv, line) => {
    const r = await run(...argv);
    expect(r).toEqual({ code: 2, out: '', err: [line] });
  });

  it('exits 1 with one line for a file that is missing or not a journal, and never creates one', async () => {
    const missing = await run('shares', '--journal', join(dir, 'nope.sqlite'));
    expect(missing.code).toBe(1);
    expect(missing.err).toHaveLength(1);
    expect(missing.err[0]).toMatch(/^stratum-proxy shares: cannot open the SQLite journal .*nope\.sqlite/);
    expect(existsSync(join(dir, 'nope.sqlite'))).toBe(false);
    const other = join(dir, 'other.sqlite');
    writeFileSync(other, '');
    const notJournal = await run('report', '--journal', other);
    expect(notJournal).toMatchObject({ code: 1, err: [expect.stringContaining('has no share journal')] });
  });

  it('prints its usage for --help', async () => {
    const r = await run('report', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('stratum-proxy report --journal');
  });

  describe('on PostgreSQL', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      await POSTGRES.setup();
      db = await POSTGRES.create();
      await db.backend.migrate();
      await db.backend.write({ shares: fixtureRows(), connections: [] });
    }, 30_000);
    afterAll(async () => {
      await db.dispose();
      await POSTGRES.teardown();
    });

    it('gives the same report as SQLite for the same rows', async () => {
      const url = (db.backend as unknown as { pool: { options: { connectionString: string } } }).pool.options.connectionString;
      const fromPg = await run('report', '--journal', url, '--since', '3h', '--by', 'worker', '--format', 'json');
      const fromSqlite = await run('report', '--journal', file, '--since', '3h', '--by', 'worker', '--format', 'json');
      expect(fromPg.err).toEqual([]);
      expect(fromPg.out).toBe(fromSqlite.out);
    });
  });
});
