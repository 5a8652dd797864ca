/**
 * What the writer thread adds (the shared suite in journal-backends.test.ts runs the same
 * behaviour through it, for SQLite and PostgreSQL): the relay's thread is not held while SQLite
 * waits, errors keep their codes across the thread, a dead thread is replaced, and a bad path
 * fails at start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { JournalThreadBackend, NO_FILTER } from '@stratum-relay/share-journal';
import { shareRow } from './journal-fixtures';

describe('the journal on its own thread (SQLite)', () => {
  let dir: string;
  const cleanups: (() => unknown)[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'srl-journal-thread-'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let files = 0;
  function backend(busyTimeoutMs?: number): { backend: JournalThreadBackend; path: string } {
    const path = join(dir, `j${++files}.sqlite`);
    const b = new JournalThreadBackend({ target: { kind: 'sqlite', path }, ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
    cleanups.push(() => b.close());
    return { backend: b, path };
  }

  it("waits for another writer's lock on its own thread: the relay's timers keep firing meanwhile", async () => {
    const { backend: b, path } = backend(1500);
    await b.migrate();
    const locker = new Database(path);
    cleanups.push(() => locker.close());
    locker.exec('BEGIN EXCLUSIVE');
    const events: string[] = [];
    const write = b.write({ shares: [shareRow()], connections: [] }).then(
      () => events.push('write settled'),
      (error: { code?: string }) => events.push(`write failed ${error.code}`),
    );
    // With SQLite on this thread the 1.5 s busy wait would run before this timer could.
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.push('timer fired');
    await write;
    expect(events).toEqual(['timer fired', 'write failed SQLITE_BUSY']);
    locker.exec('COMMIT');
    await b.write({ shares: [shareRow({ worker: 'after' })], connections: [] });
    expect((await b.listShares(NO_FILTER, null)).map((r) => r.worker)).toEqual(['after']);
  });

  it('streams a scan in chunks, oldest first', async () => {
    const { backend: b } = backend();
    await b.migrate();
    await b.write({ shares: Array.from({ length: 2500 }, (_, i) => shareRow({ time: i })), connections: [] });
    const times: number[] = [];
    await b.scanShares(NO_FILTER, (row) => times.push(row.time));
    expect(times).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(await b.countRows('shares')).toBe(2500);
  });

  it('fails the calls of a thread that died, and starts a new thread for the next call', async () => {
    const { backend: b } = backend();
    await b.migrate();
    const worker = (b as unknown as { worker: Worker }).worker;
    const inFlight = b.countRows('shares');
    await worker.terminate();
    await expect(inFlight).rejects.toThrow(/exited/);
    await b.write({ shares: [shareRow()], connections: [] });
    expect(await b.countRows('shares')).toBe(1);
    expect((b as unknown as { worker: Worker }).worker).not.toBe(worker);
  });

  it('fails at start, with SRL_ERR_JOURNAL_OPEN, for a file that cannot be a journal', () => {
    expect(() => new JournalThreadBackend({ target: { kind: 'sqlite', path: join(dir, 'missing-directory', 'j.sqlite') } })).toThrow(expect.objectContaining({ code: 'SRL_ERR_JOURNAL_OPEN' }));
  });

  it('refuses calls after close', async () => {
    const { backend: b } = backend();
    await b.migrate();
    await b.close();
    await expect(b.countRows('shares')).rejects.toMatchObject({ code: 'SRL_ERR_JOURNAL_OPEN' });
  });
});
