import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** The bytes of one client connection through the tap. */
export interface TapSession {
  readonly id: number;
  /** Every byte the client sent. */
  readonly fromClient: Buffer;
  /** Every byte the client received. */
  readonly toClient: Buffer;
  /** Both sockets are closed. */
  readonly closed: boolean;
}

export interface TcpTap {
  /** Clients connect here (127.0.0.1). */
  readonly port: number;
  /** Sessions in connection order. */
  sessions(): TapSession[];
  /** Stop accepting and destroy every open session. */
  close(): Promise<void>;
}

interface LiveSession {
  id: number;
  fromClient: Buffer[];
  toClient: Buffer[];
  client: Socket;
  target: Socket;
  clientClosed: boolean;
  targetClosed: boolean;
}

/**
 * A byte-recording TCP relay for transparency tests, put between a client that does not expose
 * its raw bytes (miner-sim) and the proxy. It forwards each chunk as is and passes half-closes
 * through, so the client sees the same conversation as without it.
 */
export async function startTcpTap(target: { host: string; port: number }): Promise<TcpTap> {
  const sessions: LiveSession[] = [];
  let nextId = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const s: LiveSession = { id: nextId++, fromClient: [], toClient: [], client, target: upstream, clientClosed: false, targetClosed: false };
    sessions.push(s);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // Chunks are written in order; the upstream socket queues them until it connects.
    client.on('data', (chunk: Buffer) => {
      s.fromClient.push(chunk);
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      s.toClient.push(chunk);
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      s.clientClosed = true;
      if (!s.targetClosed && upstream.writableEnded === false) upstream.destroy();
    });
    upstream.on('close', () => {
      s.targetClosed = true;
      if (!s.clientClosed && client.writableEnded === false) client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    sessions: () =>
      sessions.map((s) => ({
        id: s.id,
        fromClient: Buffer.concat(s.fromClient),
        toClient: Buffer.concat(s.toClient),
        closed: s.clientClosed && s.targetClosed,
      })),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) {
        s.client.destroy();
        s.target.destroy();
      }
      await closed;
    },
  };
}
