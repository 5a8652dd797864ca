import { EventEmitter } from 'node:events';
import { mulberry32 } from '@stratum-relay/prng';
import { BadOptionError } from './errors';
import type { FaultSpec } from './fault-plan';
import { HashScheduler } from './hash-scheduler';
import { LatencySampler } from './latency-sampler';
import { isIdStyle, type IdStyle } from './request-ids';
import type { ShareRejectReason } from './reject-reason';
import { SimMiner, type MinerHost, type ShareOutcome } from './sim-miner';
import { parseStratumUrl, type StratumEndpoint } from './stratum-url';
import { acceptRatio, addCounters, createCounters, type MinerSummary } from './summary';

export interface MinerFarmOptions {
  /** `stratum+tcp://host:port` or `host:port`. */
  url: string;
  miners: number;
  /** Worker name prefix: miners authorize as `user.1`, `user.2`, … */
  user: string;
  password: string;
  /** Hash rate cap per miner, H/s. The total is bounded by one core anyway. */
  hashrate: number;
  /** New connections per second while starting; 0 = all at once. */
  rampUp: number;
  idStyle: IdStyle;
  faults: readonly FaultSpec[];
  seed: number;
  /** The farm is done (see whenDone) after this long; null = no limit. */
  durationMs: number | null;
  /** The farm is done after this many answered submits (accepted + rejected) in total; null = no limit. */
  shares: number | null;
  /** A request without answer for this long counts as a timeout. */
  submitTimeoutMs: number;
  /** A TCP connect that has not completed after this long is abandoned (a failed connect). */
  connectTimeoutMs: number;
  /** A handshake request (configure, subscribe, authorize, extranonce.subscribe) without answer for this long drops the connection. */
  handshakeTimeoutMs: number;
  /** Drop a connection on which the pool sent nothing for this long, like ASIC firmware; null = never. */
  silenceTimeoutMs: number | null;
  /**
   * Reconnect when a connection drops, cannot be made or its handshake times out: exponential
   * backoff with equal jitter from `backoffBaseMs` to `backoffMaxMs`, reset by a completed
   * handshake (subscribe and authorize answered).
   */
  reconnect: boolean;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Send mining.configure for BIP310 version rolling. */
  versionRolling: boolean;
  versionRollingMask: number;
  /** Send mining.extranonce.subscribe after authorizing. */
  extranonceSubscribe: boolean;
  /** How long the slow_reader fault stops reading. */
  slowReaderMs: number;
  /** Size of the oversized fault's line. */
  oversizedBytes: number;
  /** Longest pool line the miner accepts; longer ones are dropped and counted. */
  maxLineBytes: number;
  userAgent: string;
  /** Nonces per extranonce2 before moving to the next one (tests use a small space); null = 2^32. */
  nonceSpace: number | null;
  /** On stop, how long to wait for the pool to close before destroying sockets. */
  stopGraceMs: number;
  /** Latency values kept for the percentiles (uniform reservoir). */
  latencySamples: number;
}

export const DEFAULT_MINER_FARM_OPTIONS: Readonly<MinerFarmOptions> = Object.freeze({
  url: 'stratum+tcp://127.0.0.1:3333',
  miners: 1,
  user: 'sim',
  password: 'x',
  hashrate: 50_000,
  rampUp: 0,
  idStyle: 'increment',
  faults: [],
  seed: 1,
  durationMs: null,
  shares: null,
  submitTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  silenceTimeoutMs: null,
  reconnect: true,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
  versionRolling: false,
  versionRollingMask: 0x1fffe000,
  extranonceSubscribe: false,
  slowReaderMs: 3_000,
  oversizedBytes: 128 * 1024,
  maxLineBytes: 1024 * 1024,
  userAgent: 'miner-sim/0.1',
  nonceSpace: null,
  stopGraceMs: 1_000,
  latencySamples: 10_000,
});

/** Payloads of MinerFarm.events. */
export interface ShareEvent {
  readonly worker: string;
  readonly accepted: boolean;
  readonly reason: ShareRejectReason | null;
  readonly latencyMs: number;
}
export interface ConnectionEvent {
  readonly worker: string;
}

const HOUSEKEEPING_MS = 250;
const RAMP_TICK_MS = 20;

function check(name: string, ok: boolean, why: string): void {
  if (!ok) throw new BadOptionError(name, why);
}

function validate(o: MinerFarmOptions): StratumEndpoint {
  const endpoint = parseStratumUrl(o.url);
  const posInt = (v: number): boolean => Number.isInteger(v) && v >= 1;
  check('miners', posInt(o.miners) && o.miners <= 100_000, 'an integer 1-100000');
  check('user', typeof o.user === 'string' && o.user.length > 0, 'a non-empty worker prefix');
  check('password', typeof o.password === 'string', 'a string');
  check('hashrate', Number.isFinite(o.hashrate) && o.hashrate > 0, 'a number > 0 (H/s)');
  check('rampUp', Number.isFinite(o.rampUp) && o.rampUp >= 0, 'connections per second ≥ 0');
  check('idStyle', isIdStyle(o.idStyle), 'increment, reuse or string');
  check('seed', Number.isInteger(o.seed), 'an integer');
  check('durationMs', o.durationMs === null || (Number.isFinite(o.durationMs) && o.durationMs > 0), 'null or > 0');
  check('shares', o.shares === null || posInt(o.shares), 'null or an integer ≥ 1');
  check('silenceTimeoutMs', o.silenceTimeoutMs === null || posInt(o.silenceTimeoutMs), 'null or an integer ≥ 1');
  for (const k of ['submitTimeoutMs', 'connectTimeoutMs', 'handshakeTimeoutMs', 'backoffBaseMs', 'backoffMaxMs', 'slowReaderMs', 'oversizedBytes', 'maxLineBytes', 'latencySamples'] as const) {
    check(k, posInt(o[k]), 'an integer ≥ 1');
  }
  check('stopGraceMs', Number.isInteger(o.stopGraceMs) && o.stopGraceMs >= 0, 'an integer ≥ 0');
  check('nonceSpace', o.nonceSpace === null || (posInt(o.nonceSpace) && o.nonceSpace <= 2 ** 32), 'null or 1..2^32');
  check('versionRollingMask', Number.isInteger(o.versionRollingMask) && o.versionRollingMask >= 0 && o.versionRollingMask <= 0xffffffff, 'a 32-bit mask');
  return endpoint;
}

/**
 * Many simulated miners in one process, sharing one event loop (see HashScheduler).
 * Each miner is one TCP connection: 10,000 miners need 10,000 file descriptors.
 */
export class MinerFarm {
  /** 'share' ShareEvent, 'connected' / 'disconnected' ConnectionEvent, 'done' (limit reached). */
  readonly events = new EventEmitter();
  readonly options: Readonly<MinerFarmOptions>;

  private readonly miners: SimMiner[] = [];
  private readonly scheduler = new HashScheduler();
  private readonly latency: LatencySampler;
  private readonly host: MinerHost;
  private launched = 0;
  private connectedCount = 0;
  private answered = 0;
  private inflight = 0;
  private startedAt: number | null = null;
  private stoppedAt: number | null = null;
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<MinerSummary> | null = null;
  private rampTimer: NodeJS.Timeout | null = null;
  private finishRamp: (() => void) | null = null;
  private durationTimer: NodeJS.Timeout | null = null;
  private housekeeping: NodeJS.Timeout | null = null;
  private isDone = false;
  private readonly donePromise: Promise<void>;
  private resolveDone!: () => void;

  constructor(opts: Partial<MinerFarmOptions> = {}) {
    const o: MinerFarmOptions = { ...DEFAULT_MINER_FARM_OPTIONS, ...opts };
    const endpoint = validate(o);
    this.options = Object.freeze({ ...o, faults: Object.freeze([...o.faults]) });
    this.latency = new LatencySampler(o.latencySamples, mulberry32(o.seed ^ 0x5eed));
    this.donePromise = new Promise((resolve) => (this.resolveDone = resolve));
    this.host = this.createHost();
    for (let i = 0; i < o.miners; i++) {
      this.miners.push(
        new SimMiner(
          {
            worker: `${o.user}.${i + 1}`,
            password: o.password,
            endpoint,
            hashrate: o.hashrate,
            idStyle: o.idStyle,
            faults: this.options.faults,
            seed: (o.seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0,
            userAgent: o.userAgent,
            submitTimeoutMs: o.submitTimeoutMs,
            connectTimeoutMs: o.connectTimeoutMs,
            handshakeTimeoutMs: o.handshakeTimeoutMs,
            silenceTimeoutMs: o.silenceTimeoutMs,
            reconnect: o.reconnect,
            backoffBaseMs: o.backoffBaseMs,
            backoffMaxMs: o.backoffMaxMs,
            versionRolling: o.versionRolling,
            versionRollingMask: o.versionRollingMask,
            extranonceSubscribe: o.extranonceSubscribe,
            slowReaderMs: o.slowReaderMs,
            oversizedBytes: o.oversizedBytes,
            maxLineBytes: o.maxLineBytes,
            nonceSpace: o.nonceSpace ?? undefined,
          },
          this.host,
        ),
      );
    }
  }

  /** Connect the miners (at `rampUp` per second); resolves once every miner was started. */
  start(): Promise<void> {
    if (this.startPromise !== null) return this.startPromise;
    this.startedAt = performance.now();
    this.scheduler.start();
    this.housekeeping = setInterval(() => this.sweep(), HOUSEKEEPING_MS);
    this.housekeeping.unref();
    const { durationMs, rampUp } = this.options;
    if (durationMs !== null) this.durationTimer = setTimeout(() => this.markDone(), durationMs);
    this.startPromise = new Promise<void>((resolve) => {
      if (rampUp === 0) {
        while (this.launched < this.miners.length) this.launchNext();
        resolve();
        return;
      }
      this.finishRamp = resolve;
      let credit = 1; // the first miner goes at once
      const tick = (): void => {
        while (credit >= 1 && this.launched < this.miners.length) {
          this.launchNext();
          credit--;
        }
        if (this.launched >= this.miners.length) {
          this.endRamp();
          return;
        }
        credit += (rampUp * RAMP_TICK_MS) / 1000;
      };
      tick();
      if (this.finishRamp !== null) this.rampTimer = setInterval(tick, RAMP_TICK_MS);
    });
    return this.startPromise;
  }

  /** Resolves when `durationMs` passed, `shares` answers arrived, or the farm was stopped. */
  whenDone(): Promise<void> {
    return this.donePromise;
  }

  /** Stop all miners (no reconnects), close their sockets, and return the final summary. */
  stop(): Promise<MinerSummary> {
    if (this.stopPromise === null) this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  summary(): MinerSummary {
    const totals = createCounters();
    let connected = 0;
    let authorized = 0;
    const perMiner = this.miners.map((m) => {
      addCounters(totals, m.stats);
      const snap = m.snapshot();
      if (snap.connected) connected++;
      if (snap.authorized) authorized++;
      return snap;
    });
    const durationMs = this.elapsedMs();
    const seconds = durationMs / 1000;
    return {
      ...totals,
      miners: this.miners.length,
      connected,
      authorized,
      durationMs,
      acceptRatio: acceptRatio(totals),
      shareRate: seconds > 0 ? (totals.accepted + totals.rejected) / seconds : 0,
      hashrate: seconds > 0 ? totals.hashes / seconds : 0,
      latencyMs: this.latency.stats(),
      perMiner,
    };
  }

  /**
   * Worker → extranonce1 of its latest mining.subscribe answer (null before the first), live
   * while the farm runs and kept across disconnects. With pools that hand out distinct
   * extranonce1 prefixes (pool-sim's extranonce1Prefix) it says which pool each miner is on:
   * poll it to see every miner move to the backup.
   */
  extranonce1s(): Map<string, string | null> {
    const out = new Map<string, string | null>();
    for (const m of this.miners) out.set(m.worker, m.lastExtranonce1);
    return out;
  }

  /** Cheap live numbers for a progress line (no per-miner snapshots). */
  progress(): { miners: number; connected: number; accepted: number; rejected: number; durationMs: number } {
    let accepted = 0;
    let rejected = 0;
    for (const m of this.miners) {
      accepted += m.stats.accepted;
      rejected += m.stats.rejected;
    }
    return { miners: this.miners.length, connected: this.connectedCount, accepted, rejected, durationMs: this.elapsedMs() };
  }

  private elapsedMs(): number {
    if (this.startedAt === null) return 0;
    return (this.stoppedAt ?? performance.now()) - this.startedAt;
  }

  private launchNext(): void {
    const miner = this.miners[this.launched++] as SimMiner;
    this.scheduler.add(miner);
    miner.start();
  }

  private endRamp(): void {
    if (this.rampTimer !== null) clearInterval(this.rampTimer);
    this.rampTimer = null;
    const finish = this.finishRamp;
    this.finishRamp = null;
    finish?.();
  }

  private sweep(): void {
    const now = performance.now();
    for (let i = 0; i < this.launched; i++) (this.miners[i] as SimMiner).sweep(now);
  }

  private markDone(): void {
    if (this.isDone) return;
    this.isDone = true;
    this.resolveDone();
    this.events.emit('done');
  }

  private async doStop(): Promise<MinerSummary> {
    this.endRamp();
    if (this.durationTimer !== null) clearTimeout(this.durationTimer);
    if (this.housekeeping !== null) clearInterval(this.housekeeping);
    this.durationTimer = null;
    this.housekeeping = null;
    this.scheduler.stop();
    await Promise.all(this.miners.slice(0, this.launched).map((m) => m.stop(this.options.stopGraceMs)));
    if (this.startedAt !== null) this.stoppedAt = performance.now();
    this.markDone();
    return this.summary();
  }

  private createHost(): MinerHost {
    const events = this.events;
    return {
      scheduler: this.scheduler,
      mayStartSubmit: () => this.options.shares === null || this.answered + this.inflight < this.options.shares,
      submitSent: () => {
        this.inflight++;
      },
      submitSettled: (miner: SimMiner, outcome: ShareOutcome | null) => {
        this.inflight--;
        if (outcome === null) return;
        this.answered++;
        this.latency.record(outcome.latencyMs);
        // Build the payload only when someone listens (10,000 miners × share rate adds up).
        if (events.listenerCount('share') > 0) {
          const ev: ShareEvent = { worker: miner.worker, accepted: outcome.accepted, reason: outcome.reason, latencyMs: outcome.latencyMs };
          events.emit('share', ev);
        }
        if (this.options.shares !== null && this.answered >= this.options.shares) this.markDone();
      },
      connected: (miner: SimMiner) => {
        this.connectedCount++;
        if (events.listenerCount('connected') > 0) events.emit('connected', { worker: miner.worker } satisfies ConnectionEvent);
      },
      disconnected: (miner: SimMiner) => {
        this.connectedCount--;
        if (events.listenerCount('disconnected') > 0) events.emit('disconnected', { worker: miner.worker } satisfies ConnectionEvent);
      },
    };
  }
}
