import * as net from 'node:net';
import { ByteCapture } from './byte-capture';
import type { Cleanup } from './cleanup';
import { waitUntil } from './wait';

/** A loopback "pool": accepts on 127.0.0.1:0, captures what each connection receives, runs a script per socket. */
export interface ScriptedPool {
  readonly port: number;
  readonly server: net.Server;
  readonly sockets: net.Socket[];
  readonly captures: ByteCapture[];
  /** Waits for the `index`-th accepted socket. */
  socket(index?: number): Promise<{ socket: net.Socket; capture: ByteCapture }>;
}

export async function startPool(
  cleanup: Cleanup,
  script?: (socket: net.Socket, capture: ByteCapture) => void,
): Promise<ScriptedPool> {
  const sockets: net.Socket[] = [];
  const captures: ByteCapture[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const capture = new ByteCapture(socket);
    sockets.push(socket);
    captures.push(capture);
    script?.(socket, capture);
  });
  cleanup.add(() => closeServer(server, sockets));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    server,
    sockets,
    captures,
    async socket(index = 0) {
      await waitUntil(() => sockets.length > index, `pool socket #${index}`);
      return { socket: sockets[index] as net.Socket, capture: captures[index] as ByteCapture };
    },
  };
}

/** A port with nothing listening on it (bound then released): connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function closeServer(server: net.Server, sockets: net.Socket[] = []): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
