import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { createLogger, type Logger } from '@stratum-relay/logger';
import { deriveSeed, mulberry32 } from '@stratum-relay/prng';
import { SimulatedChain } from './chain-tip';
import { ChaosPlanner } from './chaos-planner';
import { ClosedSessions } from './closed-sessions';
import { startControlServer, type ControlServer } from './control-server';
import { ListenError, PoolSimError, InvalidOptionError, UnknownProfileError } from './errors';
import { ExtranonceAllocator } from './extranonce-allocator';
import { JobBook } from './job-book';
import { JobFactory, type PoolJob } from './job-factory';
import type { PoolSimOptions, ProfileName } from './options';
import { PoolSession, type SessionCapture, type SessionHost, type SessionInfo, type ShareEvent } from './pool-session';
import { PROFILES, PROFILE_KEYS, isProfileName } from './profiles';
import { resolveOptions } from './resolve-options';
import { StatsBook, type PoolFaults, type PoolStats, type WorkerStats } from './stats-book';
import { TraceRing } from './trace-ring';
import { Vardiff } from './vardiff';

/** 3.125 BTC: the block subsidy since the 2024 halving; only the look matters. */
const COINBASE_VALUE_SATS = 312_500_000n;
/** P2WPKH to a fixed 20-byte key hash; nobody will ever spend a simulated coinbase. */
const COINBASE_SCRIPT = `0014${'5e'.repeat(20)}`;
/** How many jobs the pool keeps answering for between clean_jobs. */
const MAX_LIVE_JOBS = 64;
/** Closed sessions whose details stay available to the debug bundle. */
const CLOSED_SESSIONS_KEPT = 1_000;
/** Open sessions listed in state(); a pool under a capacity run has tens of thousands. */
const STATE_SESSIONS_LIMIT = 1_000;
/** Recently closed sessions listed in state(). */
const STATE_CLOSED_LIMIT = 50;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** The job miners are working on, as `GET /api/state` shows it. */
export interface CurrentJob {
  readonly id: string;
  readonly height: number;
  /** Created by a tip change (clean_jobs=true). */
  readonly clean: boolean;
  readonly ntime: string;
  readonly nbits: string;
  readonly version: string;
  readonly merkleBranchLength: number;
}

/** Everything `GET /api/state` answers: chain tip, current job, sessions, stats. */
export interface PoolState {
  readonly name: string | null;
  readonly profile: ProfileName;
  /** The names `POST /profile?name=` accepts. */
  readonly profiles: readonly ProfileName[];
  readonly tip: { readonly height: number; readonly prevhash: string };
  readonly job: CurrentJob | null;
  readonly stats: PoolStats;
  /** Open sessions, oldest first, at most 1,000 (`sessionsOmitted` says how many more). */
  readonly sessions: readonly SessionInfo[];
  readonly sessionsOmitted: number;
  /** The last 50 sessions that closed, newest first. */
  readonly closedSessions: readonly SessionInfo[];
  /** The message trace's size, or null when tracing is off. */
  readonly trace: { readonly capacity: number; readonly size: number; readonly recorded: number } | null;
}

/** One session with the pool's counters of its workers, for the debug bundle. */
export interface SessionReport {
  readonly session: SessionInfo;
  /** The pool's counters of each worker this session authorized (shared with other sessions of the same name). */
  readonly workers: Readonly<Record<string, WorkerStats>>;
}

/**
 * A Stratum V1 pool simulator that judges shares like a pool: real coinbase and merkle
 * branch, real sha256d of each submitted header, stale/duplicate/low-difficulty rejects,
 * and a ground truth of exactly what it answered.
 *
 * Events on `events`: `'share'` (ShareEvent) once per judged share, when its answer was
 * written or dropped; `'tip'` ({height}) after each tip change.
 */
export class PoolSim {
  private options_: Readonly<PoolSimOptions>;
  readonly events = new EventEmitter();
  private readonly logger: Logger;
  private readonly stats_ = new StatsBook();
  private readonly jobs = new JobBook(MAX_LIVE_JOBS);
  private readonly chain: SimulatedChain;
  private factory: JobFactory;
  private readonly allocator: ExtranonceAllocator;
  private readonly sessions = new Set<PoolSession>();
  /** Shared with every session through the host: flipping a field reaches them all at once. */
  private readonly faults: PoolFaults = { blackhole: false, pausedReading: false };
  private readonly closedCaptures: SessionCapture[] = [];
  private readonly closedSessions = new ClosedSessions(CLOSED_SESSIONS_KEPT);
  /** The message trace (`GET /api/traces`); null when `traceEntries` is 0. */
  readonly trace: TraceRing | null;
  private readonly host: SessionHost;
  private server: Server | null = null;
  private control: ControlServer | null = null;
  private jobTimer: NodeJS.Timeout | null = null;
  private tipTimer: NodeJS.Timeout | null = null;
  private jobSerial = 0;
  private sessionCounter = 0;
  private closing = false;
  /** Set by setDifficulty() without a worker: applies to sessions that connect later too. */
  private defaultDifficulty: number | null = null;

  constructor(opts: Partial<PoolSimOptions> = {}, logger?: Logger) {
    this.options_ = resolveOptions(opts);
    const o = this.options_;
    // Logs go to stderr: stdout carries only the "listening" line that scripts wait for.
    this.logger =
      logger ??
      createLogger({ level: o.logLevel, format: 'json', destination: pino.destination({ dest: 2, sync: true }) }).child(
        o.name === null ? { component: 'pool-sim' } : { component: 'pool-sim', pool: o.name },
      );
    this.allocator = new ExtranonceAllocator(o.extranonce1Size, deriveSeed(o.seed, 0xe1), o.extranonce1Prefix);
    this.chain = new SimulatedChain(mulberry32(deriveSeed(o.seed, 0xc4a1)), o.startHeight, o.txCount);
    this.factory = this.makeFactory();
    this.trace = o.traceEntries > 0 ? new TraceRing(o.traceEntries) : null;
    const events = this.events;
    const currentOptions = (): Readonly<PoolSimOptions> => this.options_;
    this.host = {
      // A getter: a profile switch reaches every session at once.
      get options() {
        return currentOptions();
      },
      trace: this.trace,
      jobs: this.jobs,
      stats: this.stats_,
      logger: this.logger,
      faults: this.faults,
      nowMs: () => Date.now(),
      // Build the payload only when someone listens (most runs have no listener).
      onShare: (make: () => ShareEvent) => {
        if (events.listenerCount('share') > 0) events.emit('share', make());
      },
      onClose: (session: PoolSession) => this.onSessionClose(session),
    };
    this.makeJob(true);
  }

  /** The options in force (a profile switch replaces them). */
  get options(): Readonly<PoolSimOptions> {
    return this.options_;
  }

  /** Start accepting miners. Resolves with the bound address (port 0 gives an ephemeral port). */
  async listen(): Promise<ListenAddress> {
    if (this.server !== null) throw new PoolSimError('SRL_ERR_POOL_SIM_LISTEN', 'already listening');
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = null;
        reject(new ListenError(`cannot listen on ${this.options.host}:${this.options.port}: ${err.message}`, err));
      };
      server.once('error', onError);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err: err.message }, 'pool server error'));
    this.startTimers();
    const addr = server.address() as AddressInfo;
    this.logger.info({ host: addr.address, port: addr.port }, 'pool-sim listening');
    return { host: addr.address, port: addr.port };
  }

  /** Serve the control HTTP API (see startControlServer) on `port` (0 = ephemeral). */
  async controlListen(port = 0): Promise<ListenAddress> {
    if (this.control !== null) throw new PoolSimError('SRL_ERR_POOL_SIM_LISTEN', 'control server already listening');
    this.control = await startControlServer(this, this.options.controlHost, port);
    return this.control.address;
  }

  /** Stop accepting, close every session (waiting answers count as dropped) and the control server. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.jobTimer !== null) clearInterval(this.jobTimer);
    if (this.tipTimer !== null) clearInterval(this.tipTimer);
    this.jobTimer = null;
    this.tipTimer = null;
    const server = this.server;
    const closed = server === null ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of [...this.sessions]) s.destroy();
    await closed;
    if (this.control !== null) await this.control.close();
  }

  stats(): PoolStats {
    const tip = this.chain.tip;
    const current = this.jobs.current;
    return this.stats_.snapshot({
      name: this.options.name,
      tip: { height: tip.height, prevhash: tip.prevhash },
      jobs: { created: this.jobSerial, current: current === null ? null : current.job.jobId },
      faults: this.faults,
    });
  }

  /** Chain tip, current job, sessions and stats: the answer of `GET /api/state`. */
  state(): PoolState {
    const tip = this.chain.tip;
    const current = this.jobs.current;
    const open: SessionInfo[] = [];
    for (const s of this.sessions) {
      if (open.length >= STATE_SESSIONS_LIMIT) break;
      open.push(s.info());
    }
    const trace = this.trace;
    return {
      name: this.options_.name,
      profile: this.options_.profile,
      profiles: Object.keys(PROFILES) as ProfileName[],
      tip: { height: tip.height, prevhash: tip.prevhash },
      job:
        current === null
          ? null
          : {
              id: current.job.jobId,
              height: current.height,
              clean: current.clean,
              ntime: current.job.ntime,
              nbits: current.job.nbits,
              version: current.job.version,
              merkleBranchLength: current.job.merkleBranch.length,
            },
      stats: this.stats(),
      sessions: open,
      sessionsOmitted: this.sessions.size - open.length,
      closedSessions: this.closedSessions.newest(STATE_CLOSED_LIMIT),
      trace: trace === null ? null : { capacity: trace.capacity, size: trace.size, recorded: trace.recorded },
    };
  }

  /**
   * One session, open or among the last 1,000 closed, with the counters of its workers;
   * null when the pool knows no such session.
   */
  sessionReport(id: number): SessionReport | null {
    let info: SessionInfo | undefined;
    for (const s of this.sessions) {
      if (s.id === id) {
        info = s.info();
        break;
      }
    }
    info ??= this.closedSessions.get(id);
    if (info === undefined) return null;
    const workers: Record<string, WorkerStats> = {};
    for (const w of info.workers) {
      const stats = this.stats_.worker(w);
      // defineProperty: a worker named "__proto__" stays a plain key.
      if (stats !== null) Object.defineProperty(workers, w, { value: stats, enumerable: true, writable: true, configurable: true });
    }
    return { session: info, workers };
  }

  /**
   * Switch to the profile `name` while running: the profile's PROFILE_KEYS replace the current
   * ones (explicit start-up values of those keys included); addresses, seed, password and the
   * rest stay. Every session gets the profile's difficulty, fault planner and vardiff; timers
   * restart with the new intervals; a fresh job goes out at once so the new difficulty and
   * nbits apply from now. Throws UnknownProfileError (SRL_ERR_POOL_SIM_UNKNOWN_PROFILE).
   */
  setProfile(name: string): Readonly<PoolSimOptions> {
    if (!isProfileName(name)) throw new UnknownProfileError(name, Object.keys(PROFILES));
    const profile = PROFILES[name];
    const next: PoolSimOptions = { ...this.options_, profile: name };
    for (const key of PROFILE_KEYS) (next as unknown as Record<string, unknown>)[key] = profile[key];
    this.options_ = resolveOptions(next);
    const o = this.options_;
    this.defaultDifficulty = null;
    this.factory = this.makeFactory();
    this.chain.setTxCount(o.txCount);
    for (const s of this.sessions) {
      s.setBehaviour(this.chaosFor(s.id), this.vardiffFor());
      s.setDifficulty(o.difficulty);
    }
    if (this.server !== null && !this.closing) this.startTimers();
    this.rotateJob();
    this.logger.info({ profile: name }, 'profile switched');
    this.events.emit('profile', { name });
    return o;
  }

  /** Bytes of every session so far (only with `captureBytes: true`; else empty), oldest first. */
  captures(): SessionCapture[] {
    const open: SessionCapture[] = [];
    for (const s of this.sessions) {
      const c = s.capture();
      if (c !== null) open.push(c);
    }
    return [...this.closedCaptures, ...open].sort((a, b) => a.sessionId - b.sessionId);
  }

  /** Move to a new block: a clean job to every active session; earlier jobs become stale. */
  advanceTip(): void {
    const tip = this.chain.advance();
    this.broadcast(this.makeJob(true));
    this.logger.info({ height: tip.height }, 'tip advanced');
    this.events.emit('tip', { height: tip.height });
  }

  /** A new job on the same tip (new ntime and coinbase tag, clean_jobs=false) to every active session. */
  rotateJob(): void {
    this.broadcast(this.makeJob(false));
  }

  /**
   * Change the share difficulty of the sessions of `worker` (every session when undefined)
   * and of sessions that connect later when no worker is given. Sent at once with
   * mining.set_difficulty; it applies to jobs notified from then on.
   */
  setDifficulty(difficulty: number): void;
  setDifficulty(worker: string | undefined, difficulty: number): void;
  setDifficulty(a: string | number | undefined, b?: number): void {
    const worker = typeof a === 'number' ? undefined : a;
    const d = typeof a === 'number' ? a : b;
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) {
      throw new InvalidOptionError(`difficulty must be a finite number > 0, got ${String(d)}`);
    }
    if (worker === undefined) this.defaultDifficulty = d;
    for (const s of this.sessions) {
      if (worker === undefined || s.authorizedWorkers.has(worker)) s.setDifficulty(d);
    }
  }

  /**
   * Fault: drop every open miner session at once (each socket is destroyed, answers still
   * waiting count as dropped), like a pool process that restarts. Returns how many were dropped.
   * The listener stays open, so miners can reconnect at once.
   */
  killSessions(): number {
    const open = [...this.sessions];
    for (const s of open) s.destroy();
    this.logger.info({ killed: open.length }, 'fault: every session killed');
    return open.length;
  }

  /**
   * Fault: while on, the pool still accepts TCP connections but answers nothing on any session,
   * new or existing: what it reads is discarded and nothing is written (no answers, jobs,
   * difficulty). Off, sessions answer lines that start after that again.
   */
  setBlackhole(on: boolean): void {
    if (this.faults.blackhole === on) return;
    this.faults.blackhole = on;
    this.logger.info({ on }, 'fault: blackhole');
  }

  /**
   * Fault: while on, no session reads its socket (socket.pause()), including sessions that
   * connect meanwhile, so the kernel buffers fill and miners see backpressure. Off resumes them.
   */
  setPauseReading(on: boolean): void {
    if (this.faults.pausedReading === on) return;
    this.faults.pausedReading = on;
    for (const s of this.sessions) s.setReading(!on);
    this.logger.info({ on }, 'fault: pause reading');
  }

  private onConnection(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const index = this.sessionCounter++;
    const session = new PoolSession(index, this.allocator.next(), socket, this.host, this.chaosFor(index), this.vardiffFor());
    if (this.defaultDifficulty !== null) session.setDifficulty(this.defaultDifficulty);
    this.sessions.add(session);
    this.stats_.sessionsOpen++;
    this.stats_.sessionsTotal++;
    this.logger.debug({ session_id: index, remote: socket.remoteAddress, extranonce1: session.extranonce1 }, 'session opened');
  }

  private onSessionClose(session: PoolSession): void {
    if (!this.sessions.delete(session)) return;
    this.stats_.sessionsOpen--;
    const c = session.capture();
    if (c !== null) this.closedCaptures.push(c);
    this.closedSessions.add(session.info());
    this.logger.debug({ session_id: session.id }, 'session closed');
  }

  /** A session's fault planner under the current options: its own stream, from the seed and its index. */
  private chaosFor(index: number): ChaosPlanner | null {
    const o = this.options_;
    return o.chaos === null ? null : new ChaosPlanner(o.chaos, o.seed, index);
  }

  private vardiffFor(): Vardiff | null {
    const o = this.options_;
    if (!o.vardiff) return null;
    return new Vardiff(
      {
        targetShareIntervalMs: o.targetShareIntervalMs,
        retargetMs: o.vardiffRetargetMs,
        minDifficulty: o.minDifficulty,
        maxDifficulty: o.maxDifficulty,
        tolerance: 0.3,
      },
      Date.now(),
    );
  }

  private makeFactory(): JobFactory {
    const o = this.options_;
    return new JobFactory({
      extranonceSize: o.extranonce1Size + o.extranonce2Size,
      version: 0x20000000,
      nbits: o.nbits,
      valueSats: COINBASE_VALUE_SATS,
      scriptPubKeyHex: COINBASE_SCRIPT,
      tagPrefix: '/stratum-relay pool-sim',
    });
  }

  private makeJob(clean: boolean): PoolJob {
    const serial = this.jobSerial++;
    // Job ids: unique hex per pool instance; the seed keeps two pools' ids apart in logs.
    const jobId = `${(deriveSeed(this.options.seed, 7) & 0xffff).toString(16)}${serial.toString(16).padStart(4, '0')}`;
    const job = this.factory.build(this.chain.tip, jobId, serial, Math.floor(Date.now() / 1000), clean);
    this.jobs.add(job);
    return job;
  }

  private broadcast(job: PoolJob): void {
    const now = Date.now();
    for (const s of this.sessions) {
      if (!s.isActive) continue;
      s.tick(now);
      s.sendJob(job, false);
    }
  }

  /** (Re)starts the job and tip timers from the current options. */
  private startTimers(): void {
    if (this.jobTimer !== null) clearInterval(this.jobTimer);
    if (this.tipTimer !== null) clearInterval(this.tipTimer);
    this.jobTimer = null;
    this.tipTimer = null;
    const o = this.options_;
    if (o.jobIntervalMs > 0) {
      this.jobTimer = setInterval(() => this.rotateJob(), o.jobIntervalMs);
      this.jobTimer.unref();
    }
    if (o.tipIntervalMs > 0) {
      this.tipTimer = setInterval(() => this.advanceTip(), o.tipIntervalMs);
      this.tipTimer.unref();
    }
  }
}
