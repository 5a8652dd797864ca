import type * as net from 'node:net';

/**
 * Stopping and restarting a socket's reads from its file descriptor, for a handover.
 *
 * Node has no public way to stop an established `net.Socket` from reading: `pause()` only stops
 * 'data' events, and the socket keeps reading from the descriptor into its buffer up to the
 * highWaterMark. That is not good enough before the descriptor is sent to another process:
 * child_process replaces the handle's `onread` with a no-op while the handle is in flight, so
 * whatever libuv reads then is silently dropped (bytes lost mid-stream). So this is the one place
 * that reaches into Node's internals, the same ones `net` itself uses (`Socket.prototype.pause`
 * with an `onread` buffer, `tryReadStart`): the handle's `reading` flag and `readStop()`, and the
 * readable state's `reading` / `ended` flags.
 */

interface StreamHandle {
  reading?: boolean;
  readStop?: () => number;
  readStart?: () => number;
}

interface InternalSocket {
  _handle?: StreamHandle | null;
  _readableState?: { reading?: boolean; ended?: boolean };
}

/** Whether this socket reads from a descriptor this module can stop (a TCP or pipe handle). */
export function canStopReading(socket: net.Socket): boolean {
  const handle = (socket as unknown as InternalSocket)._handle;
  return handle !== null && handle !== undefined && typeof handle.readStop === 'function' && typeof handle.readStart === 'function';
}

export interface Unread {
  /** Bytes the socket had read from its descriptor that nobody consumed (empty when none). */
  readonly bytes: Buffer;
  /** The peer's FIN was read too (it is behind `bytes`): the socket will emit 'end'. */
  readonly eof: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * Stops reading and returns what the socket had buffered. Synchronous: nothing can be read
 * between the first and the last line (libuv reads only in the event loop's poll phase), and
 * after it the descriptor keeps whatever the peer sends (TCP flow control holds the rest).
 *
 * The caller must have removed its 'data' listeners first: `read()` emits 'data' for what it
 * returns. Call {@link canStopReading} before.
 */
export function stopReading(socket: net.Socket): Unread {
  socket.pause();
  const chunks: Buffer[] = [];
  // read() may start the handle reading again (it refills below the highWaterMark); harmless,
  // it is stopped below before the event loop can run.
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) chunks.push(chunk);
  const internal = socket as unknown as InternalSocket;
  const handle = internal._handle as StreamHandle;
  handle.reading = false;
  (handle.readStop as () => number).call(handle);
  const state = internal._readableState;
  // No read is outstanding any more: without this, a later resume() (here after an aborted
  // handover, or by another owner of this very socket object) would wait for a push that never
  // comes instead of starting the handle again.
  if (state !== undefined) state.reading = false;
  return { bytes: chunks.length === 0 ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), eof: socket.readableEnded || state?.ended === true };
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Resolves once everything written to the socket so far has been handed to the kernel (or the
 * socket closed). A zero-length write completes only after every write before it, and its
 * callback runs then; 'drain' would not do: it only comes after a write returned false.
 */
export function flushed(socket: net.Socket): Promise<void> {
  if (socket.writableLength === 0 || socket.destroyed) return RESOLVED;
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('close', done);
      resolve();
    };
    socket.once('close', done);
    socket.write(EMPTY, done);
  });
}

/**
 * Stops a socket that just arrived over IPC (`process.on('message', (msg, socket) => …)`) from
 * reading. Node builds a received `net.Socket` reading at once (its constructor calls `read(0)`),
 * so a process that only passes the socket on (a cluster primary between two workers) or holds it
 * until the other socket of its connection arrives would take the peer's bytes off the
 * descriptor, and they would never reach the process that relays it. Called synchronously in the
 * 'message' listener, nothing can have been read yet (Node delivers the message on the same
 * nextTick queue that built the socket, before the event loop polls): the returned bytes are
 * then empty. Null when the socket has no descriptor this module can stop.
 */
export function holdReceivedSocket(socket: net.Socket): Unread | null {
  if (!canStopReading(socket)) return null;
  return stopReading(socket);
}
