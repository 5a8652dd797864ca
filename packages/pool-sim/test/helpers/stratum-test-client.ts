import { connect, type Socket } from 'node:net';
import { difficultyToTarget, HeaderHasher, meetsTarget, parseNotifyParams, type StratumJob } from '@stratum-relay/work';

export interface WireMessage {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

/**
 * A scripted Stratum client for tests: writes raw lines, collects every parsed line it
 * receives (and the raw bytes), and waits on them with a deadline.
 */
export class StratumTestClient {
  readonly messages: WireMessage[] = [];
  readonly rawLines: string[] = [];
  private readonly chunks: Buffer[] = [];
  private buffered = '';
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) !== -1) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.rawLines.push(line);
        try {
          this.messages.push(JSON.parse(line) as WireMessage);
        } catch {
          // Garbage lines (chaos) are kept in rawLines only.
        }
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async connect(port: number): Promise<StratumTestClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new StratumTestClient(socket);
  }

  get receivedBytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(obj: unknown): void {
    this.socket.write(`${JSON.stringify(obj)}\n`);
  }

  sendRaw(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Wait until `pick` finds something among the messages from the cursor on; consumes up to it. */
  async next(pick: (m: WireMessage) => boolean, timeoutMs = 10_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.messages.length; i++) {
        const m = this.messages[i]!;
        if (pick(m)) {
          this.cursor = i + 1;
          return m;
        }
      }
      if (this.closed) throw new Error('connection closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; got ${JSON.stringify(this.messages.slice(this.cursor))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next response (a message without a method). */
  nextResponse(timeoutMs?: number): Promise<WireMessage> {
    return this.next((m) => m.method === undefined, timeoutMs);
  }

  nextNotification(method: string, timeoutMs?: number): Promise<WireMessage> {
    return this.next((m) => m.method === method, timeoutMs);
  }

  async request(method: string, params: unknown[], id: unknown = 1): Promise<WireMessage> {
    this.send({ id, method, params });
    return this.nextResponse();
  }

  /** subscribe + authorize; returns the session's extranonces, difficulty and first job. */
  async handshake(worker = 'w1'): Promise<{ extranonce1: string; extranonce2Size: number; difficulty: number; job: StratumJob }> {
    const sub = await this.request('mining.subscribe', ['test-client/1.0']);
    const [, extranonce1, extranonce2Size] = sub.result as [unknown, string, number];
    const auth = await this.request('mining.authorize', [worker, 'x'], 2);
    if (auth.result !== true) throw new Error(`authorize failed: ${JSON.stringify(auth)}`);
    const diff = await this.nextNotification('mining.set_difficulty');
    const notify = await this.nextNotification('mining.notify');
    const job = parseNotifyParams(notify.params ?? []);
    if (job === null) throw new Error('bad notify');
    return { extranonce1, extranonce2Size, difficulty: diff.params?.[0] as number, job };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}

/**
 * Hash nonces from `start` until one meets (or, with `wantFail`, misses) the difficulty.
 * Bounded: throws after `maxNonces`.
 */
export function findNonce(
  job: StratumJob,
  extranonce1: string,
  extranonce2: string,
  difficulty: number,
  opts: { wantFail?: boolean; ntime?: string; version?: number; start?: number; maxNonces?: number } = {},
): string {
  const hasher = new HeaderHasher(job, extranonce1, extranonce2, opts.ntime, opts.version);
  const target = difficultyToTarget(difficulty);
  const start = opts.start ?? 0;
  const max = opts.maxNonces ?? 50_000_000;
  for (let n = start; n < start + max; n++) {
    const ok = meetsTarget(hasher.hash(n), target);
    if (ok !== (opts.wantFail === true)) return HeaderHasher.nonceHex(n);
  }
  throw new Error('no nonce found within the bound');
}

/** A nonce whose hash meets difficulty `easy` but not `hard` (bounded search). */
export function findNonceBetween(
  job: StratumJob,
  extranonce1: string,
  extranonce2: string,
  easy: number,
  hard: number,
  maxNonces = 50_000_000,
): string {
  const hasher = new HeaderHasher(job, extranonce1, extranonce2);
  const easyTarget = difficultyToTarget(easy);
  const hardTarget = difficultyToTarget(hard);
  for (let n = 0; n < maxNonces; n++) {
    const hash = hasher.hash(n);
    if (meetsTarget(hash, easyTarget) && !meetsTarget(hash, hardTarget)) return HeaderHasher.nonceHex(n);
  }
  throw new Error('no nonce found within the bound');
}
