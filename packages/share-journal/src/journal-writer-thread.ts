/**
 * The worker thread that owns the journal's database connection (started by
 * JournalThreadBackend). better-sqlite3 is synchronous: here a 1,000-row transaction, a lock wait
 * (busy_timeout) or a prune holds this thread, never the relay's event loop. For PostgreSQL, pg's
 * work per batch (13 column arrays serialized, the protocol, the answers parsed) is done here too.
 * Requests are handled one at a time, in order, each answered by its id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { JournalBackend } from './journal-backend';
import { decodeBatch } from './journal-batch-codec';
import type { StoredShare } from './journal-rows';
import { SCAN_CHUNK_ROWS, toThreadError, type JournalThreadData, type JournalThreadReply, type JournalThreadRequest } from './journal-thread-protocol';
import { PostgresBackend } from './postgres-backend';
import { SqliteBackend } from './sqlite-backend';

const port = parentPort;
if (port === null) throw new Error('journal-writer-thread runs as a worker thread (JournalThreadBackend starts it)');
const data = workerData as JournalThreadData;
let backend: JournalBackend | null = null;

/** Opened on the first request, and again after an open that failed (a directory created meanwhile). */
function open(): JournalBackend {
  if (backend !== null) return backend;
  const { target } = data;
  backend =
    target.kind === 'sqlite'
      ? new SqliteBackend({ path: target.path, busyTimeoutMs: data.busyTimeoutMs })
      : new PostgresBackend({ url: target.url, ...(data.applicationName !== null ? { applicationName: data.applicationName } : {}) });
  return backend;
}

async function run(request: JournalThreadRequest): Promise<unknown> {
  switch (request.op) {
    case 'migrate':
      return open().migrate(request.target);
    case 'schemaVersions':
      return open().schemaVersions();
    case 'write':
      return open().write(decodeBatch(request.batch));
    case 'pruneChunk':
      return open().pruneChunk(request.beforeMs, request.limit);
    case 'listShares':
      return open().listShares(request.filter, request.limit);
    case 'scanShares': {
      let chunk: StoredShare[] = [];
      await open().scanShares(request.filter, (row) => {
        chunk.push(row);
        if (chunk.length >= SCAN_CHUNK_ROWS) {
          reply({ id: request.id, kind: 'rows', rows: chunk });
          chunk = [];
        }
      });
      if (chunk.length > 0) reply({ id: request.id, kind: 'rows', rows: chunk });
      return undefined;
    }
    case 'countRows':
      return open().countRows(request.table);
    case 'close': {
      const b = backend;
      backend = null;
      await b?.close();
      return undefined;
    }
  }
}

function reply(message: JournalThreadReply): void {
  port!.postMessage(message);
}

// One at a time, in the order sent: the writer's batches stay in order, a prune waits its turn.
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: JournalThreadRequest) => {
  queue = queue.then(async () => {
    try {
      reply({ id: request.id, kind: 'done', value: await run(request) });
    } catch (error) {
      reply({ id: request.id, kind: 'failed', error: toThreadError(error) });
    }
  });
});
