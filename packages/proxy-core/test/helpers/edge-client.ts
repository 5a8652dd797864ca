import * as net from 'node:net';
import * as tls from 'node:tls';
import { ByteCapture } from './byte-capture';
import type { Cleanup } from './cleanup';

// Clients for the admission and TLS edge tests. 127.0.0.0/8 is all loopback on Linux, so a
// `localAddress` of 127.0.0.2, 127.0.0.3 … stands for another machine (another miner, a balancer).

export interface EdgeClient<S extends net.Socket = net.Socket> {
  readonly socket: S;
  readonly capture: ByteCapture;
}

export interface ConnectOptions {
  /** Source address (default 127.0.0.1). */
  readonly localAddress?: string;
  /** Bound on the connect (default 5 s). */
  readonly timeoutMs?: number;
}

/**
 * Resolves on `event`; rejects after `timeoutMs` (no wait in these tests is unbounded) and, unless
 * `errorsToo` is false, on 'error'.
 */
export function settle(socket: net.Socket, event: string, what: string, timeoutMs: number, errorsToo = true): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanupListeners();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const onEvent = (): void => {
      cleanupListeners();
      resolve();
    };
    const onError = (err: Error): void => {
      if (!errorsToo) return;
      cleanupListeners();
      reject(err);
    };
    const cleanupListeners = (): void => {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off('error', onError);
    };
    socket.once(event, onEvent);
    socket.once('error', onError);
  });
}

/** A plain TCP miner (half-open capable) from `localAddress`, connected. */
export async function connectFrom(cleanup: Cleanup, port: number, options: ConnectOptions = {}): Promise<EdgeClient> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: options.localAddress ?? '127.0.0.1', allowHalfOpen: true });
  socket.setNoDelay(true);
  const capture = new ByteCapture(socket);
  cleanup.add(() => socket.destroy());
  await settle(socket, 'connect', `TCP connect to :${port}`, options.timeoutMs ?? 5_000);
  return { socket, capture };
}

export interface TlsConnectOptions extends ConnectOptions {
  /** Trusted CA(s) (PEM). */
  readonly ca: Buffer;
  /** SNI and the name checked (default `localhost`). */
  readonly servername?: string;
  /** Run TLS over this already connected socket (e.g. after a PROXY header); `localAddress` is then ignored. */
  readonly over?: net.Socket;
}

function tlsSocket(cleanup: Cleanup, port: number, options: TlsConnectOptions): tls.TLSSocket {
  // tls.connect's types have no localAddress: open the TCP socket ourselves and run TLS over it
  // (the TLS socket takes allowHalfOpen from it).
  const tcp = options.over ?? net.connect({ host: '127.0.0.1', port, localAddress: options.localAddress ?? '127.0.0.1', allowHalfOpen: true });
  cleanup.add(() => tcp.destroy());
  const socket = tls.connect({ socket: tcp, ca: options.ca, servername: options.servername ?? 'localhost' });
  cleanup.add(() => socket.destroy());
  return socket;
}

/** A TLS miner, handshake done and the server verified against `ca`. */
export async function connectTls(cleanup: Cleanup, port: number, options: TlsConnectOptions): Promise<EdgeClient<tls.TLSSocket>> {
  const socket = tlsSocket(cleanup, port, options);
  const capture = new ByteCapture(socket);
  await settle(socket, 'secureConnect', `TLS handshake with :${port}`, options.timeoutMs ?? 5_000);
  return { socket, capture };
}

/** A TLS attempt expected to fail: resolves with the client's error code once the socket is gone. */
export async function failedTls(cleanup: Cleanup, port: number, options: TlsConnectOptions): Promise<string> {
  const socket = tlsSocket(cleanup, port, options);
  let code = '';
  socket.on('error', (err: NodeJS.ErrnoException) => {
    code ||= err.code ?? err.message;
  });
  let secured = false;
  socket.once('secureConnect', () => {
    secured = true;
  });
  await settle(socket, 'close', `the failed TLS attempt on :${port} to close`, options.timeoutMs ?? 5_000, false);
  if (secured && code === '') throw new Error(`the TLS handshake with :${port} succeeded`);
  return code;
}

/** Writes `data` one slice at a time with `gapMs` between slices (a header dribbled over many TCP segments); stops once the socket is destroyed. */
export async function dribble(socket: net.Socket, data: Buffer, sliceBytes: number, gapMs: number): Promise<void> {
  for (let offset = 0; offset < data.length && !socket.destroyed; offset += sliceBytes) {
    socket.write(data.subarray(offset, offset + sliceBytes));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
}
