import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CloseReason, CloseSide, Direction, UpstreamFailureReason } from '@stratum-relay/shared-types';
import type { ReconnectInjection } from './drain/drain-reconnect';
import type { ProxyEventBus } from './event-bus';
import {
  CONNECTION_EXPORT_VERSION,
  decodeLineState,
  decodeRewriteState,
  encodeLineState,
  encodeRewriteState,
  type ConnectionExport,
  type ConnectionHandover,
  type HandoverRefusal,
  type LineStateExport,
} from './handover/connection-export';
import { canStopReading, flushed, stopReading } from './handover/socket-reading';
import { ReusedBytesEvent } from './reused-events';
import type { LineObserver } from './stratum-parser';
import { errorCode, errorLabel, upstreamFailureReason } from './upstream/failure-reason';
import { PoolWriter } from './upstream/pool-writer';
import type { UpstreamPool, UpstreamPools } from './upstream/upstream-pools';

/** Builds the observer (normally a StratumParser) that sees one direction's bytes after they were relayed. */
export type ObserverFactory = (connectionId: number, direction: Direction, bus: ProxyEventBus) => LineObserver;

export interface ConnectionSnapshot {
  connectionId: number;
  remoteAddress: string;
  remotePort: number;
  /** Wall-clock ms when the miner connected. */
  connectedAt: number;
  upstreamConnected: boolean;
  /** Name of the pool relayed to now (or being connected), null before the first attempt. */
  pool: string | null;
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
  /** The miner's address when it is not the socket's own (PROXY protocol). */
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** Bytes the miner sent before the connection was created (read during admission), relayed first. */
  readonly initialBytes?: Buffer;
  /** The pools to try, in order, and how to dial them. */
  readonly upstreams: UpstreamPools;
  /** 0 disables. */
  readonly idleTimeoutMs: number;
  /** Per pool: connect (and TLS handshake) deadline, and the deadline for the pool's first byte after the miner's first. */
  readonly upstreamConnectTimeoutMs: number;
  /** Miner bytes queued while the upstream connects; at this size the miner socket is paused. */
  readonly preConnectBufferBytes: number;
  /** Cap of a held line tail in the per-pool account rewrite. */
  readonly maxLineBytes: number;
  readonly bus: ProxyEventBus;
  readonly observerFactory: ObserverFactory;
  /** Called once, right after `connection.closed` was emitted. */
  readonly onClosed: (connection: ProxyConnection) => void;
  /** Resume a connection handed over by another process instead of dialing a pool. */
  readonly adopt?: AdoptedConnection;
}

/** What a connection handed over by another process is resumed from. */
export interface AdoptedConnection {
  /** Checked already (checkConnectionExport). */
  readonly state: ConnectionExport;
  /** The upstream socket, bound to `upstream`. */
  readonly pool: net.Socket;
  readonly upstream: UpstreamPool;
}

/** A connection paused for a handover: what it read and did not relay, held until it moves or resumes. */
interface HandoverPause {
  readonly pool: net.Socket;
  readonly toPool: Buffer;
  readonly toMiner: Buffer;
  /** Wall-clock ms, fractional. */
  readonly pausedAt: number;
}

const KEEPALIVE_INITIAL_DELAY_MS = 30_000;
/** How long a failback keeps reading the pool for answers already on their way (one RTT is plenty). */
const FAILBACK_LINGER_MS = 2_000;

const LF = 0x0a;

const NOOP_OBSERVER: LineObserver = {
  push(): void {},
  end(): void {},
};

/**
 * Where the upstream side is:
 * - connecting: a socket to `pools[attempt]` is opening; miner bytes queue in `pending`.
 * - awaiting: connected, the pool has not sent a byte yet; miner bytes are relayed and also kept
 *   in `sent`, so that if this pool fails now the same bytes can be delivered to the next one.
 * - relaying: the pool has spoken; from here the connection is bound to it.
 * - failed: every pool failed.
 */
type UpstreamPhase = 'connecting' | 'awaiting' | 'relaying' | 'failed';

/**
 * One miner, one upstream socket, bytes relayed both ways untouched.
 *
 * Relay first, observe second: each received Buffer is written to the other socket as is (no copy,
 * no re-serialization), then counted, then handed to that direction's observer. Backpressure is
 * the stream's own: a `write` returning false pauses the source until the destination drains, so
 * what the proxy holds per direction stays near one highWaterMark plus one chunk.
 *
 * Failover inside the miner's connection: until a pool has sent its first byte, the miner has
 * seen nothing from it, so a pool that refuses, times out, resets or stays silent is replaced by
 * the next one and the miner's bytes are delivered there in order; the miner only sees a slower
 * subscribe answer. Once the pool has spoken the connection is bound to it.
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
  private pool: net.Socket | null = null;
  private writer: PoolWriter | null = null;
  private readonly bus: ProxyEventBus;
  private readonly toPoolObserver: LineObserver;
  private readonly toMinerObserver: LineObserver;
  /** `bytes` events lent to borrowing listeners (ProxyEventBus.lendsEvents), one per direction. */
  private toPoolBytes: ReusedBytesEvent | null = null;
  private toMinerBytes: ReusedBytesEvent | null = null;
  private readonly upstreams: UpstreamPools;
  private readonly plan: UpstreamPool[];
  private attempt = -1;
  private current: UpstreamPool | null = null;
  /** The pool whose upstream connected last (what `connection.closed` reports), null before one did. */
  private connectedPool: UpstreamPool | null = null;
  /** True while `current.miners` counts this connection. */
  private countedOnPool = false;
  private phase: UpstreamPhase = 'connecting';
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly preConnectBufferBytes: number;
  private readonly maxLineBytes: number;
  private readonly onClosed: (connection: ProxyConnection) => void;

  private connectStartedAt = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Miner chunks received while connecting, not yet relayed or observed (the same Buffers). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Miner chunks relayed to the current pool before it spoke (already observed). */
  private sent: Buffer[] = [];
  private sentBytes = 0;
  private pausedForConnect = false;
  /** Closing for a failback: the miner is gone, the pool's in-flight answers are still read. */
  private leaving = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private minerHandler: ((chunk: Buffer) => void) | null = null;
  /** Paused for a handover (reading stopped, relay handlers off); null otherwise. */
  private handover: HandoverPause | null = null;
  /** Moved to another process: the sockets are not ours any more, whatever is called. */
  private handedOver = false;
  /** A line of the proxy's own (drain: client.reconnect) waiting for the end of the pool's current line. */
  private injectAfterLine: Buffer | null = null;

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
    this.upstreams = options.upstreams;
    this.plan = options.upstreams.plan();
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.connectTimeoutMs = options.upstreamConnectTimeoutMs;
    this.preConnectBufferBytes = options.preConnectBufferBytes;
    this.maxLineBytes = options.maxLineBytes;
    this.onClosed = options.onClosed;
    this.remoteAddress = options.remoteAddress ?? miner.remoteAddress ?? '';
    this.remotePort = options.remotePort ?? miner.remotePort ?? 0;
    const adopt = options.adopt;
    this.connectedAt = adopt?.state.connectedAt ?? Date.now();
    const now = performance.now();
    // An adopted connection's duration counts from its accept in the other process.
    this.startedAt = adopt === undefined ? now : now - Math.max(0, Date.now() - this.connectedAt);

    this.toPoolObserver = this.createObserver(options.observerFactory, 'miner_to_pool');
    this.toMinerObserver = this.createObserver(options.observerFactory, 'pool_to_miner');

    if (adopt !== undefined) {
      this.bytesMinerToPool = adopt.state.bytesMinerToPool;
      this.bytesPoolToMiner = adopt.state.bytesPoolToMiner;
      if (this.bus.hasListeners) {
        this.bus.emit({
          type: 'connection.adopted',
          connectionId: this.connectionId,
          t: now,
          remoteAddress: this.remoteAddress,
          remotePort: this.remotePort,
          wallTime: this.connectedAt,
          poolName: adopt.upstream.name,
          bytesMinerToPool: this.bytesMinerToPool,
          bytesPoolToMiner: this.bytesPoolToMiner,
        });
      }
    } else if (this.bus.hasListeners) {
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
    miner.on('end', this.onMinerEnd);
    miner.on('drain', this.onMinerDrain);
    if (adopt !== undefined) {
      this.resumeAdopted(adopt);
      return;
    }
    if (options.initialBytes !== undefined && options.initialBytes.length > 0) this.onMinerDataBeforeConnect(options.initialBytes);
    this.useMinerHandler(this.onMinerDataBeforeConnect);

    this.nextUpstream();
    if (miner.destroyed) {
      // The miner left between accept and here: 'close' may already be behind us.
      this.setCause('miner', 'reset', undefined);
      this.destroySockets();
    }
  }

  /** Proxy-decided end (drain deadline, shutdown, failback): destroys both sockets; `connection.closed` follows. */
  destroy(reason: CloseReason): void {
    if (this.handedOver) return;
    this.setCause('proxy', reason, undefined);
    this.destroySockets();
  }

  /**
   * Close so the miner reconnects to the preferred pool (see Failback). The miner is closed at
   * once; the pool socket is half-closed and read, observe-only, for a short while, so that the
   * answers to submits already on their way are still counted as the pool counted them (a share
   * the pool accepted is not lost to `submits_lost` by our own move).
   */
  failback(): void {
    // Paused for a handover: it moves, or resumes and is moved by a later tick.
    if (this.leaving || this.finished || this.handover !== null) return;
    const pool = this.pool;
    if (this.phase !== 'relaying' || pool === null) {
      this.destroy('failback');
      return;
    }
    this.leaving = true;
    this.setCause('proxy', 'failback', undefined);
    if (this.countedOnPool) {
      (this.current as UpstreamPool).miners--;
      this.countedOnPool = false;
    }
    this.clearConnectTimer();
    this.miner.destroy();
    pool.off('data', this.onPoolData);
    pool.on('data', this.onPoolDataLeaving);
    pool.resume();
    if (!this.poolEndSent) this.endPool();
    this.lingerTimer = setTimeout(() => pool.destroy(), FAILBACK_LINGER_MS);
  }

  get closed(): boolean {
    return this.finished;
  }

  /** The pool this connection is relayed to (or connecting to), null before the first attempt and once it is closing for a failback or closed. */
  get upstreamPool(): UpstreamPool | null {
    return this.finished || this.leaving ? null : this.current;
  }

  snapshot(): ConnectionSnapshot {
    const pool = this.pool;
    return {
      connectionId: this.connectionId,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      connectedAt: this.connectedAt,
      upstreamConnected: this.phase === 'awaiting' || this.phase === 'relaying',
      pool: this.current?.name ?? null,
      bytesMinerToPool: this.bytesMinerToPool,
      bytesPoolToMiner: this.bytesPoolToMiner,
      bufferedToPool: this.pendingBytes + this.miner.readableLength + (pool?.writableLength ?? 0) + (this.handover?.toPool.length ?? 0),
      bufferedToMiner: (pool?.readableLength ?? 0) + this.miner.writableLength + (this.handover?.toMiner.length ?? 0),
    };
  }

  /**
   * Drain (DRAIN_RECONNECT): give the miner a line of the proxy's own, `line` (one complete line,
   * newline included), without ever cutting one of the pool's: written now when the pool's
   * stream to the miner is between lines, else right after the newline that ends the pool's
   * current line. Where lines end is what this direction's observer holds (the state a handover
   * exports); an observer that cannot say counts as mid-line. The pool's bytes stay exactly
   * theirs: counted and observed as they came, the injected line is neither.
   */
  injectToMiner(line: Buffer): ReconnectInjection {
    if (this.finished || this.handedOver || this.leaving || this.causeReason !== undefined || this.handover !== null) return 'closing';
    if (this.injectAfterLine !== null) return 'after_line';
    // A FIN from either side on the way to the miner: nothing more may be written after it.
    if (this.poolEnded || this.minerEndSent || this.miner.writableEnded) return 'closing';
    if (this.phase !== 'relaying' || this.pool === null) return 'not_relaying';
    if (atLineStart(this.toMinerObserver)) {
      this.miner.write(line);
      return 'sent';
    }
    this.injectAfterLine = line;
    return 'after_line';
  }

  // ---- handover (upgrades): none of this runs per chunk -------------------------------------

  /** Why this connection cannot be handed over to another process now, or null when it can. */
  handoverBlocker(): HandoverRefusal | null {
    if (this.finished || this.causeReason !== undefined || this.leaving) return 'closing';
    if (this.handover !== null || this.injectAfterLine !== null) return 'busy';
    if (isTls(this.miner)) return 'tls_miner';
    const pool = this.pool;
    const upstream = this.current;
    if (this.phase !== 'relaying' || pool === null || upstream === null) return 'not_relaying';
    if (upstream.spec.scheme !== 'tcp' || isTls(pool)) return 'tls_pool';
    if (this.minerEnded || this.poolEnded || this.minerEndSent || this.poolEndSent) return 'half_closed';
    if (!canStopReading(this.miner) || !canStopReading(pool)) return 'no_handle';
    return null;
  }

  /**
   * Handover, step 1 (synchronous): stop relaying at a chunk boundary. The relay handlers come
   * off, both sockets stop reading from their descriptors, and what they had read but nobody
   * relayed is taken out and kept (it moves with the connection, unobserved). Returns why the
   * connection stays instead, in which case nothing changed (or, for a FIN found behind the
   * buffered bytes, it relays on here as before).
   */
  pauseForHandover(): HandoverRefusal | null {
    const blocker = this.handoverBlocker();
    if (blocker !== null) return blocker;
    const miner = this.miner;
    const pool = this.pool as net.Socket;
    const pausedAt = performance.timeOrigin + performance.now();
    // Handlers off first: reading out the buffers must not relay them, and a 'drain' or the idle
    // timer must not resume or close anything while paused. Errors and closes still apply.
    if (this.minerHandler !== null) miner.off('data', this.minerHandler);
    this.minerHandler = null;
    pool.off('data', this.onPoolData);
    miner.off('drain', this.onMinerDrain);
    pool.off('drain', this.onPoolDrain);
    if (this.idleTimeoutMs > 0) miner.setTimeout(0);
    const fromMiner = stopReading(miner);
    const fromPool = stopReading(pool);
    this.handover = { pool, toPool: fromMiner.bytes, toMiner: fromPool.bytes, pausedAt };
    if (fromMiner.eof || fromPool.eof) {
      // The FIN was read already: it cannot travel with the descriptor. Relay on here; the
      // 'end' that follows the buffered bytes is handled as usual.
      this.resumeHere();
      return 'half_closed';
    }
    return null;
  }

  /**
   * Handover, step 2: null when what was written to both sockets is in the kernel already (the
   * usual case: go on at once), else a promise that resolves once it is, or a socket closed.
   */
  flushForHandover(): Promise<void> | null {
    const pause = this.handover;
    if (pause === null) return null;
    const miner = this.miner;
    const pool = pause.pool;
    if (miner.writableLength === 0 && pool.writableLength === 0) return null;
    return Promise.all([flushed(miner), flushed(pool)]).then(noop);
  }

  /**
   * Handover, step 3: detach from both sockets and describe the connection, or resume relaying
   * here when a socket still holds unwritten bytes (flush deadline) or an observer cannot hand
   * its state over. A connection that closed while paused is reported `closed` (its
   * `connection.closed` was emitted as usual).
   *
   * After a handover this object is inert: `closed` is true, nothing is emitted, and the caller
   * (the server) forgets it without a `connection.closed`.
   */
  completeHandover(awaitingAuthorize: boolean): ConnectionHandover | HandoverRefusal {
    const pause = this.handover;
    if (pause === null) return this.finished ? 'closed' : 'busy';
    const miner = this.miner;
    const pool = pause.pool;
    if (this.finished || this.causeReason !== undefined || miner.destroyed || pool.destroyed) {
      this.handover = null;
      return 'closed';
    }
    if (miner.writableLength > 0 || pool.writableLength > 0) {
      this.resumeHere();
      return 'flush_timeout';
    }
    let observers: ConnectionExport['observers'];
    let accountRewrite: ConnectionExport['accountRewrite'];
    try {
      observers = { minerToPool: exportObserver(this.toPoolObserver), poolToMiner: exportObserver(this.toMinerObserver) };
      accountRewrite = this.writer === null ? null : encodeRewriteState(this.writer.exportState());
    } catch {
      this.bus.observerErrors++;
      this.resumeHere();
      return 'observer_state';
    }
    const upstream = this.current as UpstreamPool;
    const state: ConnectionExport = {
      version: CONNECTION_EXPORT_VERSION,
      connectionId: this.connectionId,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      connectedAt: this.connectedAt,
      pausedAt: pause.pausedAt,
      pool: { ...upstream.spec },
      bytesMinerToPool: this.bytesMinerToPool,
      bytesPoolToMiner: this.bytesPoolToMiner,
      unrelayedToPool: pause.toPool.toString('base64'),
      unrelayedToMiner: pause.toMiner.toString('base64'),
      observers,
      accountRewrite,
      awaitingAuthorize,
    };
    miner.off('error', this.onMinerError);
    miner.off('close', this.onMinerClose);
    miner.off('end', this.onMinerEnd);
    miner.off('timeout', this.onIdle);
    pool.off('error', this.onPoolError);
    pool.off('close', this.onPoolClose);
    pool.off('end', this.onPoolEnd);
    pool.off('timeout', this.onIdle);
    // Nothing here listens any more; an error before the sockets leave must not crash the process.
    miner.on('error', noop);
    pool.on('error', noop);
    this.handover = null;
    this.handedOver = true;
    this.finished = true;
    this.clearConnectTimer();
    if (this.countedOnPool) {
      upstream.miners--;
      this.countedOnPool = false;
    }
    this.pool = null;
    this.writer = null;
    return { state, miner, pool };
  }

  /** Gives up a handover: relays what was held back, in order, then reads both sockets again. */
  private resumeHere(): void {
    const pause = this.handover as HandoverPause;
    this.handover = null;
    const miner = this.miner;
    const pool = pause.pool;
    miner.on('drain', this.onMinerDrain);
    pool.on('drain', this.onPoolDrain);
    if (this.idleTimeoutMs > 0) miner.setTimeout(this.idleTimeoutMs);
    this.relayFirst(pool, pause.toPool, pause.toMiner);
  }

  /**
   * Relay handlers on, then the bytes read earlier but not relayed (through the same path as any
   * chunk: written, counted, observed), then reading again — unless those writes asked for a
   * 'drain', which resumes the source instead.
   */
  private relayFirst(pool: net.Socket, toPool: Buffer, toMiner: Buffer): void {
    const miner = this.miner;
    this.useMinerHandler(this.onMinerData);
    pool.on('data', this.onPoolData);
    if (toPool.length > 0) this.onMinerData(toPool);
    if (toMiner.length > 0) this.onPoolData(toMiner);
    if (!pool.writableNeedDrain) miner.resume();
    if (!miner.writableNeedDrain) pool.resume();
  }

  /** Constructor tail of an adopted connection: bound to its pool, relaying, observers continued. */
  private resumeAdopted(adopt: AdoptedConnection): void {
    const { state, pool, upstream } = adopt;
    const miner = this.miner;
    pool.on('error', this.onPoolError);
    pool.on('close', this.onPoolClose);
    this.pool = pool;
    this.current = upstream;
    this.connectedPool = upstream;
    this.attempt = this.plan.length; // bound: no failover
    this.phase = 'relaying';
    upstream.miners++;
    this.countedOnPool = true;
    // A socket received over IPC is built with Node's default allowHalfOpen = false: it would
    // answer a peer's FIN with its own at once. The relay forwards each half-close itself.
    miner.allowHalfOpen = true;
    pool.allowHalfOpen = true;
    pool.setNoDelay(true);
    pool.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    pool.on('end', this.onPoolEnd);
    pool.on('drain', this.onPoolDrain);
    if (this.idleTimeoutMs > 0) pool.on('timeout', this.onIdle);
    if (upstream.spec.account !== null) {
      const writer = new PoolWriter(pool, upstream, this.maxLineBytes);
      this.writer = writer;
      if (state.accountRewrite !== null) {
        const rewrite = decodeRewriteState(state.accountRewrite);
        try {
          writer.importState(rewrite);
        } catch {
          // Over this process's line cap: the held bytes leave as they are and the rest of their
          // line passes unchanged, as the rewrite treats any line over its cap (counted unsafe).
          // Never dropped: they are the miner's.
          writer.importState({ held: EMPTY, skipping: true });
          pool.write(rewrite.held);
          if (upstream.rewrites !== null) upstream.rewrites.unsafe++;
        }
      }
    }
    importObserver(this.toPoolObserver, state.observers.minerToPool, this.bus);
    importObserver(this.toMinerObserver, state.observers.poolToMiner, this.bus);
    if (miner.destroyed || pool.destroyed) {
      // A peer left while the sockets travelled: close as any reset connection does.
      this.setCause(miner.destroyed ? 'miner' : 'pool', 'reset', undefined);
      if (miner.closed) this.minerClosed = true;
      if (pool.closed) this.poolClosed = true;
      this.destroySockets();
      return;
    }
    this.relayFirst(pool, Buffer.from(state.unrelayedToPool, 'base64'), Buffer.from(state.unrelayedToMiner, 'base64'));
  }

  // ---- hot path ---------------------------------------------------------------------------

  // HOT PATH: write the very Buffer we received, then count, then observe. Do not copy, decode
  // or re-serialize `chunk`, and keep this free of allocations when nobody listens (and when
  // every listener borrows: the bytes event is then a reused one). One clock read per chunk: the
  // bytes event and every line in the chunk share it.
  private readonly onMinerData = (chunk: Buffer): void => {
    const pool = this.pool as net.Socket;
    const writer = this.writer;
    if (!(writer === null ? pool.write(chunk) : writer.write(chunk))) this.miner.pause();
    this.bytesMinerToPool += chunk.length;
    let t: number | undefined;
    if (this.bus.hasListeners) this.emitBytes('miner_to_pool', chunk.length, (t = performance.now()));
    try {
      this.toPoolObserver.push(chunk, t);
    } catch {
      this.bus.observerErrors++;
    }
  };

  // HOT PATH: mirror of onMinerData. The one extra check (a line of our own waiting, only ever
  // during a drain with DRAIN_RECONNECT) is a field load; the injecting write is out of line.
  private readonly onPoolData = (chunk: Buffer): void => {
    if (!(this.injectAfterLine === null ? this.miner.write(chunk) : this.writeInjecting(chunk))) (this.pool as net.Socket).pause();
    this.bytesPoolToMiner += chunk.length;
    let t: number | undefined;
    if (this.bus.hasListeners) this.emitBytes('pool_to_miner', chunk.length, (t = performance.now()));
    try {
      this.toMinerObserver.push(chunk, t);
    } catch {
      this.bus.observerErrors++;
    }
  };

  /**
   * Writes the pool's `chunk` to the miner with the waiting line of our own right after the
   * chunk's first newline (which ends the line the pool was in the middle of), or the chunk alone
   * when it has none. Returns what the last write returned (false: the miner's buffer is full).
   */
  private writeInjecting(chunk: Buffer): boolean {
    const miner = this.miner;
    const end = chunk.indexOf(LF);
    if (end === -1) return miner.write(chunk);
    const line = this.injectAfterLine as Buffer;
    this.injectAfterLine = null;
    miner.write(chunk.subarray(0, end + 1));
    const ok = miner.write(line);
    return end + 1 < chunk.length ? miner.write(chunk.subarray(end + 1)) : ok;
  }

  /** Miner data while the current pool has not spoken yet: relay, and keep for a possible failover. */
  private readonly onMinerDataAwaiting = (chunk: Buffer): void => {
    this.onMinerData(chunk);
    this.keepSent(chunk);
  };

  /** After a failback closed the miner: the pool's last answers are observed, not relayed. */
  private readonly onPoolDataLeaving = (chunk: Buffer): void => {
    try {
      this.toMinerObserver.push(chunk);
    } catch {
      this.bus.observerErrors++;
    }
  };

  /** The pool's first bytes: from now on this connection belongs to this pool. */
  private readonly onPoolFirstData = (chunk: Buffer): void => {
    const pool = this.pool as net.Socket;
    pool.off('data', this.onPoolFirstData);
    pool.on('data', this.onPoolData);
    this.bindToPool();
    this.onPoolData(chunk);
  };

  private readonly onPoolDrain = (): void => {
    this.miner.resume();
  };

  private readonly onMinerDrain = (): void => {
    this.pool?.resume();
  };

  private emitBytes(direction: Direction, bytes: number, t: number): void {
    const bus = this.bus;
    if (!bus.lendsEvents) {
      bus.emit({ type: 'bytes', connectionId: this.connectionId, t, direction, bytes });
      return;
    }
    const e =
      direction === 'miner_to_pool'
        ? (this.toPoolBytes ??= new ReusedBytesEvent(this.connectionId, direction))
        : (this.toMinerBytes ??= new ReusedBytesEvent(this.connectionId, direction));
    e.t = t;
    e.bytes = bytes;
    bus.emit(e);
  }

  // ---- upstream connect and failover ---------------------------------------------------------

  /** Opens a socket to the next pool of the plan; closes the miner when none is left. */
  private nextUpstream(): void {
    this.attempt++;
    const pool = this.plan[this.attempt];
    if (pool === undefined) {
      this.phase = 'failed';
      this.setCause('proxy', 'upstream_failed', this.causeError);
      this.pending = [];
      this.pendingBytes = 0;
      this.destroySockets();
      return;
    }
    this.current = pool;
    this.phase = 'connecting';
    this.connectStartedAt = performance.now();
    let socket: net.Socket;
    let readyEvent: 'connect' | 'secureConnect';
    try {
      const dialed = this.upstreams.dial(pool);
      socket = dialed.socket;
      readyEvent = dialed.readyEvent;
    } catch (err) {
      // e.g. ERR_SOCKET_BAD_PORT is thrown synchronously: report it like an async failure.
      process.nextTick(() => this.upstreamFailed(upstreamFailureReason(errorCode(err)), err));
      return;
    }
    this.pool = socket;
    this.writer = pool.spec.account === null ? null : new PoolWriter(socket, pool, this.maxLineBytes);
    socket.on('error', this.onPoolError);
    socket.on('close', this.onPoolClose);
    socket.once(readyEvent, this.onUpstreamConnect);
    socket.on('data', this.onPoolFirstData);
    socket.on('end', this.onPoolEnd);
    socket.on('drain', this.onPoolDrain);
    if (this.idleTimeoutMs > 0) socket.on('timeout', this.onIdle);
    this.startConnectTimer('timeout');
  }

  private startConnectTimer(reason: 'timeout' | 'no_answer'): void {
    this.clearConnectTimer();
    this.connectTimer = setTimeout(reason === 'timeout' ? this.onConnectTimeout : this.onAnswerTimeout, this.connectTimeoutMs);
  }

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = undefined;
    const ms = Math.round(performance.now() - this.connectStartedAt);
    this.upstreamFailed('timeout', Object.assign(new Error(`upstream connect timed out after ${ms} ms`), { code: 'ETIMEDOUT' }));
  };

  private readonly onAnswerTimeout = (): void => {
    this.connectTimer = undefined;
    // The miner spoke, the pool accepted the connection and said nothing: a black hole.
    this.upstreamFailed('no_answer', new Error(`the pool sent nothing within ${this.connectTimeoutMs} ms of the miner's first bytes`));
  };

  private readonly onUpstreamConnect = (): void => {
    if (this.phase !== 'connecting') return;
    this.clearConnectTimer();
    if (this.causeReason !== undefined) return; // the miner is already gone
    const pool = this.pool as net.Socket;
    const upstream = this.current as UpstreamPool;
    this.phase = 'awaiting';
    upstream.miners++;
    this.countedOnPool = true;
    this.connectedPool = upstream;
    this.upstreams.reportUp(upstream);
    pool.setNoDelay(true);
    pool.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    if (this.bus.hasListeners) {
      const now = performance.now();
      this.bus.emit({
        type: 'upstream.connected',
        connectionId: this.connectionId,
        t: now,
        poolName: upstream.name,
        poolHost: upstream.spec.host,
        poolPort: upstream.spec.port,
        poolPriority: upstream.priority,
        attempt: this.attempt,
        latencyMs: now - this.connectStartedAt,
      });
    }
    const miner = this.miner;
    // On the last pool left there is nothing to fail over to: relay as a single-pool relay does.
    if (!this.canFailOver()) this.phase = 'relaying';
    this.useMinerHandler(this.phase === 'awaiting' ? this.onMinerDataAwaiting : this.onMinerData);
    // What an earlier pool got before it failed: already observed and counted, delivered again.
    const writer = this.writer;
    for (let i = 0; i < this.sent.length; i++) {
      const chunk = this.sent[i] as Buffer;
      if (writer === null) pool.write(chunk);
      else writer.write(chunk);
    }
    // Then what the miner sent meanwhile, in order, through the normal relay path.
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (let i = 0; i < pending.length; i++) this.onMinerDataAwaiting(pending[i] as Buffer);
    if (this.phase === 'relaying') {
      this.sent = [];
      this.sentBytes = 0;
    }
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
    if (this.pendingBytes + this.sentBytes >= this.preConnectBufferBytes && !this.pausedForConnect) {
      // Bounded memory: the kernel's receive buffer (and then TCP flow control) holds the rest.
      this.pausedForConnect = true;
      this.miner.pause();
    }
  };

  /**
   * Keeps a relayed chunk until the pool speaks. Bounded: a miner that sends this much before the
   * pool says anything is not speaking Stratum's request/answer rhythm; the connection commits to
   * this pool rather than holding more (or pausing a relay that works).
   */
  private keepSent(chunk: Buffer): void {
    if (this.phase !== 'awaiting') return;
    this.sent.push(chunk);
    this.sentBytes += chunk.length;
    if (this.sentBytes >= this.preConnectBufferBytes) this.bindToPool();
    // The pool owes an answer once the miner sent a complete line (its subscribe); half a line
    // gets none from any pool.
    else if (this.connectTimer === undefined && chunk.indexOf(0x0a) !== -1 && this.canFailOver()) this.startConnectTimer('no_answer');
  }

  /**
   * Whether a failure of the current pool before its first byte can still move this connection:
   * only while the miner is fully open and another pool is left. On the last pool, a silent or
   * closing pool is simply relayed, as a single-pool relay always did.
   */
  private canFailOver(): boolean {
    return !this.minerEnded && this.attempt + 1 < this.plan.length;
  }

  private bindToPool(): void {
    if (this.phase !== 'awaiting') return;
    this.clearConnectTimer();
    this.phase = 'relaying';
    this.sent = [];
    this.sentBytes = 0;
    this.useMinerHandler(this.onMinerData);
  }

  /** Exactly one 'data' listener on the miner socket at any time, whichever phase installed it. */
  private useMinerHandler(handler: (chunk: Buffer) => void): void {
    const current = this.minerHandler;
    if (current === handler) return;
    if (current !== null) this.miner.off('data', current);
    this.miner.on('data', handler);
    this.minerHandler = handler;
  }

  /** The current pool failed before it spoke: try the next one, or close the miner after the last. */
  private upstreamFailed(reason: UpstreamFailureReason, err: unknown): void {
    if (this.phase !== 'connecting' && this.phase !== 'awaiting') return;
    this.clearConnectTimer();
    const upstream = this.current as UpstreamPool;
    const code = errorCode(err);
    const message = err instanceof Error ? err.message : String(err);
    // Silence towards one miner does not make a pool down (that miner may have said something no
    // pool answers); the probes judge black holes. Every other failure does, at once.
    if (reason !== 'no_answer') this.upstreams.reportDown(upstream, reason, code !== undefined && !message.includes(code) ? `${code}: ${message}` : message);
    this.abandonPoolSocket();
    const failover = this.causeReason === undefined && this.attempt + 1 < this.plan.length;
    if (this.bus.hasListeners) {
      const now = performance.now();
      this.bus.emit({
        type: 'upstream.connect_failed',
        connectionId: this.connectionId,
        t: now,
        poolName: upstream.name,
        poolHost: upstream.spec.host,
        poolPort: upstream.spec.port,
        failover,
        reason,
        code,
        message,
        latencyMs: now - this.connectStartedAt,
      });
    }
    this.causeError = errorLabel(err);
    if (this.causeReason !== undefined) {
      this.destroySockets();
      return;
    }
    if (!failover) this.attempt = this.plan.length - 1;
    // Miner bytes received while awaiting went to `sent` already; they wait for the next pool.
    this.useMinerHandler(this.onMinerDataBeforeConnect);
    // Paused by the abandoned socket's backpressure, whose 'drain' will never come.
    if (!this.pausedForConnect) this.miner.resume();
    this.nextUpstream();
  }

  /** Detach from a pool socket we give up on; its late events must not touch this connection. */
  private abandonPoolSocket(): void {
    const socket = this.pool;
    if (this.countedOnPool) {
      (this.current as UpstreamPool).miners--;
      this.countedOnPool = false;
    }
    if (socket === null) return;
    socket.removeAllListeners();
    socket.on('error', ignoreError);
    socket.destroy();
    this.pool = null;
    this.writer = null;
  }

  // ---- half-close, errors, close ----------------------------------------------------------

  private readonly onMinerEnd = (): void => {
    this.minerEnded = true;
    // A miner that said all it will say gets no failover after this: the pool's silence or FIN
    // may be its answer. (Before the connect, the FIN is forwarded after the held bytes.)
    if (this.phase === 'awaiting') this.bindToPool();
    this.firstEndSide ??= 'miner';
    this.endObserver(this.toPoolObserver);
    // end() after the writes: the FIN goes out once what was written is flushed.
    if (this.phase === 'awaiting' || this.phase === 'relaying') this.endPool();
  };

  private readonly onPoolEnd = (): void => {
    if (this.phase === 'awaiting' && this.canFailOver()) {
      // A FIN before the first byte: this pool will never answer; the miner has seen nothing.
      this.upstreamFailed('reset', new Error('the pool closed the connection before sending anything'));
      return;
    }
    this.poolEnded = true;
    this.firstEndSide ??= 'pool';
    this.endObserver(this.toMinerObserver);
    this.minerEndSent = true;
    if (!this.miner.destroyed) this.miner.end();
  };

  private endPool(): void {
    this.poolEndSent = true;
    const writer = this.writer;
    if (writer !== null) writer.end();
    else this.pool?.end();
  }

  private readonly onMinerError = (err: Error): void => {
    this.setCause('miner', 'reset', errorLabel(err));
    this.destroySockets();
  };

  private readonly onPoolError = (err: Error): void => {
    if (this.phase === 'connecting' || (this.phase === 'awaiting' && this.canFailOver())) {
      this.upstreamFailed(this.phase === 'awaiting' && errorCode(err) === undefined ? 'reset' : upstreamFailureReason(errorCode(err)), err);
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
        this.pool?.setTimeout(this.idleTimeoutMs);
      }
    }
    this.maybeFinish();
  };

  private readonly onPoolClose = (): void => {
    if ((this.phase === 'connecting' || (this.phase === 'awaiting' && this.canFailOver())) && this.causeReason === undefined) {
      this.upstreamFailed('reset', new Error('the pool closed the connection before sending anything'));
      return;
    }
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
    if (this.pool !== null) this.pool.destroy();
    else this.poolClosed = true; // no socket (every pool failed, or a dial threw): nothing to wait for
    this.maybeFinish();
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
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    if (this.countedOnPool) {
      (this.current as UpstreamPool).miners--;
      this.countedOnPool = false;
    }
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
      poolName: this.connectedPool?.name ?? null,
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

function ignoreError(): void {}

function noop(): void {}

const EMPTY = Buffer.alloc(0);

function isTls(socket: net.Socket): boolean {
  return (socket as net.Socket & { encrypted?: boolean }).encrypted === true;
}

/** Whether everything the observer has seen ends with a complete line (false when it cannot tell). */
function atLineStart(observer: LineObserver): boolean {
  if (observer.exportState === undefined) return false;
  try {
    const state = observer.exportState();
    return state.held.length === 0 && !state.skipping;
  } catch {
    return false;
  }
}

function exportObserver(observer: LineObserver): LineStateExport | null {
  return observer.exportState === undefined ? null : encodeLineState(observer.exportState());
}

/**
 * An unfinished line over this process's cap (a lower MAX_LINE_BYTES here) is skipped and
 * reported oversized, as it would have been had it all arrived here; the relay goes on regardless.
 */
function importObserver(observer: LineObserver, state: LineStateExport | null, bus: ProxyEventBus): void {
  if (state === null || observer.importState === undefined) return;
  const decoded = decodeLineState(state);
  try {
    observer.importState(decoded);
  } catch {
    try {
      const held = decoded.held;
      observer.importState({ held: EMPTY, skipping: true, skipped: held.length, skippedLastWasCR: held.length > 0 && held[held.length - 1] === 0x0d });
    } catch {
      bus.observerErrors++;
    }
  }
}
