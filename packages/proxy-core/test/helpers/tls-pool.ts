import type * as net from 'node:net';
import * as tls from 'node:tls';
import { ByteCapture } from './byte-capture';
import type { Cleanup } from './cleanup';
import type { KeyPair } from './test-certs';
import { waitUntil } from './wait';

/** A loopback pool behind TLS: what each decrypted connection received, and the SNI it asked for. */
export interface TlsPool {
  readonly port: number;
  readonly server: tls.Server;
  /** TCP connections accepted, handshake or not. */
  readonly tcpAccepts: () => number;
  readonly sockets: tls.TLSSocket[];
  readonly captures: ByteCapture[];
  /** SNI of each secured connection (`false` when the client sent none). */
  readonly servernames: Array<string | false>;
  socket(index?: number): Promise<{ socket: tls.TLSSocket; capture: ByteCapture }>;
}

/** Starts a TLS pool on `host`:0 presenting `pair`, optionally running `script` on each secured socket. */
export async function startTlsPool(
  cleanup: Cleanup,
  pair: KeyPair,
  script?: (socket: tls.TLSSocket, capture: ByteCapture) => void,
  host = '127.0.0.1',
): Promise<TlsPool> {
  const sockets: tls.TLSSocket[] = [];
  const captures: ByteCapture[] = [];
  const servernames: Array<string | false> = [];
  const raw: net.Socket[] = [];
  const server = tls.createServer({ key: pair.key, cert: pair.cert, allowHalfOpen: true }, (socket) => {
    const capture = new ByteCapture(socket);
    sockets.push(socket);
    captures.push(capture);
    servernames.push(socket.servername ?? false);
    script?.(socket, capture);
  });
  server.on('connection', (socket: net.Socket) => raw.push(socket));
  // A client that gives up on our certificate is expected here, not a failure of the pool.
  server.on('tlsClientError', () => {});
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of raw) socket.destroy();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    server,
    tcpAccepts: () => raw.length,
    sockets,
    captures,
    servernames,
    async socket(index = 0) {
      await waitUntil(() => sockets.length > index, `TLS pool socket #${index}`, 10_000);
      return { socket: sockets[index] as tls.TLSSocket, capture: captures[index] as ByteCapture };
    },
  };
}
