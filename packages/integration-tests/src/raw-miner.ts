import { connect, type Socket } from 'node:net';
import { IntegrationError, WaitTimeoutError } from './errors';
import { waitFor } from './wait-for';

/**
 * A bare TCP Stratum client for tests: sends exactly the bytes it is given (odd, illegal or
 * huge) and records every byte it sent and received, so a test can compare them with what the
 * pool captured. It never interprets anything unless asked (`responses()`).
 */
export class RawMiner {
  private readonly sentChunks: Buffer[] = [];
  private readonly receivedChunks: Buffer[] = [];
  private receivedLength = 0;
  private isClosed = false;
  /** Resolves when the socket closed (either side, any reason). */
  readonly closed: Promise<void>;
  /**
   * Resolves when the other side is done sending: its FIN arrived, or the socket closed. The
   * socket is half-open (allowHalfOpen), so a peer that closes on us shows here first and in
   * `closed` only after our own `end()`.
   */
  readonly peerEnded: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.receivedChunks.push(chunk);
      this.receivedLength += chunk.length;
    });
    // The proxy may reset us (that is sometimes the point of a test): never an unhandled error.
    socket.on('error', () => undefined);
    this.peerEnded = new Promise((resolve) => {
      socket.once('end', () => resolve());
      socket.once('close', () => resolve());
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  /** Connects (allowHalfOpen: after `end()` it still reads what the other side sends). */
  static connect(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<RawMiner> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, allowHalfOpen: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new WaitTimeoutError(`connect to ${host}:${port} took over ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawMiner(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new IntegrationError('SRL_ERR_IT_SOCKET', `connect to ${host}:${port}: ${err.message}`, { cause: err }));
      });
    });
  }

  /** Writes `data` as is; resolves once it was handed to the kernel. */
  send(data: string | Buffer): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.sentChunks.push(buf);
    return new Promise((resolve, reject) => {
      this.socket.write(buf, (err) => (err ? reject(new IntegrationError('SRL_ERR_IT_SOCKET', `write failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  /** Sends one JSON-RPC request line (`\n`-terminated). */
  request(id: number | string | null, method: string, params: unknown[]): Promise<void> {
    return this.send(`${JSON.stringify({ id, method, params })}\n`);
  }

  /** Every byte sent so far. */
  get sent(): Buffer {
    return Buffer.concat(this.sentChunks);
  }

  /** Every byte received so far. */
  get received(): Buffer {
    return Buffer.concat(this.receivedChunks, this.receivedLength);
  }

  get receivedBytes(): number {
    return this.receivedLength;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Complete received lines that are JSON objects (anything else is skipped). */
  messages(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const text = this.received.toString('utf8');
    const end = text.lastIndexOf('\n');
    for (const line of text.slice(0, end + 1).split('\n')) {
      try {
        const v: unknown = JSON.parse(line);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
      } catch {
        // not JSON: the pool-sim chaos profile sends garbage lines on purpose
      }
    }
    return out;
  }

  /** The first received message that answers `id` (has `id` and a `result` or `error` key). */
  async waitForResponse(id: number | string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return waitFor(() => this.messages().find((m) => m['id'] === id && ('result' in m || 'error' in m)), {
      timeoutMs,
      intervalMs: 20,
      what: `the answer to request id ${JSON.stringify(id)}`,
      context: () => this.received.toString('utf8').slice(-2000),
    });
  }

  /** Half-close (FIN) and wait until the other side closes too (then the socket is gone). */
  async end(timeoutMs = 10_000): Promise<void> {
    this.socket.end();
    await Promise.race([
      this.closed,
      new Promise<void>((_resolve, reject) => {
        const t = setTimeout(() => reject(new WaitTimeoutError(`the peer did not close within ${timeoutMs} ms after our FIN`)), timeoutMs);
        void this.closed.then(() => clearTimeout(t));
      }),
    ]);
  }

  /** Drop the connection at once (RST if data is pending). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Reset the connection (RST), like a miner that crashed. */
  reset(): void {
    this.socket.resetAndDestroy();
  }
}
