import type { Socket } from 'node:net';
import type { Logger } from '@stratum-relay/logger';
import { LineSplitter } from '@stratum-relay/stratum-wire';
import type { JsonRpcId } from '@stratum-relay/shared-types';
import { NO_FAULT, type AnswerPlan, type ChaosPlanner } from './chaos-planner';
import type { JobBook } from './job-book';
import type { PoolJob } from './job-factory';
import type { PoolSimOptions } from './options';
import { REJECT_CODES, type RejectReason } from './reject-reason';
import { maskTraceLine } from './trace-mask';
import { SessionJobs } from './session-jobs';
import { judgeShare, type Judgement } from './share-judge';
import { addOutcome, emptyWorkerStats, type PoolFaults, type ShareOutcome, type StatsBook, type WorkerStats } from './stats-book';
import { parseSubmitParams } from './submit-params';
import type { TraceKind, TraceRing } from './trace-ring';
import type { Vardiff } from './vardiff';
import { acceptLine, errorLine, notificationLine, resultLine } from './wire';

/** Payload of the pool's `'share'` event: one per judged share, once its answer was sent (or not). */
export interface ShareEvent {
  readonly sessionId: number;
  readonly worker: string;
  readonly jobId: string | null;
  /** What went on the wire: `accepted`, a reject reason, or `dropped` when no answer was sent. */
  readonly verdict: ShareOutcome;
  /** What the pool decided before fault injection (equal to `verdict` unless dropped). */
  readonly judged: 'accepted' | RejectReason;
  /** The share target's difficulty the share was judged at. */
  readonly difficulty: number;
}

/** Bytes one session received and sent, when `captureBytes` is on. */
export interface SessionCapture {
  readonly sessionId: number;
  readonly extranonce1: string;
  readonly received: Buffer;
  readonly sent: Buffer;
  readonly open: boolean;
}

/** One session as the control API shows it (`GET /api/state`, the debug bundle). */
export interface SessionInfo {
  readonly id: number;
  readonly extranonce1: string;
  readonly remote: { readonly address: string; readonly port: number } | null;
  /** Milliseconds since the epoch. */
  readonly connectedAt: number;
  readonly closedAt: number | null;
  readonly open: boolean;
  readonly subscribed: boolean;
  /** Authorized and sent its first job: broadcasts reach it. */
  readonly active: boolean;
  readonly workers: readonly string[];
  readonly difficulty: number;
  /** The BIP310 mask agreed with mining.configure, 8 hex digits ('00000000' = none). */
  readonly versionMask: string;
  readonly vardiff: boolean;
  readonly chaos: boolean;
  /** What the pool answered this session's shares (same meaning as the pool's worker stats). */
  readonly shares: WorkerStats;
  readonly lines: { readonly received: number; readonly sent: number };
  readonly bytes: { readonly received: number; readonly sent: number };
}

/** What a session needs from its pool (kept narrow so the session is testable on its own). */
export interface SessionHost {
  readonly options: Readonly<PoolSimOptions>;
  readonly jobs: JobBook;
  readonly stats: StatsBook;
  readonly logger: Logger;
  /** The pool's switchable faults; the pool flips them, sessions read them. */
  readonly faults: Readonly<PoolFaults>;
  /** The pool's trace, or null when tracing is off (decided once, when the pool is built). */
  readonly trace: TraceRing | null;
  /** Called with each final share outcome; builds the event only if someone listens. */
  onShare(event: () => ShareEvent): void;
  onClose(session: PoolSession): void;
  nowMs(): number;
}

/** A miner that stops reading cannot make the pool buffer without bound. */
const MAX_WRITE_BUFFER = 1024 * 1024;
const MALFORMED_INJECTION = Buffer.from('{"id":null,"method":"mining.notify","params":[\n');

interface PendingAnswer {
  timer: NodeJS.Timeout;
  worker: string;
  judgement: Judgement;
}

function isJsonRpcId(v: unknown): v is JsonRpcId {
  return v === null || typeof v === 'number' || typeof v === 'string';
}

/**
 * One miner connection: the Stratum state machine (subscribe → authorize → submit), share
 * judging through the pure judge, and the bytes accounting. Lines of a connection are
 * handled synchronously and in order.
 */
export class PoolSession {
  private subscribed = false;
  private readonly workers = new Set<string>();
  private firstWorker: string | null = null;
  /** True once the first notify went out (after authorize); from then on broadcasts reach it. */
  private active = false;
  private difficulty: number;
  private versionMask = 0;
  private readonly sessionJobs = new SessionJobs(64);
  private readonly splitter: LineSplitter;
  private readonly pending = new Set<PendingAnswer>();
  private readonly received: Buffer[] | null;
  private readonly sent: Buffer[] | null;
  private closed = false;
  private closedAt: number | null = null;
  private readonly connectedAt: number;
  private readonly remote: { readonly address: string; readonly port: number } | null;
  private readonly shares: WorkerStats = emptyWorkerStats();
  private linesReceived = 0;
  private linesSent = 0;
  private bytesReceived = 0;
  private bytesSent = 0;

  constructor(
    readonly id: number,
    readonly extranonce1: string,
    private readonly socket: Socket,
    private readonly host: SessionHost,
    private chaos: ChaosPlanner | null,
    private vardiff: Vardiff | null,
  ) {
    const o = host.options;
    this.connectedAt = host.nowMs();
    // Read now: a closed socket no longer knows its peer.
    this.remote =
      socket.remoteAddress === undefined || socket.remotePort === undefined ? null : { address: socket.remoteAddress, port: socket.remotePort };
    this.difficulty = o.difficulty;
    this.received = o.captureBytes ? [] : null;
    this.sent = o.captureBytes ? [] : null;
    this.splitter = new LineSplitter(o.maxLineBytes, {
      onLine: (buf, start, end) => this.onLine(buf, start, end),
      onOversized: (bytes) => {
        host.stats.oversizedLines++;
        host.logger.debug({ session_id: id, bytes }, 'oversized line skipped');
      },
    });
    socket.setNoDelay(true);
    // Paused before the 'data' listener goes on, so a session born during pause-reading reads nothing.
    if (host.faults.pausedReading) socket.pause();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => host.logger.debug({ session_id: id, err: err.message }, 'session socket error'));
    socket.on('close', () => this.onSocketClose());
  }

  get isActive(): boolean {
    return this.active && !this.closed;
  }

  get currentDifficulty(): number {
    return this.difficulty;
  }

  /** The workers authorized on this session. */
  get authorizedWorkers(): ReadonlySet<string> {
    return this.workers;
  }

  /** A copy of what the control API shows about this session. */
  info(): SessionInfo {
    return {
      id: this.id,
      extranonce1: this.extranonce1,
      remote: this.remote,
      connectedAt: this.connectedAt,
      closedAt: this.closedAt,
      open: !this.closed,
      subscribed: this.subscribed,
      active: this.isActive,
      workers: [...this.workers],
      difficulty: this.difficulty,
      versionMask: this.versionMask.toString(16).padStart(8, '0'),
      vardiff: this.vardiff !== null,
      chaos: this.chaos !== null,
      shares: { ...this.shares, rejected: { ...this.shares.rejected } },
      lines: { received: this.linesReceived, sent: this.linesSent },
      bytes: { received: this.bytesReceived, sent: this.bytesSent },
    };
  }

  /**
   * A profile switch: the new fault planner and vardiff (null = none) apply from the next
   * share on; answers already planned keep their plan.
   */
  setBehaviour(chaos: ChaosPlanner | null, vardiff: Vardiff | null): void {
    this.chaos = chaos;
    this.vardiff = vardiff;
  }

  capture(): SessionCapture | null {
    if (this.received === null || this.sent === null) return null;
    return {
      sessionId: this.id,
      extranonce1: this.extranonce1,
      received: Buffer.concat(this.received),
      sent: Buffer.concat(this.sent),
      open: !this.closed,
    };
  }

  /** Send a job; the session records the difficulty in force for it. */
  sendJob(job: PoolJob, forceClean: boolean): void {
    if (this.closed) return;
    const clean = forceClean || job.clean;
    this.sessionJobs.onNotify(job.job.jobId, this.difficulty, clean);
    this.notify(forceClean ? job.notifyLineClean : job.notifyLine, 'mining.notify');
  }

  /**
   * Announce a new difficulty. Like real pools it applies to jobs notified from now on;
   * jobs already sent keep theirs (see judgeShare).
   */
  setDifficulty(difficulty: number): void {
    if (this.closed || difficulty === this.difficulty) return;
    this.difficulty = difficulty;
    this.vardiff?.reset(this.host.nowMs());
    if (this.active) this.notify(notificationLine('mining.set_difficulty', [difficulty]), 'mining.set_difficulty');
  }

  /** Periodic check so a session that stopped finding shares still gets its difficulty lowered. */
  tick(nowMs: number): void {
    if (this.vardiff === null || !this.isActive) return;
    const next = this.vardiff.evaluate(this.difficulty, nowMs);
    if (next !== null) this.setDifficulty(next);
  }

  /**
   * Stop or restart reading the socket. Paused, the readable side fills to its high-water mark,
   * then Node stops reading the fd: the kernel buffers fill and the miner's writes back up.
   */
  setReading(on: boolean): void {
    if (this.closed) return;
    if (on) this.socket.resume();
    else this.socket.pause();
  }

  /** Close the connection and count any answer still waiting as dropped. */
  destroy(): void {
    this.socket.destroy();
    this.onSocketClose();
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    this.host.stats.bytesReceived += chunk.length;
    this.bytesReceived += chunk.length;
    this.received?.push(chunk);
    if (this.host.faults.blackhole) {
      // Read and discard. Forgetting any partial line means that once the blackhole lifts,
      // the session answers lines that start after it (a tail cut in half is malformed).
      this.splitter.reset();
      return;
    }
    this.splitter.push(chunk);
  }

  /** Bytes `[start, end)` of `buf` are one line without its `\r\n`; `buf` is only valid during the call. */
  private onLine(buf: Buffer, start: number, end: number): void {
    if (this.closed) return;
    this.linesReceived++;
    const text = buf.toString('utf8', start, end);
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.traceReceived(text, undefined, null, 'malformed', undefined);
      this.countMalformed('invalid json');
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.traceReceived(text, msg, null, 'malformed', undefined);
      this.countMalformed('not an object');
      return;
    }
    const m = msg as Record<string, unknown>;
    const hasId = Object.prototype.hasOwnProperty.call(m, 'id');
    const id = hasId ? m.id : null;
    if (!isJsonRpcId(id)) {
      this.traceReceived(text, msg, null, 'malformed', undefined);
      this.countMalformed('invalid id');
      return;
    }
    if (typeof m.method !== 'string') {
      // A response from the miner (e.g. to client.get_version) is fine; anything else is not.
      const isResponse = Object.prototype.hasOwnProperty.call(m, 'result');
      this.traceReceived(text, msg, null, isResponse ? 'response' : 'malformed', id);
      if (isResponse) return;
      if (hasId) this.reply(errorLine(id, null, REJECT_CODES.other, 'malformed request'), null, id);
      else this.countMalformed('no method');
      return;
    }
    // Traced before it is handled, so a request comes before its answer in the trace.
    this.traceReceived(text, msg, m.method, id === null ? 'notification' : 'request', id);
    const params = m.params === undefined ? [] : m.params;
    this.dispatch(id, m.method, params);
  }

  /** Records a received line when tracing is on; `meta.bytes` counts the text and its \n (not a \r before it). */
  private traceReceived(text: string, parsed: unknown, method: string | null, kind: TraceKind, id: JsonRpcId | undefined): void {
    const trace = this.host.trace;
    if (trace === null) return;
    const { line, masked } = maskTraceLine(text, parsed);
    trace.record(this.host.nowMs(), this.id, 'miner_to_pool', method, line, {
      kind,
      bytes: Buffer.byteLength(text) + 1,
      ...(id === undefined ? {} : { id }),
      ...(this.firstWorker === null ? {} : { worker: this.firstWorker }),
      ...(masked ? { masked } : {}),
    });
  }

  private countMalformed(why: string): void {
    this.host.stats.malformedLines++;
    this.host.logger.debug({ session_id: this.id, why }, 'malformed line ignored');
  }

  private dispatch(id: JsonRpcId, method: string, params: unknown): void {
    switch (method) {
      case 'mining.subscribe':
        return this.onSubscribe(id);
      case 'mining.authorize':
        return this.onAuthorize(id, params);
      case 'mining.submit':
        return this.onSubmit(id, params);
      case 'mining.configure':
        return this.onConfigure(id, params);
      case 'mining.extranonce.subscribe':
        this.reply(resultLine(id, true), method, id);
        return;
      case 'mining.suggest_difficulty':
        return this.onSuggestDifficulty(id, params);
      default:
        this.reply(errorLine(id, null, REJECT_CODES.other, 'unknown method'), method, id);
    }
  }

  private onSubscribe(id: JsonRpcId): void {
    this.subscribed = true;
    // The subscription id only has to be unique per session; miners echo nothing back.
    const subId = `${this.id.toString(16)}${this.extranonce1}`;
    this.reply(
      resultLine(id, [
        [
          ['mining.set_difficulty', subId],
          ['mining.notify', subId],
        ],
        this.extranonce1,
        this.host.options.extranonce2Size,
      ]),
      'mining.subscribe',
      id,
    );
  }

  private onAuthorize(id: JsonRpcId, params: unknown): void {
    if (!this.subscribed) {
      this.reply(errorLine(id, null, REJECT_CODES.not_subscribed, 'not subscribed'), 'mining.authorize', id);
      return;
    }
    if (!Array.isArray(params) || typeof params[0] !== 'string') {
      this.reply(errorLine(id, false, REJECT_CODES.other, 'malformed params'), 'mining.authorize', id);
      return;
    }
    const user = params[0];
    const pass: unknown = params[1];
    const o = this.host.options;
    if ((o.password !== null && pass !== o.password) || (o.allowlist !== null && !o.allowlist.includes(user))) {
      this.reply(errorLine(id, false, REJECT_CODES.unauthorized, 'unauthorized worker'), 'mining.authorize', id);
      return;
    }
    this.workers.add(user);
    this.firstWorker ??= user;
    this.reply(resultLine(id, true), 'mining.authorize', id);
    if (!this.active) {
      this.active = true;
      this.vardiff?.reset(this.host.nowMs());
      this.notify(notificationLine('mining.set_difficulty', [this.difficulty]), 'mining.set_difficulty');
      const job = this.host.jobs.current;
      if (job !== null) this.sendJob(job, true);
    }
  }

  private onConfigure(id: JsonRpcId, params: unknown): void {
    const extensions: unknown = Array.isArray(params) ? params[0] : undefined;
    const extParams: unknown = Array.isArray(params) ? params[1] : undefined;
    if (!Array.isArray(extensions)) {
      this.reply(errorLine(id, null, REJECT_CODES.other, 'malformed params'), 'mining.configure', id);
      return;
    }
    const answer: Record<string, unknown> = {};
    for (const ext of extensions) {
      if (ext === 'version-rolling') {
        // BIP310: the pool answers the intersection of its mask and the miner's.
        let requested = 0xffffffff;
        if (typeof extParams === 'object' && extParams !== null) {
          const raw = (extParams as Record<string, unknown>)['version-rolling.mask'];
          if (typeof raw === 'string' && /^[0-9a-fA-F]{1,8}$/.test(raw)) requested = parseInt(raw, 16);
        }
        this.versionMask = (this.host.options.versionRollingMask & requested) >>> 0;
        answer['version-rolling'] = true;
        answer['version-rolling.mask'] = this.versionMask.toString(16).padStart(8, '0');
      } else if (typeof ext === 'string') {
        answer[ext] = false;
      }
    }
    this.reply(resultLine(id, answer), 'mining.configure', id);
  }

  private onSuggestDifficulty(id: JsonRpcId, params: unknown): void {
    const o = this.host.options;
    const d: unknown = Array.isArray(params) ? params[0] : undefined;
    this.reply(resultLine(id, true), 'mining.suggest_difficulty', id);
    if (o.honorSuggestDifficulty && typeof d === 'number' && Number.isFinite(d) && d > 0) {
      const clamped = Math.min(o.maxDifficulty, Math.max(o.minDifficulty, d));
      if (this.active) this.setDifficulty(clamped);
      else this.difficulty = clamped;
    }
  }

  private onSubmit(id: JsonRpcId, params: unknown): void {
    const claimed = Array.isArray(params) && typeof params[0] === 'string' ? params[0] : null;
    const worker = claimed !== null && this.workers.has(claimed) ? claimed : (this.firstWorker ?? claimed ?? 'unknown');
    if (this.firstWorker === null) {
      this.answerShare(id, worker, {
        verdict: 'unauthorized',
        jobId: Array.isArray(params) && typeof params[1] === 'string' ? params[1] : '',
        difficulty: this.difficulty,
        message: 'unauthorized worker',
      });
      return;
    }
    const shape = parseSubmitParams(params, this.host.options.extranonce2Size);
    if (!shape.ok) {
      this.answerShare(id, worker, { verdict: 'other', jobId: '', difficulty: this.difficulty, message: shape.message });
      return;
    }
    const nowMs = this.host.nowMs();
    const judgement = judgeShare(shape.value, {
      extranonce1: this.extranonce1,
      versionMask: this.versionMask,
      nowSec: Math.floor(nowMs / 1000),
      maxNtimeAheadSec: this.host.options.maxNtimeAheadSec,
      currentDifficulty: this.difficulty,
      jobs: this.host.jobs,
      sessionJobs: this.sessionJobs,
    });
    if (judgement.verdict === 'accepted') {
      if (judgement.blockCandidate) this.host.stats.blockCandidates++;
      if (this.vardiff !== null) {
        this.vardiff.onShare();
        // The answer goes out first; the retarget (if any) follows it on the wire.
        this.answerShare(id, worker, judgement);
        const next = this.vardiff.evaluate(this.difficulty, nowMs);
        if (next !== null) this.setDifficulty(next);
        return;
      }
    }
    this.answerShare(id, worker, judgement);
  }

  // ---- output ----

  private answerShare(id: JsonRpcId, worker: string, judgement: Judgement): void {
    const plan: AnswerPlan = this.chaos === null ? NO_FAULT : this.chaos.planAnswer();
    if (plan.action === 'disconnect') {
      this.recordShare(worker, judgement, false);
      this.host.logger.debug({ session_id: this.id }, 'chaos: reset instead of answering');
      this.socket.resetAndDestroy();
      this.onSocketClose();
      return;
    }
    if (plan.malformedBefore) this.write(MALFORMED_INJECTION, null, 'malformed', undefined, undefined);
    if (plan.action === 'drop') {
      this.recordShare(worker, judgement, false);
      return;
    }
    const line =
      judgement.verdict === 'accepted'
        ? acceptLine(id)
        : errorLine(id, false, REJECT_CODES[judgement.verdict], judgement.message);
    if (plan.delayMs === 0) {
      this.deliver(id, line, worker, judgement, plan.reconnectAfter);
      return;
    }
    const entry: PendingAnswer = {
      worker,
      judgement,
      timer: setTimeout(() => {
        this.pending.delete(entry);
        this.deliver(id, line, worker, judgement, plan.reconnectAfter);
      }, plan.delayMs),
    };
    this.pending.add(entry);
  }

  private deliver(id: JsonRpcId, line: Buffer, worker: string, judgement: Judgement, reconnectAfter: boolean): void {
    const sent = this.reply(line, 'mining.submit', id, judgement.verdict);
    this.recordShare(worker, judgement, sent);
    if (sent && reconnectAfter) this.notify(notificationLine('client.reconnect', []), 'client.reconnect');
  }

  /** Stats count what went on the wire: an answer not written is `dropped`. */
  private recordShare(worker: string, judgement: Judgement, sent: boolean): void {
    const verdict: ShareOutcome = sent ? judgement.verdict : 'dropped';
    this.host.stats.recordShare(worker, verdict, judgement.difficulty);
    addOutcome(this.shares, verdict, judgement.difficulty);
    this.host.onShare(() => ({
      sessionId: this.id,
      worker,
      jobId: judgement.jobId === '' ? null : judgement.jobId,
      verdict,
      judged: judgement.verdict,
      difficulty: judgement.difficulty,
    }));
  }

  private notify(buf: Buffer, method: string): boolean {
    return this.write(buf, method, 'notification', undefined, undefined);
  }

  /** An answer; `method` is the request's (null when it had none), `verdict` a submit's outcome. */
  private reply(buf: Buffer, method: string | null, id: JsonRpcId, verdict?: string): boolean {
    return this.write(buf, method, 'response', id, verdict);
  }

  private write(buf: Buffer, method: string | null, kind: TraceKind, id: JsonRpcId | undefined, verdict: string | undefined): boolean {
    const s = this.socket;
    // A blackholed pool writes nothing at all: no answers, jobs, difficulty or reconnects.
    if (this.closed || s.destroyed || !s.writable || this.host.faults.blackhole) return false;
    if (s.writableLength > MAX_WRITE_BUFFER) {
      this.host.logger.debug({ session_id: this.id }, 'miner stopped reading: closing');
      this.destroy();
      return false;
    }
    s.write(buf);
    this.host.stats.bytesSent += buf.length;
    this.bytesSent += buf.length;
    this.linesSent++;
    this.sent?.push(buf);
    const trace = this.host.trace;
    if (trace !== null) {
      // Everything the pool writes ends with one \n (wire.ts, the job's notify lines).
      trace.record(this.host.nowMs(), this.id, 'pool_to_miner', method, buf.toString('utf8', 0, buf.length - 1), {
        kind,
        bytes: buf.length,
        ...(id === undefined ? {} : { id }),
        ...(this.firstWorker === null ? {} : { worker: this.firstWorker }),
        ...(verdict === undefined ? {} : { verdict }),
      });
    }
    return true;
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedAt = this.host.nowMs();
    for (const p of this.pending) {
      clearTimeout(p.timer);
      this.recordShare(p.worker, p.judgement, false);
    }
    this.pending.clear();
    this.host.onClose(this);
  }
}
