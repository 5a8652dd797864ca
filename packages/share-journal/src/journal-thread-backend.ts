import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { JournalError, type JournalErrorCode } from './errors';
import type { JournalBackend, JournalBatch, JournalTable } from './journal-backend';
import { encodeBatch, transferables } from './journal-batch-codec';
import type { StoredShare } from './journal-rows';
import type { JournalTarget } from './journal-target';
import type { JournalThreadData, JournalThreadError, JournalThreadReply, JournalThreadRequest } from './journal-thread-protocol';
import { LATEST_SCHEMA_VERSION, type Dialect } from './migrations';
import type { ShareFilter } from './share-query';
import { SqliteBackend } from './sqlite-backend';

export interface JournalThreadBackendOptions {
  readonly target: JournalTarget;
  /**
   * SQLite: how long a write waits for another writer's lock (WORKERS > 1 share the file) before
   * it fails and the writer retries later. The wait happens on the journal's thread, not the
   * relay's: it can be long enough that processes writing together rarely fail at all (default 1 s).
   */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: the name shown in pg_stat_activity. */
  readonly applicationName?: string;
}

/** A request before it is given its id (Omit over each member of the union). */
type Request = JournalThreadRequest extends infer R ? (R extends JournalThreadRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onRows?: (row: StoredShare) => void;
}

/**
 * The journal as the relay writes it: SqliteBackend or PostgresBackend run in a worker thread
 * that owns the database connection (journal-writer-thread.ts), so no batch write, lock wait or
 * prune ever holds the relay's event loop (with SQLite on the loop, the longest 1,000-row batch
 * held it for 69 ms at 5,000 shares/s; pg's serializing of a batch cost the loop ~5 µs a row; see
 * docs/BENCHMARKS.md). Each call is one message; batches cross in a compact encoding
 * (journal-batch-codec.ts). The writer above (ShareJournal) is unchanged: it awaits each call, so
 * its bounded queue, drops, retries and final flush stay exact.
 *
 * The thread is started on the first call and kept referenced only while a call is in flight (an
 * idle journal never keeps the process alive, a flush in progress does). A thread that dies
 * fails the calls in flight, and the next call starts a new one.
 */
export class JournalThreadBackend implements JournalBackend {
  readonly dialect: Dialect;
  private readonly data: JournalThreadData;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** @throws JournalError SRL_ERR_JOURNAL_OPEN when a SQLite file cannot be a journal (checked once, synchronously, at start). */
  constructor(options: JournalThreadBackendOptions) {
    const { target } = options;
    this.dialect = target.kind;
    this.data = { target, busyTimeoutMs: Math.max(0, Math.floor(options.busyTimeoutMs ?? 1000)), applicationName: options.applicationName ?? null };
    // A SQLite file is opened and closed once here, so a missing directory or a file that is not a
    // database stops the program at start, instead of being retried forever in the background.
    // (PostgreSQL connects on the first query, and a server that is away is retried like a failure.)
    if (target.kind === 'sqlite') void new SqliteBackend({ path: target.path, busyTimeoutMs: this.data.busyTimeoutMs }).close();
  }

  migrate(target: number = LATEST_SCHEMA_VERSION): Promise<number[]> {
    return this.call({ op: 'migrate', target }) as Promise<number[]>;
  }

  schemaVersions(): Promise<number[]> {
    return this.call({ op: 'schemaVersions' }) as Promise<number[]>;
  }

  async write(batch: JournalBatch): Promise<void> {
    const encoded = encodeBatch(batch);
    await this.call({ op: 'write', batch: encoded }, transferables(encoded));
  }

  pruneChunk(beforeMs: number, limit: number): Promise<number> {
    return this.call({ op: 'pruneChunk', beforeMs, limit }) as Promise<number>;
  }

  listShares(filter: ShareFilter, limit: number | null): Promise<StoredShare[]> {
    return this.call({ op: 'listShares', filter, limit }) as Promise<StoredShare[]>;
  }

  async scanShares(filter: ShareFilter, onRow: (row: StoredShare) => void): Promise<void> {
    await this.call({ op: 'scanShares', filter }, [], onRow);
  }

  countRows(table: JournalTable): Promise<number> {
    return this.call({ op: 'countRows', table }) as Promise<number>;
  }

  /** Closes the database (after the calls already sent) and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (worker !== null) await this.call({ op: 'close' }).catch(() => undefined);
    this.closed = true;
    this.worker = null;
    await worker?.terminate();
  }

  private call(request: Request, transfer: ArrayBuffer[] = [], onRows?: (row: StoredShare) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new JournalError('SRL_ERR_JOURNAL_OPEN', 'the journal is closed'));
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject, ...(onRows !== undefined ? { onRows } : {}) });
      try {
        worker.postMessage({ ...request, id }, transfer);
      } catch (error) {
        // Not cloneable: nothing was sent, so nothing will answer; the thread must not stay referenced.
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private thread(): Worker {
    if (this.worker !== null) return this.worker;
    const script = threadScript();
    const worker = new Worker(script.file, { workerData: this.data, execArgv: script.execArgv, env: script.env });
    worker.unref();
    worker.on('message', (reply: JournalThreadReply) => this.onReply(reply));
    worker.on('error', (error) => this.onThreadEnd(worker, error));
    worker.on('exit', (code) => this.onThreadEnd(worker, new Error(`the journal's thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: JournalThreadReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    if (reply.kind === 'rows') {
      for (const row of reply.rows) pending.onRows?.(row);
      return;
    }
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.kind === 'done') pending.resolve(reply.value);
    else pending.reject(fromThreadError(reply.error));
  }

  /** The thread failed or exited: what it was doing fails (the writer retries), the next call starts another. */
  private onThreadEnd(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = null;
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) p.reject(error);
  }
}

/**
 * The thread's script: the compiled sibling. Run from the TypeScript sources (jest maps the
 * packages to src/), the .ts file through ts-node (the repository's devDependency) with this
 * package's compiler options.
 */
function threadScript(): { file: string; execArgv: string[]; env: NodeJS.ProcessEnv } {
  if (!__filename.endsWith('.ts')) return { file: join(__dirname, 'journal-writer-thread.js'), execArgv: [], env: process.env };
  return {
    file: join(__dirname, 'journal-writer-thread.ts'),
    execArgv: ['--require', 'ts-node/register/transpile-only'],
    env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', 'tsconfig.json') },
  };
}

const JOURNAL_CODES: ReadonlySet<string> = new Set<JournalErrorCode>([
  'SRL_ERR_JOURNAL_TARGET',
  'SRL_ERR_JOURNAL_OPEN',
  'SRL_ERR_JOURNAL_MIGRATION',
  'SRL_ERR_JOURNAL_NOT_A_JOURNAL',
  'SRL_ERR_JOURNAL_USAGE',
]);

/** The thread's error as the caller would have seen it in-process: a JournalError keeps its class, SQLite's its code. */
function fromThreadError(e: JournalThreadError): Error {
  if (e.name === 'JournalError' && e.code !== null && JOURNAL_CODES.has(e.code)) return new JournalError(e.code as JournalErrorCode, e.message);
  const error = new Error(e.message) as Error & { code?: string };
  error.name = e.name;
  if (e.code !== null) error.code = e.code;
  return error;
}
