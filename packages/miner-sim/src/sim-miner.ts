import * as net from 'node:net';
import { difficultyToTarget, parseNotifyParams } from '@stratum-relay/work';
import { mulberry32 } from '@stratum-relay/prng';
import { LineSplitter, type LineSink } from '@stratum-relay/stratum-wire';
import { backoffDelay } from './backoff';
import { FaultPlan, type FaultMode, type FaultSpec } from './fault-plan';
import type { HashScheduler, HashTask } from './hash-scheduler';
import { rejectReasonFromError, type ShareRejectReason } from './reject-reason';
import { createIdGenerator, type IdStyle } from './request-ids';
import { ShareSearch, type FoundShare } from './share-search';
import type { StratumEndpoint } from './stratum-url';
import { createCounters, type MinerCounters, type MinerStatsSnapshot, copyCounters } from './summary';

export interface SimMinerConfig {
  readonly worker: string;
  readonly password: string;
  readonly endpoint: StratumEndpoint;
  readonly hashrate: number;
  readonly idStyle: IdStyle;
  readonly faults: readonly FaultSpec[];
  readonly seed: number;
  readonly userAgent: string;
  readonly submitTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly silenceTimeoutMs: number | null;
  readonly reconnect: boolean;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly versionRolling: boolean;
  readonly versionRollingMask: number;
  readonly extranonceSubscribe: boolean;
  readonly slowReaderMs: number;
  readonly oversizedBytes: number;
  readonly maxLineBytes: number;
  readonly nonceSpace: number | undefined;
}

/** Outcome of an answered submit, as the farm sees it. */
export interface ShareOutcome {
  readonly accepted: boolean;
  readonly reason: ShareRejectReason | null;
  readonly latencyMs: number;
}

/** What a miner needs from its farm: shared CPU, the shares budget, and a place to report. */
export interface MinerHost {
  readonly scheduler: HashScheduler;
  /** False once the farm's `shares` budget is spoken for: the miner stops hashing. */
  mayStartSubmit(): boolean;
  submitSent(): void;
  /** `outcome` null: timed out or lost with its connection. */
  submitSettled(miner: SimMiner, outcome: ShareOutcome | null): void;
  connected(miner: SimMiner): void;
  disconnected(miner: SimMiner): void;
}

type RequestKind = 'configure' | 'subscribe' | 'authorize' | 'extranonce' | 'submit';

interface PendingRequest {
  readonly id: number | string;
  readonly kind: RequestKind;
  readonly sentAt: number;
  readonly params: readonly unknown[];
  /** Set on submits that were a fault already, so a duplicate is never duplicated again. */
  readonly fault: FaultMode | null;
}

const OVERSIZED_FILL = 0x78; // 'x'

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isHexString(v: unknown): v is string {
  return typeof v === 'string' && v.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(v);
}

/**
 * One simulated miner: a Stratum V1 client over one TCP connection that really hashes
 * (sha256d via ShareSearch) when the farm's scheduler hands it CPU. Reconnects with
 * exponential backoff when the connection drops; injects faults from its FaultPlan.
 */
export class SimMiner implements HashTask {
  readonly worker: string;
  readonly hashrate: number;
  budget = 0;
  readonly stats: MinerCounters = createCounters();

  private readonly cfg: SimMinerConfig;
  private readonly host: MinerHost;
  private readonly random: () => number;
  private readonly faults: FaultPlan;
  private readonly nextId: () => number | string;
  private readonly lines: LineSplitter;
  /** The socket's 'data' listener, chosen once: the silence clock costs nothing when it is off. */
  private readonly onData: (chunk: Buffer) => void;

  private endpoint: StratumEndpoint;
  private socket: net.Socket | null = null;
  private stopped = false;
  private attempt = 0;
  private reconnectDelayMs: number | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private slowTimer: NodeJS.Timeout | null = null;
  private closeWaiters: (() => void)[] = [];
  /** extranonce1 of the latest subscribe answer; kept across disconnects (tells which pool the miner ended on). */
  private subscribedExtranonce1: string | null = null;
  /** performance.now() of the last byte from the pool on the current connection. */
  private lastDataAt = 0;

  // Session state, reset on every connection.
  private pending: PendingRequest[] = [];
  private subscribed = false;
  private authorized = false;
  private extranonce1: string | null = null;
  private extranonce2Size = 0;
  private pendingExtranonce: { extranonce1: string; size: number } | null = null;
  /** Difficulty for jobs notified from now on (cgminer applies set_difficulty from the next notify). */
  private nextDifficulty = 1;
  private versionMask = 0;
  private search: ShareSearch | null = null;
  private nextSearch: ShareSearch | null = null;

  constructor(cfg: SimMinerConfig, host: MinerHost) {
    this.cfg = cfg;
    this.host = host;
    this.worker = cfg.worker;
    this.hashrate = cfg.hashrate;
    this.endpoint = cfg.endpoint;
    this.random = mulberry32(cfg.seed);
    this.faults = new FaultPlan(cfg.faults, this.random);
    this.nextId = createIdGenerator(cfg.idStyle);
    const sink: LineSink = {
      onLine: (buf, start, end) => this.onLine(buf, start, end),
      // A pool line over the cap is dropped up to its newline; the miner keeps no counter for it.
      onOversized: () => undefined,
    };
    this.lines = new LineSplitter(cfg.maxLineBytes, sink);
    this.onData =
      cfg.silenceTimeoutMs === null
        ? (chunk) => this.lines.push(chunk)
        : (chunk) => {
            this.lastDataAt = performance.now();
            this.lines.push(chunk);
          };
  }

  get isConnected(): boolean {
    return this.socket !== null && !this.socket.connecting && !this.socket.destroyed;
  }

  get isAuthorized(): boolean {
    return this.authorized;
  }

  /** Where the miner connects next (changes on client.reconnect). */
  get currentEndpoint(): StratumEndpoint {
    return this.endpoint;
  }

  /**
   * The extranonce1 of the latest mining.subscribe answer (null before the first), kept while
   * disconnected: pools hand out distinct extranonce1s, so it says which pool the miner is or
   * last was on. A later mining.set_extranonce does not change it.
   */
  get lastExtranonce1(): string | null {
    return this.subscribedExtranonce1;
  }

  snapshot(): MinerStatsSnapshot {
    return {
      ...copyCounters(this.stats),
      worker: this.worker,
      connected: this.isConnected,
      authorized: this.authorized,
      extranonce1: this.subscribedExtranonce1,
    };
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Close without reconnecting; destroys the socket if the pool has not closed within `graceMs`. */
  stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.clearTimer('reconnectTimer');
    this.clearTimer('slowTimer');
    const socket = this.socket;
    if (socket === null) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      if (socket.connecting) {
        socket.destroy();
        return;
      }
      socket.end();
      const t = setTimeout(() => socket.destroy(), graceMs);
      socket.once('close', () => clearTimeout(t));
    });
  }

  /**
   * Expire requests older than their timeout, and drop a connection whose handshake was not
   * answered in time or (with silenceTimeoutMs) whose pool has gone quiet. Called by the farm's
   * housekeeping.
   */
  sweep(now: number): void {
    const silence = this.cfg.silenceTimeoutMs;
    if (silence !== null && this.isConnected && now - this.lastDataAt > silence) {
      // Like ASIC firmware: a stratum connection that has said nothing for long is dead even if
      // TCP still looks open (a hung pool, a black hole behind a load balancer).
      this.stats.silenceTimeouts++;
      this.socket?.destroy();
      return;
    }
    if (this.pending.length === 0) return;
    const submitLimit = now - this.cfg.submitTimeoutMs;
    const handshakeLimit = now - this.cfg.handshakeTimeoutMs;
    let handshakeExpired = false;
    const kept: PendingRequest[] = [];
    for (const p of this.pending) {
      if (p.kind === 'submit') {
        if (p.sentAt > submitLimit) {
          kept.push(p);
        } else {
          this.stats.timeouts++;
          this.host.submitSettled(this, null);
        }
      } else if (p.sentAt > handshakeLimit) {
        kept.push(p);
      } else {
        handshakeExpired = true;
      }
    }
    this.pending = kept;
    if (handshakeExpired) {
      // A pool that never answers the handshake gets a fresh connection, after a backoff that
      // keeps growing: only a completed handshake resets it.
      this.stats.handshakeTimeouts++;
      this.socket?.destroy();
    }
  }

  // ---- HashTask -------------------------------------------------------------------------

  canHash(): boolean {
    return this.authorized && (this.nextSearch !== null || (this.search !== null && !this.search.exhausted)) && this.host.mayStartSubmit();
  }

  runBatch(maxHashes: number): number {
    if (this.nextSearch !== null) {
      // A non-clean notify takes over once the batch in progress is done.
      this.search = this.nextSearch;
      this.nextSearch = null;
    }
    const search = this.search;
    if (search === null || search.exhausted) return 0;
    const { hashes, share } = search.scan(maxHashes);
    this.stats.hashes += hashes;
    if (share !== null) this.onShareFound(share, search);
    return hashes;
  }

  // ---- connection -----------------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    const socket = net.connect({ host: this.endpoint.host, port: this.endpoint.port });
    socket.setNoDelay(true);
    this.socket = socket;
    let established = false;
    const connectTimer = setTimeout(() => socket.destroy(), this.cfg.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      established = true;
      if (this.stats.connects > 0) this.stats.reconnects++;
      this.stats.connects++;
      this.lastDataAt = performance.now();
      this.host.connected(this);
      this.onOpen();
    });
    socket.on('data', this.onData);
    // 'close' always follows; errors are counted there as a failed connect or a disconnect.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(connectTimer);
      if (this.socket === socket) this.socket = null;
      if (established) {
        this.stats.disconnects++;
        this.resetSession();
        this.host.disconnected(this);
      } else {
        this.stats.connectFailures++;
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || !this.cfg.reconnect) {
      const waiters = this.closeWaiters;
      this.closeWaiters = [];
      for (const w of waiters) w();
      return;
    }
    let delay: number;
    if (this.reconnectDelayMs !== null) {
      delay = this.reconnectDelayMs;
      this.reconnectDelayMs = null;
    } else {
      delay = backoffDelay(this.attempt++, this.cfg.backoffBaseMs, this.cfg.backoffMaxMs, this.random);
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private resetSession(): void {
    for (const p of this.pending) {
      if (p.kind === 'submit') {
        this.stats.unanswered++;
        this.host.submitSettled(this, null);
      }
    }
    this.pending = [];
    this.subscribed = false;
    this.authorized = false;
    this.extranonce1 = null;
    this.pendingExtranonce = null;
    this.nextDifficulty = 1;
    this.versionMask = 0;
    this.search = null;
    this.nextSearch = null;
    this.budget = 0;
    this.lines.reset();
    this.clearTimer('slowTimer');
  }

  private clearTimer(which: 'reconnectTimer' | 'slowTimer'): void {
    const t = this[which];
    if (t !== null) clearTimeout(t);
    this[which] = null;
  }

  private onOpen(): void {
    if (this.cfg.versionRolling) {
      const mask = (this.cfg.versionRollingMask >>> 0).toString(16).padStart(8, '0');
      this.request('configure', 'mining.configure', [['version-rolling'], { 'version-rolling.mask': mask, 'version-rolling.min-bit-count': 2 }]);
    }
    this.request('subscribe', 'mining.subscribe', [this.cfg.userAgent]);
  }

  private write(text: string | Buffer): void {
    const s = this.socket;
    if (s !== null && s.writable) s.write(text);
  }

  private request(kind: RequestKind, method: string, params: readonly unknown[], fault: FaultMode | null = null): void {
    const id = this.nextId();
    this.pending.push({ id, kind, sentAt: performance.now(), params, fault });
    this.write(JSON.stringify({ id, method, params }) + '\n');
  }

  // ---- pool → miner ---------------------------------------------------------------------

  /**
   * Bytes `[start, end)` of `buf` are one non-blank line without its `\r\n`; `buf` is only valid
   * during the call. Blank lines (`\n`, `\r\n`) never get here: the splitter drops them.
   */
  private onLine(buf: Buffer, start: number, end: number): void {
    let msg: unknown;
    try {
      msg = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      this.stats.poolErrors++;
      return;
    }
    if (!isObject(msg)) {
      this.stats.poolErrors++;
      return;
    }
    const method = msg['method'];
    if (typeof method === 'string') {
      const params = Array.isArray(msg['params']) ? (msg['params'] as unknown[]) : [];
      this.onPoolRequest(method, params, (msg['id'] ?? null) as number | string | null);
    } else if ('result' in msg || 'error' in msg) {
      this.onResponse(msg['id'], msg['result'], msg['error'] ?? null);
    } else {
      this.stats.poolErrors++;
    }
  }

  private onPoolRequest(method: string, params: unknown[], id: number | string | null): void {
    switch (method) {
      case 'mining.notify':
        this.onNotify(params);
        return;
      case 'mining.set_difficulty': {
        const d = typeof params[0] === 'string' ? Number(params[0]) : params[0];
        if (typeof d === 'number' && Number.isFinite(d) && d > 0) this.nextDifficulty = d;
        else this.stats.poolErrors++;
        return;
      }
      case 'mining.set_extranonce': {
        const [en1, size] = params;
        if (isHexString(en1) && typeof size === 'number' && Number.isInteger(size) && size >= 0 && size <= 32) {
          // NiceHash extranonce.subscribe: the new extranonce applies from the next job.
          this.pendingExtranonce = { extranonce1: en1, size };
        } else {
          this.stats.poolErrors++;
        }
        return;
      }
      case 'mining.set_version_mask': {
        const mask = params[0];
        if (typeof mask === 'string' && /^[0-9a-fA-F]{1,8}$/.test(mask)) {
          this.versionMask = (parseInt(mask, 16) & this.cfg.versionRollingMask) >>> 0;
        } else {
          this.stats.poolErrors++;
        }
        return;
      }
      case 'client.reconnect':
        this.onReconnectRequest(params);
        return;
      case 'client.get_version':
        if (id !== null) this.write(JSON.stringify({ id, result: this.cfg.userAgent, error: null }) + '\n');
        return;
      case 'client.show_message':
        return;
      default:
        if (id !== null) this.write(JSON.stringify({ id, result: null, error: [20, 'Method not supported', null] }) + '\n');
    }
  }

  private onNotify(params: unknown[]): void {
    const job = parseNotifyParams(params);
    if (job === null) {
      this.stats.poolErrors++;
      return;
    }
    if (this.pendingExtranonce !== null) {
      this.extranonce1 = this.pendingExtranonce.extranonce1;
      this.extranonce2Size = this.pendingExtranonce.size;
      this.pendingExtranonce = null;
    }
    if (this.extranonce1 === null) return; // notify before the subscribe answer: nothing to hash with yet
    let search: ShareSearch;
    try {
      search = new ShareSearch({
        job,
        extranonce1: this.extranonce1,
        extranonce2Size: this.extranonce2Size,
        target: difficultyToTarget(this.nextDifficulty),
        versionMask: this.versionMask,
        nonceSpace: this.cfg.nonceSpace,
      });
    } catch {
      this.stats.poolErrors++;
      return;
    }
    if (job.cleanJobs) {
      // clean_jobs: drop the queued job and the one in progress at once.
      this.search = search;
      this.nextSearch = null;
    } else {
      this.nextSearch = search;
    }
  }

  private onReconnectRequest(params: unknown[]): void {
    const [host, port, wait] = params;
    const newHost = typeof host === 'string' && host.length > 0 ? host : this.endpoint.host;
    const portNum = typeof port === 'string' ? Number(port) : port;
    const newPort = typeof portNum === 'number' && Number.isInteger(portNum) && portNum >= 1 && portNum <= 65535 ? portNum : this.endpoint.port;
    const waitS = typeof wait === 'number' && Number.isFinite(wait) && wait >= 0 ? Math.min(wait, 3600) : 0;
    this.endpoint = { host: newHost, port: newPort };
    this.reconnectDelayMs = waitS * 1000;
    this.attempt = 0;
    this.socket?.destroy();
  }

  private onResponse(id: unknown, result: unknown, error: unknown): void {
    // First pending request with this id: with `reuse` ids this is FIFO, as pools answer in order.
    const i = this.pending.findIndex((p) => p.id === id);
    if (i === -1) return; // e.g. the pool's answer to our malformed line (id null), or a late answer
    const p = this.pending[i] as PendingRequest;
    this.pending.splice(i, 1);
    switch (p.kind) {
      case 'configure':
        this.onConfigureResult(result);
        return;
      case 'subscribe':
        this.onSubscribeResult(result, error);
        return;
      case 'authorize':
        if (result === true && error === null) {
          this.authorized = true;
          // The handshake is complete: the next drop starts the backoff from the base again.
          // (Not on the subscribe answer: a pool that answers it and then drops the connection
          // must not get a reconnect storm at the base delay.)
          this.attempt = 0;
        } else {
          this.stats.authorizeFailures++;
        }
        return;
      case 'extranonce':
        return;
      case 'submit':
        this.onSubmitResult(p, result, error);
        return;
    }
  }

  private onConfigureResult(result: unknown): void {
    if (!isObject(result) || result['version-rolling'] !== true) return;
    const mask = result['version-rolling.mask'];
    if (typeof mask === 'string' && /^[0-9a-fA-F]{1,8}$/.test(mask)) {
      this.versionMask = (parseInt(mask, 16) & this.cfg.versionRollingMask) >>> 0;
    }
  }

  private onSubscribeResult(result: unknown, error: unknown): void {
    const en1 = Array.isArray(result) ? result[1] : undefined;
    const size = Array.isArray(result) ? result[2] : undefined;
    if (error !== null || !isHexString(en1) || typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 32) {
      this.stats.poolErrors++;
      this.socket?.destroy();
      return;
    }
    this.subscribed = true;
    this.extranonce1 = en1;
    this.subscribedExtranonce1 = en1;
    this.extranonce2Size = size;
    this.request('authorize', 'mining.authorize', [this.worker, this.cfg.password]);
    if (this.cfg.extranonceSubscribe) this.request('extranonce', 'mining.extranonce.subscribe', []);
  }

  private onSubmitResult(p: PendingRequest, result: unknown, error: unknown): void {
    const latencyMs = performance.now() - p.sentAt;
    const accepted = result === true && error === null;
    let reason: ShareRejectReason | null = null;
    if (accepted) {
      this.stats.accepted++;
    } else {
      reason = rejectReasonFromError(error);
      this.stats.rejected++;
      this.stats.rejectedByReason[reason]++;
    }
    this.host.submitSettled(this, { accepted, reason, latencyMs });
    if (accepted && p.fault === null && this.faults.enabled && this.host.mayStartSubmit() && this.faults.roll('duplicate')) {
      this.stats.faults.duplicate++;
      this.sendSubmit(p.params, 'duplicate');
    }
  }

  // ---- shares and faults ----------------------------------------------------------------

  private onShareFound(found: FoundShare, search: ShareSearch): void {
    if (!this.host.mayStartSubmit() || !this.subscribed) return;
    let share = found;
    let jobId = found.jobId;
    let fault: FaultMode | null = null;
    if (this.faults.enabled) {
      const f = this.faults;
      if (f.roll('disconnect')) {
        this.stats.faults.disconnect++;
        this.socket?.destroy();
        return;
      }
      if (f.roll('oversized')) {
        this.stats.faults.oversized++;
        // One huge line, first without its newline (TCP splits it anyway), then the newline.
        this.write(Buffer.alloc(this.cfg.oversizedBytes, OVERSIZED_FILL));
        this.write('\n');
      }
      if (f.roll('malformed')) {
        this.stats.faults.malformed++;
        this.write(`{"method":"mining.submit","params":[${JSON.stringify(this.worker)},\n`);
      }
      if (f.roll('slow_reader')) {
        this.stats.faults.slow_reader++;
        this.pauseReading();
      }
      if (f.roll('invalid_nonce')) {
        this.stats.faults.invalid_nonce++;
        share = search.invalidVariant(found);
        fault = 'invalid_nonce';
      } else if (f.roll('stale')) {
        this.stats.faults.stale++;
        // A suffix no pool's job ids share (they are hex or decimal), so it is surely unknown.
        jobId = `${found.jobId}-stale`;
        fault = 'stale';
      }
    }
    const params: unknown[] = [this.worker, jobId, share.extranonce2, share.ntime, share.nonce];
    if (share.versionBits !== undefined) params.push(share.versionBits);
    this.sendSubmit(params, fault);
  }

  private sendSubmit(params: readonly unknown[], fault: FaultMode | null): void {
    if (!this.isConnected) return;
    this.stats.submitted++;
    this.host.submitSent();
    this.request('submit', 'mining.submit', params, fault);
  }

  private pauseReading(): void {
    const socket = this.socket;
    if (socket === null || this.slowTimer !== null) return;
    socket.pause();
    this.slowTimer = setTimeout(() => {
      this.slowTimer = null;
      if (!socket.destroyed) socket.resume();
    }, this.cfg.slowReaderMs);
  }
}
