/**
 * Test-only scripted Stratum peers over real loopback sockets: a pool that answers from a queue
 * the test controls, and a miner that writes lines and waits for specific answers. Both count
 * every byte and every message they write, so a test can compare them with /metrics exactly.
 */
import net from 'node:net';

export interface Written {
  bytes: number;
  /** Messages written by method ("response" for answers, "invalid" for non-JSON lines). */
  messages: Map<string, number>;
}

function newWritten(): Written {
  return { bytes: 0, messages: new Map() };
}

function record(w: Written, line: string): void {
  let key = 'invalid';
  try {
    const msg = JSON.parse(line) as { method?: unknown };
    key = typeof msg.method === 'string' ? msg.method : 'response';
  } catch {
    // stays "invalid"
  }
  w.messages.set(key, (w.messages.get(key) ?? 0) + 1);
}

/** Splits a socket's data into lines and hands each parsed JSON line to `onLine`. */
function onLines(socket: net.Socket, onLine: (msg: Record<string, unknown>, raw: string) => void): void {
  let tail = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    tail += chunk;
    let nl: number;
    while ((nl = tail.indexOf('\n')) !== -1) {
      const line = tail.slice(0, nl);
      tail = tail.slice(nl + 1);
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof msg === 'object' && msg !== null) onLine(msg as Record<string, unknown>, line);
    }
  });
}

export type PoolHandler = (msg: Record<string, unknown>, conn: ScriptedPoolConnection) => void;

export class ScriptedPoolConnection {
  readonly written = newWritten();
  /** Bytes written before the miner's mining.authorize arrived (attributed to client_id="unknown"). */
  bytesBeforeAuthorize = 0;
  authorized = false;
  constructor(readonly socket: net.Socket) {}

  send(obj: unknown): void {
    this.sendRaw(JSON.stringify(obj) + '\n');
  }

  sendRaw(text: string): void {
    const n = Buffer.byteLength(text);
    this.written.bytes += n;
    if (!this.authorized) this.bytesBeforeAuthorize += n;
    for (const line of text.split('\n')) if (line.length > 0) record(this.written, line);
    this.socket.write(text);
  }
}

export class ScriptedPool {
  readonly connections: ScriptedPoolConnection[] = [];
  private readonly server: net.Server;

  constructor(private readonly handler: PoolHandler) {
    this.server = net.createServer((socket) => {
      const conn = new ScriptedPoolConnection(socket);
      this.connections.push(conn);
      socket.on('error', () => {});
      onLines(socket, (msg) => {
        if (msg['method'] === 'mining.authorize') conn.authorized = true;
        this.handler(msg, conn);
      });
    });
  }

  /** Listens on 127.0.0.1, on `port` (0 = ephemeral); resolves with the port. */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class ScriptedMiner {
  readonly written = newWritten();
  /** Bytes written before the answer to mining.authorize was received. */
  bytesBeforeAuthorized = 0;
  authorizedSeen = false;
  readonly received: Array<Record<string, unknown>> = [];
  private waiters: Array<{ match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  /** Answer to pool requests (client.get_version): returns the result, or undefined to stay silent. */
  onPoolRequest: (msg: Record<string, unknown>) => unknown = () => undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('error', () => {});
    onLines(socket, (msg) => {
      this.received.push(msg);
      if (typeof msg['method'] === 'string' && msg['id'] !== null && msg['id'] !== undefined) {
        const result = this.onPoolRequest(msg);
        if (result !== undefined) this.send({ id: msg['id'], result, error: null });
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) {
        if (w.match(msg)) w.resolve(msg);
        else this.waiters.push(w);
      }
    });
  }

  static async connect(port: number): Promise<ScriptedMiner> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new ScriptedMiner(socket);
  }

  send(obj: unknown): void {
    this.sendRaw(JSON.stringify(obj) + '\n');
  }

  sendRaw(text: string): void {
    const n = Buffer.byteLength(text);
    this.written.bytes += n;
    if (!this.authorizedSeen) this.bytesBeforeAuthorized += n;
    for (const line of text.split('\n')) if (line.length > 0) record(this.written, line);
    this.socket.write(text);
  }

  /** Resolves with the first message (already received or future) that `match`es. */
  waitFor(match: (m: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('scripted miner: timed out waiting for a message')), timeoutMs);
      timer.unref();
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Sends a request and waits for the answer that follows it (the count of answers with this id grows by one). */
  async request(id: unknown, method: string, params: unknown[]): Promise<Record<string, unknown>> {
    const before = this.received.filter((m) => m['id'] === id && !('method' in m)).length;
    this.send({ id, method, params });
    let n = 0;
    return this.waitFor((m) => m['id'] === id && !('method' in m) && ++n > before);
  }

  async end(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Polls `check` until it returns true (bounded; generous deadline for a loaded CI machine). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
