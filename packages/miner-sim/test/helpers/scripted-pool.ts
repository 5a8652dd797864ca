import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import {
  buildCoinbaseParts,
  evaluateShare,
  headerBytesToStratumPrevhash,
  merkleBranchForCoinbase,
  parseNotifyParams,
  sha256d,
  type StratumJob,
} from '@stratum-relay/work';

/**
 * A tiny Stratum V1 pool for miner-sim's own tests (independent of pool-sim): subscribe,
 * authorize, configure, set_difficulty, notify with a real coinbase + merkle branch, and
 * submits validated with evaluateShare against the difficulty/extranonce1 each job was sent with.
 */
export interface ScriptedPoolOptions {
  difficulty?: number;
  extranonce1Size?: number;
  extranonce2Size?: number;
  /** After a successful authorize: send set_difficulty + the current job (clean). */
  autoNotify?: boolean;
  /** Answer mining.configure with version rolling allowed on this mask; null = refuse. */
  versionRollingMask?: number | null;
  /** Lines longer than this (without newline) make the pool drop the connection. */
  maxLineBytes?: number;
  /** Answer mining.submit at all (false: never answer, for timeout tests). */
  answerSubmits?: boolean;
}

export interface SubmitRecord {
  readonly conn: PoolConn;
  readonly id: unknown;
  readonly params: readonly unknown[];
  readonly jobId: string;
  readonly accepted: boolean;
  readonly code: number | null;
  readonly difficulty: number | null;
  /** Difficulty the job was sent with to this connection. */
  readonly jobDifficulty: number | null;
}

interface JobInfo {
  readonly job: StratumJob;
  readonly difficulty: number;
  readonly extranonce1: string;
}

export class PoolConn {
  readonly lines: unknown[] = [];
  readonly requests: { id: unknown; method: string; params: unknown[] }[] = [];
  readonly responses: { id: unknown; result: unknown; error: unknown }[] = [];
  subscribed = false;
  authorizedWorkers = new Set<string>();
  difficulty: number;
  extranonce1: string;
  versionMask: number | undefined;
  readonly jobs = new Map<string, JobInfo>();
  readonly seenShares = new Set<string>();
  malformed = 0;
  oversized = 0;
  closed = false;

  constructor(
    readonly socket: net.Socket,
    readonly index: number,
    difficulty: number,
    extranonce1: string,
  ) {
    this.difficulty = difficulty;
    this.extranonce1 = extranonce1;
  }

  send(obj: unknown): void {
    if (!this.socket.destroyed) this.socket.write(JSON.stringify(obj) + '\n');
  }
}

let jobCounter = 0;

/** Builds a valid job whose coinbase has room for `extranonceSize` bytes. */
export function makeJob(extranonceSize: number, cleanJobs = true): StratumJob {
  const n = ++jobCounter;
  const { coinb1, coinb2 } = buildCoinbaseParts({
    height: 800_000 + n,
    extranonceSize,
    valueSats: 625_000_000n,
    scriptPubKeyHex: '76a914' + '11'.repeat(20) + '88ac',
    tag: '/miner-sim-test/',
  });
  const txids = [1, 2, 3].map((i) => sha256d(Buffer.from(`tx-${n}-${i}`)));
  const branch = merkleBranchForCoinbase(txids).map((b) => b.toString('hex'));
  const prevhash = headerBytesToStratumPrevhash(sha256d(Buffer.from(`prev-${n}`)));
  const params = [n.toString(16), prevhash, coinb1, coinb2, branch, '20000000', '1d00ffff', (0x66000000 + n).toString(16), cleanJobs];
  const job = parseNotifyParams(params);
  if (job === null) throw new Error('test job did not parse');
  return job;
}

function notifyParams(job: StratumJob): unknown[] {
  return [job.jobId, job.prevhash, job.coinb1, job.coinb2, job.merkleBranch, job.version, job.nbits, job.ntime, job.cleanJobs];
}

export class ScriptedPool extends EventEmitter {
  readonly conns: PoolConn[] = [];
  readonly submits: SubmitRecord[] = [];
  readonly opts: Required<ScriptedPoolOptions>;
  currentJob: StratumJob;
  private readonly server: net.Server;
  private connCounter = 0;

  constructor(opts: ScriptedPoolOptions = {}) {
    super();
    this.opts = {
      difficulty: opts.difficulty ?? 1e-6,
      extranonce1Size: opts.extranonce1Size ?? 4,
      extranonce2Size: opts.extranonce2Size ?? 4,
      autoNotify: opts.autoNotify ?? true,
      versionRollingMask: opts.versionRollingMask ?? 0x1fffe000,
      maxLineBytes: opts.maxLineBytes ?? 16 * 1024,
      answerSubmits: opts.answerSubmits ?? true,
    };
    this.currentJob = makeJob(this.opts.extranonce1Size + this.opts.extranonce2Size);
    this.server = net.createServer((s) => this.onConnection(s));
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve(this.port));
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `stratum+tcp://127.0.0.1:${this.port}`;
  }

  get openConns(): PoolConn[] {
    return this.conns.filter((c) => !c.closed);
  }

  /** Stop listening and destroy every connection. */
  close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Stop accepting (resolves once every connection is closed too: call dropAll). */
  stopListening(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  dropAll(): void {
    for (const c of this.conns) c.socket.destroy();
  }

  setDifficulty(conn: PoolConn, d: number): void {
    conn.difficulty = d;
    conn.send({ id: null, method: 'mining.set_difficulty', params: [d] });
  }

  /** Send a job to one connection, remembering its difficulty and extranonce1 as of now. */
  notify(conn: PoolConn, job: StratumJob): void {
    if (job.cleanJobs) conn.jobs.clear();
    conn.jobs.set(job.jobId, { job, difficulty: conn.difficulty, extranonce1: conn.extranonce1 });
    conn.send({ id: null, method: 'mining.notify', params: notifyParams(job) });
  }

  /** A new job to every authorized connection. */
  newJob(cleanJobs: boolean): StratumJob {
    this.currentJob = makeJob(this.opts.extranonce1Size + this.opts.extranonce2Size, cleanJobs);
    for (const c of this.openConns) if (c.authorizedWorkers.size > 0) this.notify(c, this.currentJob);
    return this.currentJob;
  }

  private onConnection(socket: net.Socket): void {
    const index = ++this.connCounter;
    const en1 = index.toString(16).padStart(this.opts.extranonce1Size * 2, '0');
    const conn = new PoolConn(socket, index, this.opts.difficulty, en1);
    this.conns.push(conn);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.closed = true;
      this.emit('close', conn);
    });
    let tail = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      let buf = Buffer.concat([tail, chunk]);
      let nl: number;
      while ((nl = buf.indexOf(0x0a)) !== -1) {
        const line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 1);
        if (nl > this.opts.maxLineBytes) {
          conn.oversized++;
          this.emit('oversized', conn);
          socket.destroy();
          return;
        }
        this.onLine(conn, line);
      }
      if (buf.length > this.opts.maxLineBytes) {
        // Like real pools: a line this long without newline is abuse; drop the connection.
        conn.oversized++;
        this.emit('oversized', conn);
        socket.destroy();
        return;
      }
      tail = Buffer.from(buf);
    });
    this.emit('connection', conn);
  }

  private onLine(conn: PoolConn, line: string): void {
    if (line.trim() === '') return;
    let msg: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      conn.malformed++;
      conn.send({ id: null, result: null, error: [20, 'Malformed JSON', null] });
      this.emit('malformed', conn);
      return;
    }
    conn.lines.push(msg);
    if (typeof msg.method !== 'string') {
      conn.responses.push({ id: msg.id, result: msg.result, error: msg.error });
      this.emit('response', conn, msg);
      return;
    }
    const params = Array.isArray(msg.params) ? (msg.params as unknown[]) : [];
    conn.requests.push({ id: msg.id, method: msg.method, params });
    this.emit('request', conn, msg.method, params);
    const id = msg.id ?? null;
    switch (msg.method) {
      case 'mining.configure': {
        const mask = this.opts.versionRollingMask;
        if (mask === null) {
          conn.send({ id, result: { 'version-rolling': false }, error: null });
        } else {
          conn.versionMask = mask;
          conn.send({ id, result: { 'version-rolling': true, 'version-rolling.mask': mask.toString(16).padStart(8, '0') }, error: null });
        }
        return;
      }
      case 'mining.subscribe':
        conn.subscribed = true;
        conn.send({
          id,
          result: [[['mining.set_difficulty', '1'], ['mining.notify', '1']], conn.extranonce1, this.opts.extranonce2Size],
          error: null,
        });
        return;
      case 'mining.extranonce.subscribe':
        conn.send({ id, result: true, error: null });
        return;
      case 'mining.authorize': {
        const worker = String(params[0]);
        const ok = params[1] !== 'bad';
        if (ok) conn.authorizedWorkers.add(worker);
        conn.send({ id, result: ok, error: ok ? null : [24, 'Unauthorized worker', null] });
        if (ok && this.opts.autoNotify) {
          this.setDifficulty(conn, conn.difficulty);
          this.notify(conn, this.currentJob);
        }
        return;
      }
      case 'mining.submit':
        this.onSubmit(conn, id, params);
        return;
      default:
        conn.send({ id, result: null, error: [20, 'Unknown method', null] });
    }
  }

  private onSubmit(conn: PoolConn, id: unknown, params: unknown[]): void {
    const [worker, jobId, en2, ntime, nonce, versionBits] = params;
    const info = typeof jobId === 'string' ? conn.jobs.get(jobId) : undefined;
    let code: number | null = null;
    let difficulty: number | null = null;
    if (!conn.subscribed) code = 25;
    else if (typeof worker !== 'string' || !conn.authorizedWorkers.has(worker)) code = 24;
    else if (info === undefined) code = 21;
    else {
      const key = `${String(jobId)}/${String(en2)}/${String(ntime)}/${String(nonce)}/${String(versionBits)}`;
      try {
        const r = evaluateShare(info.job, {
          extranonce1: info.extranonce1,
          extranonce2: String(en2),
          ntime: String(ntime),
          nonce: String(nonce),
          ...(typeof versionBits === 'string' && conn.versionMask !== undefined ? { versionBits, versionMask: conn.versionMask } : {}),
        });
        difficulty = r.difficulty;
        if (conn.seenShares.has(key)) code = 22;
        else if (r.difficulty < info.difficulty) code = 23;
        else conn.seenShares.add(key);
      } catch {
        code = 20;
      }
    }
    const rec: SubmitRecord = {
      conn,
      id,
      params,
      jobId: String(jobId),
      accepted: code === null,
      code,
      difficulty,
      jobDifficulty: info?.difficulty ?? null,
    };
    this.submits.push(rec);
    this.emit('submit', rec);
    if (!this.opts.answerSubmits) return;
    conn.send(code === null ? { id, result: true, error: null } : { id, result: null, error: [code, 'rejected', null] });
  }
}
