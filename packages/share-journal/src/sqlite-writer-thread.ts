/**
 * The worker thread that owns the journal's better-sqlite3 connection (started by
 * SqliteThreadBackend). better-sqlite3 is synchronous: here a 1,000-row transaction, a lock wait
 * (busy_timeout) or a prune holds this thread, never the relay's event loop. Requests are handled
 * one at a time, in order, each answered by its id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBatch } from './journal-batch-codec';
import type { StoredShare } from './journal-rows';
import { SqliteBackend } from './sqlite-backend';
import { SCAN_CHUNK_ROWS, toThreadError, type SqliteThreadData, type SqliteThreadReply, type SqliteThreadRequest } from './sqlite-thread-protocol';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-thread runs as a worker thread (SqliteThreadBackend starts it)');
const data = workerData as SqliteThreadData;
let backend: SqliteBackend | null = null;

/** Opened on the first request, and again after an open that failed (a directory created meanwhile). */
function open(): SqliteBackend {
  backend ??= new SqliteBackend({ path: data.path, busyTimeoutMs: data.busyTimeoutMs });
  return backend;
}

async function run(request: SqliteThreadRequest): Promise<unknown> {
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

function reply(message: SqliteThreadReply): void {
  port!.postMessage(message);
}

// One at a time: the backend's calls are synchronous underneath, so chaining keeps them in order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: SqliteThreadRequest) => {
  queue = queue.then(async () => {
    try {
      reply({ id: request.id, kind: 'done', value: await run(request) });
    } catch (error) {
      reply({ id: request.id, kind: 'failed', error: toThreadError(error) });
    }
  });
});
