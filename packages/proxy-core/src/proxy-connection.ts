import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CloseReason, CloseSide, Direction } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from './event-bus';
import type { LineObserver } from './stratum-parser';
import { errorCode, errorLabel, upstreamFailureReason } from './upstream-failure-reason';

/** Builds the observer (normally a StratumParser) that sees one direction's bytes after they were relayed. */
export type ObserverFactory = (connectionId: number, direction: Direction, bus: ProxyEventBus) => LineObserver;

/**
 * Opens the upstream socket. Defaults to `net.connect`; tests inject one to delay or withhold the
 * connect deterministically on loopback. The returned socket must emit 'connect' once connected.
 */
export type UpstreamConnector = (options: net.TcpNetConnectOpts) => net.Socket;

export interface ConnectionSnapshot {
  connectionId: number;
  remoteAddress: string;
  remotePort: number;
  /** Wall-clock ms when the miner connected. */
  connectedAt: number;
  upstreamConnected: boolean;
  bytesMinerToPool: number;
  bytesPoolToMiner: number;
  /** Bytes from the miner held by the proxy (pre-connect queue + socket buffers), not yet handed to the kernel. */
  bufferedToPool: number;
  /** Bytes from the pool held by the proxy, not yet handed to the kernel. */
  bufferedToMiner: number;
}

export interface ProxyConnectionOptions {
  readonly connectionId: number;
  /** The accepted miner socket (created with allowHalfOpen). */
  readonly miner: net.Socket;
  readonly poolHost: string;
  readonly poolPort: number;
  /** 0 disables. */
  readonly idleTimeoutMs: number;
  readonly upstreamConnectTimeoutMs: number;
  /** Miner bytes queued while the upstream connects; at this size the miner socket is paused. */
  readonly preConnectBufferBytes: number;
  readonly bus: ProxyEventBus;
  readonly observerFactory: ObserverFactory;
  readonly connect: UpstreamConnector;
  /** Called once, right after `connection.closed` was emitted. */
  readonly onClosed: (connection: ProxyConnection) => void;
}

const KEEPALIVE_INITIAL_DELAY_MS = 30_000;

const NOOP_OBSERVER: LineObserver = {
  push(): void {},
  end(): void {},
};

/**
 * One miner, one upstream socket, bytes relayed both ways untouched.
 *
 * Relay first, observe second: each received Buffer is written to the other socket as is (no copy,
 * no re-serialization), then counted, then handed to that direction's observer. Backpressure is
 * the stream's own: a `write` returning false pauses the source until the destination drains, so
 * what the proxy holds per direction stays near one highWaterMark plus one chunk.
 */
export class ProxyConnection {
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Wall-clock ms of the accept. */
  readonly connectedAt: number;
  bytesMinerToPool = 0;
  bytesPoolToMiner = 0;

  private readonly startedAt: number;
  private readonly miner: net.Socket;
  private readonly pool: net.Socket;
  private readonly bus: ProxyEventBus;
  private readonly toPoolObserver: LineObserver;
  private readonly toMinerObserver: LineObserver;
  private readonly poolHost: string;
  private readonly poolPort: number;
  private readonly idleTimeoutMs: number;
  private readonly preConnectBufferBytes: number;
  private readonly onClosed: (connection: ProxyConnection) => void;

  private upstreamConnected = false;
  private upstreamSettled = false;
  private connectStartedAt = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Miner chunks received before the upstream connected, kept as the same Buffers. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pausedForConnect = false;

  private minerEnded = false;
  private poolEnded = false;
  private minerEndSent = false;
  private poolEndSent = false;
  private minerClosed = false;
  private poolClosed = false;
  private finished = false;

  private firstEndSide: CloseSide | undefined;
  private causeSide: CloseSide | undefined;
  private causeReason: CloseReason | undefined;
  private causeError: string | undefined;

  constructor(options: ProxyConnectionOptions) {
    const miner = options.miner;
    this.miner = miner;
    // Error and close handlers first: an unhandled 'error' would crash the process.
    miner.on('error', this.onMinerError);
    miner.on('close', this.onMinerClose);

    this.connectionId = options.connectionId;
    this.bus = options.bus;
    this.poolHost = options.poolHost;
    this.poolPort = options.poolPort;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.preConnectBufferBytes = options.preConnectBufferBytes;
    this.onClosed = options.onClosed;
    this.remoteAddress = miner.remoteAddress ?? '';
    this.remotePort = miner.remotePort ?? 0;
    this.connectedAt = Date.now();
    this.startedAt = performance.now();

    this.toPoolObserver = this.createObserver(options.observerFactory, 'miner_to_pool');
    this.toMinerObserver = this.createObserver(options.observerFactory, 'pool_to_miner');

    if (this.bus.hasListeners) {
      this.bus.emit({
        type: 'connection.opened',
        connectionId: this.connectionId,
        t: this.startedAt,
        remoteAddress: this.remoteAddress,
        remotePort: this.remotePort,
        wallTime: this.connectedAt,
      });
    }

    miner.setNoDelay(true);
    miner.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    if (this.idleTimeoutMs > 0) {
      // The miner socket sees every byte of both directions, so its timer alone measures idleness.
      miner.setTimeout(this.idleTimeoutMs);
      miner.on('timeout', this.onIdle);
    }
    miner.on('data', this.onMinerDataBeforeConnect);
    miner.on('end', this.onMinerEnd);
    miner.on('drain', this.onMinerDrain);

    this.pool = this.openUpstream(options.connect, options.upstreamConnectTimeoutMs);
    if (miner.destroyed) {
      // The miner left between accept and here: 'close' may already be behind us.
      this.setCause('miner', 'reset', undefined);
      this.destroySockets();
    }
  }

  /** Proxy-decided end (drain deadline, shutdown): destroys both sockets; `connection.closed` follows. */
  destroy(reason: CloseReason): void {
    this.setCause('proxy', reason, undefined);
    this.destroySockets();
  }

  get closed(): boolean {
    return this.finished;
  }

  snapshot(): ConnectionSnapshot {
    return {
      connectionId: this.connectionId,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      connectedAt: this.connectedAt,
      upstreamConnected: this.upstreamConnected,
      bytesMinerToPool: this.bytesMinerToPool,
      bytesPoolToMiner: this.bytesPoolToMiner,
      bufferedToPool: this.pendingBytes + this.miner.readableLength + this.pool.writableLength,
      bufferedToMiner: this.pool.readableLength + this.miner.writableLength,
    };
  }

  // ---- hot path ---------------------------------------------------------------------------

  // HOT PATH: write the very Buffer we received, then count, then observe. Do not copy, decode
  // or re-serialize `chunk`, and keep this free of allocations when nobody listens.
  private readonly onMinerData = (chunk: Buffer): void => {
    if (!this.pool.write(chunk)) this.miner.pause();
    this.bytesMinerToPool += chunk.length;
    if (this.bus.hasListeners) this.emitBytes('miner_to_pool', chunk.length);
    try {
      this.toPoolObserver.push(chunk);
    } catch {
      this.bus.observerErrors++;
    }
  };

  // HOT PATH: mirror of onMinerData.
  private readonly onPoolData = (chunk: Buffer): void => {
    if (!this.miner.write(chunk)) this.pool.pause();
    this.bytesPoolToMiner += chunk.length;
    if (this.bus.hasListeners) this.emitBytes('pool_to_miner', chunk.length);
    try {
      this.toMinerObserver.push(chunk);
    } catch {
      this.bus.observerErrors++;
    }
  };

  private readonly onPoolDrain = (): void => {
    this.miner.resume();
  };

  private readonly onMinerDrain = (): void => {
    this.pool.resume();
  };

  private emitBytes(direction: Direction, bytes: number): void {
    this.bus.emit({ type: 'bytes', connectionId: this.connectionId, t: performance.now(), direction, bytes });
  }

  // ---- upstream connect -------------------------------------------------------------------

  private openUpstream(connect: UpstreamConnector, timeoutMs: number): net.Socket {
    this.connectStartedAt = performance.now();
    let pool: net.Socket;
    try {
      pool = connect({ host: this.poolHost, port: this.poolPort, allowHalfOpen: true });
    } catch (err) {
      // e.g. ERR_SOCKET_BAD_PORT is thrown synchronously: report it like an async failure.
      pool = new net.Socket({ allowHalfOpen: true });
      process.nextTick(() => this.upstreamFailed(upstreamFailureReason(errorCode(err)), err));
    }
    pool.on('error', this.onPoolError);
    pool.on('close', this.onPoolClose);
    pool.on('connect', this.onUpstreamConnect);
    pool.on('data', this.onPoolData);
    pool.on('end', this.onPoolEnd);
    pool.on('drain', this.onPoolDrain);
    if (this.idleTimeoutMs > 0) pool.on('timeout', this.onIdle);
    this.connectTimer = setTimeout(this.onConnectTimeout, timeoutMs);
    return pool;
  }

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = undefined;
    const err = Object.assign(new Error(`upstream connect timed out after ${Math.round(performance.now() - this.connectStartedAt)} ms`), {
      code: 'ETIMEDOUT',
    });
    this.upstreamFailed('timeout', err);
  };

  private readonly onUpstreamConnect = (): void => {
    if (this.upstreamSettled) return;
    this.upstreamSettled = true;
    this.clearConnectTimer();
    if (this.causeReason !== undefined) return; // the miner is already gone
    this.upstreamConnected = true;
    const pool = this.pool;
    pool.setNoDelay(true);
    pool.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    if (this.bus.hasListeners) {
      this.bus.emit({
        type: 'upstream.connected',
        connectionId: this.connectionId,
        t: performance.now(),
        poolHost: this.poolHost,
        poolPort: this.poolPort,
        latencyMs: performance.now() - this.connectStartedAt,
      });
    }
    // Flush what the miner sent meanwhile, in order, through the normal relay path.
    const miner = this.miner;
    miner.off('data', this.onMinerDataBeforeConnect);
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (let i = 0; i < pending.length; i++) this.onMinerData(pending[i] as Buffer);
    miner.on('data', this.onMinerData);
    if (this.pausedForConnect) {
      this.pausedForConnect = false;
      // If the flush filled the upstream buffer, 'drain' resumes the miner instead.
      if (!pool.writableNeedDrain) miner.resume();
    }
    if (this.minerEnded) this.endPool();
  };

  private readonly onMinerDataBeforeConnect = (chunk: Buffer): void => {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.preConnectBufferBytes && !this.pausedForConnect) {
      // Bounded memory: the kernel's receive buffer (and then TCP flow control) holds the rest.
      this.pausedForConnect = true;
      this.miner.pause();
    }
  };

  private upstreamFailed(reason: ReturnType<typeof upstreamFailureReason>, err: unknown): void {
    if (this.upstreamSettled) return;
    this.upstreamSettled = true;
    this.clearConnectTimer();
    const code = errorCode(err);
    if (this.bus.hasListeners) {
      const now = performance.now();
      this.bus.emit({
        type: 'upstream.connect_failed',
        connectionId: this.connectionId,
        t: now,
        poolHost: this.poolHost,
        poolPort: this.poolPort,
        reason,
        code,
        message: err instanceof Error ? err.message : String(err),
        latencyMs: now - this.connectStartedAt,
      });
    }
    this.setCause('proxy', 'upstream_failed', errorLabel(err));
    this.pending = [];
    this.pendingBytes = 0;
    this.destroySockets();
  }

  // ---- half-close, errors, close ----------------------------------------------------------

  private readonly onMinerEnd = (): void => {
    this.minerEnded = true;
    this.firstEndSide ??= 'miner';
    this.endObserver(this.toPoolObserver);
    // end() after the writes: the FIN goes out once what was written is flushed.
    if (this.upstreamConnected) this.endPool();
  };

  private readonly onPoolEnd = (): void => {
    this.poolEnded = true;
    this.firstEndSide ??= 'pool';
    this.endObserver(this.toMinerObserver);
    this.minerEndSent = true;
    this.miner.end();
  };

  private endPool(): void {
    this.poolEndSent = true;
    this.pool.end();
  }

  private readonly onMinerError = (err: Error): void => {
    this.setCause('miner', 'reset', errorLabel(err));
    this.destroySockets();
  };

  private readonly onPoolError = (err: Error): void => {
    if (!this.upstreamSettled) {
      this.upstreamFailed(upstreamFailureReason(errorCode(err)), err);
      return;
    }
    this.setCause('pool', 'reset', errorLabel(err));
    this.destroySockets();
  };

  private readonly onIdle = (): void => {
    this.setCause('proxy', 'idle_timeout', undefined);
    this.destroySockets();
  };

  private readonly onMinerClose = (): void => {
    this.minerClosed = true;
    if (!this.poolClosed) {
      if (this.causeReason === undefined && !(this.minerEnded && this.minerEndSent)) {
        // Closed without an error we saw and without a clean FIN both ways: treat as a reset.
        this.setCause('miner', 'reset', undefined);
        this.destroySockets();
      } else if (this.idleTimeoutMs > 0) {
        // The miner's idle timer is gone with it; keep the upstream's flush bounded in time.
        this.pool.setTimeout(this.idleTimeoutMs);
      }
    }
    this.maybeFinish();
  };

  private readonly onPoolClose = (): void => {
    this.poolClosed = true;
    if (!this.minerClosed && this.causeReason === undefined && !(this.poolEnded && this.poolEndSent)) {
      this.setCause('pool', 'reset', undefined);
      this.destroySockets();
    }
    this.maybeFinish();
  };

  private setCause(side: CloseSide, reason: CloseReason, error: string | undefined): void {
    if (this.causeReason !== undefined) return;
    this.causeSide = side;
    this.causeReason = reason;
    this.causeError = error;
  }

  private destroySockets(): void {
    this.clearConnectTimer();
    this.miner.destroy();
    this.pool.destroy();
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    }
  }

  private maybeFinish(): void {
    if (!this.minerClosed || !this.poolClosed || this.finished) return;
    this.finished = true;
    this.clearConnectTimer();
    const now = performance.now();
    this.bus.emit({
      type: 'connection.closed',
      connectionId: this.connectionId,
      t: now,
      durationMs: now - this.startedAt,
      bytesMinerToPool: this.bytesMinerToPool,
      bytesPoolToMiner: this.bytesPoolToMiner,
      side: this.causeSide ?? this.firstEndSide ?? 'proxy',
      reason: this.causeReason ?? (this.firstEndSide !== undefined ? 'end' : 'reset'),
      error: this.causeError,
    });
    this.onClosed(this);
  }

  // ---- observers ----------------------------------------------------------------------------

  private createObserver(factory: ObserverFactory, direction: Direction): LineObserver {
    try {
      return factory(this.connectionId, direction, this.bus);
    } catch {
      // Observing is optional; relaying is not.
      this.bus.observerErrors++;
      return NOOP_OBSERVER;
    }
  }

  private endObserver(observer: LineObserver): void {
    try {
      observer.end();
    } catch {
      this.bus.observerErrors++;
    }
  }
}
