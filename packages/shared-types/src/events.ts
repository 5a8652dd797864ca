import type { JsonRpcId } from './stratum';

/**
 * Everything proxy-core emits, as one discriminated union on `type`.
 *
 * Conventions:
 * - `connectionId` is a process-unique, increasing integer. It is never a metric label.
 * - `t` is a monotonic timestamp in milliseconds (performance.now()); subtract two `t`s
 *   for latencies. Wall-clock time appears only where an operator needs it (`wallTime`).
 * - `direction`: `miner_to_pool` is what the miner sent (bytes_sent), `pool_to_miner` what
 *   the pool sent (bytes_received).
 */
export type Direction = 'miner_to_pool' | 'pool_to_miner';

/** Which end ended the connection. `proxy` = the proxy decided (timeout, drain, limit, failed upstream). */
export type CloseSide = 'miner' | 'pool' | 'proxy';

/**
 * Why a connection ended.
 * - end: orderly FIN from `side`, relayed after flushing.
 * - reset: ECONNRESET / EPIPE / socket error on `side`.
 * - idle_timeout: no bytes either way for `idleTimeoutMs`.
 * - upstream_failed: the pool could not be reached (refused, timeout, DNS, unreachable).
 * - drain: still open when the drain deadline of a shutdown passed.
 * - limit: refused by a resource cap (a connection over maxConnections is counted as closed by the
 *   proxy with this reason; it never opens).
 */
export type CloseReason = 'end' | 'reset' | 'idle_timeout' | 'upstream_failed' | 'drain' | 'limit' | 'failback';

/** Why a connection was refused before it was relayed (one per admission rule). */
export type RejectReason =
  | 'max_connections'
  | 'draining'
  | 'per_ip'
  | 'rate'
  | 'not_allowed'
  | 'proxy_protocol'
  | 'first_byte_timeout'
  | 'authorize_timeout'
  | 'tls_handshake';

/**
 * Why a connect to a pool failed. `no_answer`: TCP (and TLS) succeeded but the pool sent nothing
 * in time (a black hole). `tls`: certificate or handshake failure. `local_resources`: the proxy
 * itself ran out of descriptors, ports or buffers (EMFILE, ENFILE, EADDRNOTAVAIL, ENOBUFS) — not a
 * pool failure, never marks a pool down.
 */
export type UpstreamFailureReason =
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'dns'
  | 'reset'
  | 'tls'
  | 'no_answer'
  | 'local_resources'
  | 'error';

export type ParseErrorReason = 'invalid_json' | 'not_stratum';

interface ConnectionEventBase {
  readonly connectionId: number;
  readonly t: number;
}

export interface ConnectionOpenedEvent extends ConnectionEventBase {
  readonly type: 'connection.opened';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly wallTime: number;
}

/**
 * A connection handed over by another process (a worker being replaced) now relays here. It
 * replaces `connection.opened` for this process: the connection was accepted, counted and
 * relayed to `poolName` elsewhere, and keeps its `connectionId`. Byte counts are those relayed
 * before the handover; `connection.closed` will report the whole connection's.
 */
export interface ConnectionAdoptedEvent extends ConnectionEventBase {
  readonly type: 'connection.adopted';
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Wall-clock ms of the original accept. */
  readonly wallTime: number;
  readonly poolName: string;
  readonly bytesMinerToPool: number;
  readonly bytesPoolToMiner: number;
}

export interface ConnectionRejectedEvent {
  readonly type: 'connection.rejected';
  readonly t: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reason: RejectReason;
}

export interface UpstreamConnectedEvent extends ConnectionEventBase {
  readonly type: 'upstream.connected';
  /** The pool's configured name (the `pool_host` label). */
  readonly poolName: string;
  readonly poolHost: string;
  readonly poolPort: number;
  /** 0 = primary. */
  readonly poolPriority: number;
  /** 0 for the first pool tried by this connection, 1 after one failover, … */
  readonly attempt: number;
  readonly latencyMs: number;
}

export interface UpstreamConnectFailedEvent extends ConnectionEventBase {
  readonly type: 'upstream.connect_failed';
  readonly poolName: string;
  readonly poolHost: string;
  readonly poolPort: number;
  /** True when the connection goes on to the next pool (a failover); false when this was the last one. */
  readonly failover: boolean;
  readonly reason: UpstreamFailureReason;
  /** The errno code (ECONNREFUSED, ETIMEDOUT, …) when there is one. */
  readonly code: string | undefined;
  readonly message: string;
  readonly latencyMs: number;
}

/** One per chunk relayed; `bytes` is the chunk's length as written to the other side. */
export interface BytesRelayedEvent extends ConnectionEventBase {
  readonly type: 'bytes';
  readonly direction: Direction;
  readonly bytes: number;
}

export interface StratumRequestEvent extends ConnectionEventBase {
  readonly type: 'stratum.request';
  readonly direction: Direction;
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params: readonly unknown[];
}

export interface StratumResponseEvent extends ConnectionEventBase {
  readonly type: 'stratum.response';
  readonly direction: Direction;
  readonly id: JsonRpcId;
  readonly result: unknown;
  readonly error: unknown;
}

export interface StratumNotificationEvent extends ConnectionEventBase {
  readonly type: 'stratum.notification';
  readonly direction: Direction;
  readonly method: string;
  readonly params: readonly unknown[];
}

export interface ParseErrorEvent extends ConnectionEventBase {
  readonly type: 'parse.error';
  readonly direction: Direction;
  readonly reason: ParseErrorReason;
  /** Length of the offending line in bytes (without its newline). */
  readonly bytes: number;
}

export interface OversizedLineEvent extends ConnectionEventBase {
  readonly type: 'line.oversized';
  readonly direction: Direction;
  /** Bytes of the line that were skipped by the observer (they were still relayed). */
  readonly bytes: number;
  readonly limit: number;
}

export interface ConnectionClosedEvent extends ConnectionEventBase {
  readonly type: 'connection.closed';
  readonly durationMs: number;
  readonly bytesMinerToPool: number;
  readonly bytesPoolToMiner: number;
  readonly side: CloseSide;
  readonly reason: CloseReason;
  /** Errno code or message of the error that ended it, if any. */
  readonly error: string | undefined;
  /** Name of the pool the connection was relayed to last; null when no pool was ever connected. */
  readonly poolName: string | null;
}

/** A miner's TLS handshake failed; the connection never reached a pool. */
export interface TlsHandshakeFailedEvent {
  readonly type: 'tls.handshake_failed';
  readonly t: number;
  readonly remoteAddress: string;
  readonly reason: TlsHandshakeFailureReason;
  readonly error: string;
}

export type TlsHandshakeFailureReason = 'protocol' | 'certificate' | 'timeout' | 'reset' | 'other';

/** One background health probe of a pool finished (connect, mining.subscribe, answer). */
export interface PoolProbedEvent {
  readonly type: 'pool.probed';
  readonly t: number;
  readonly poolName: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Why it failed (a label), null when ok. */
  readonly reason: UpstreamFailureReason | null;
  readonly error: string | null;
}

/** A pool's health changed (up ↔ down), from a probe or from a miner's connect. */
export interface PoolStateChangedEvent {
  readonly type: 'pool.state_changed';
  readonly t: number;
  readonly poolName: string;
  readonly priority: number;
  readonly up: boolean;
  readonly previous: boolean | null;
  readonly error: string | null;
}

export type ProxyEvent =
  | ConnectionOpenedEvent
  | ConnectionAdoptedEvent
  | ConnectionRejectedEvent
  | UpstreamConnectedEvent
  | UpstreamConnectFailedEvent
  | BytesRelayedEvent
  | StratumRequestEvent
  | StratumResponseEvent
  | StratumNotificationEvent
  | ParseErrorEvent
  | OversizedLineEvent
  | ConnectionClosedEvent
  | PoolProbedEvent
  | PoolStateChangedEvent
  | TlsHandshakeFailedEvent;

export type ProxyEventType = ProxyEvent['type'];

/** Narrow a union member by its `type`. */
export type ProxyEventOf<T extends ProxyEventType> = Extract<ProxyEvent, { type: T }>;

export type ProxyEventListener = (event: ProxyEvent) => void;

/** How a listener takes its events (ProxyEventBus.subscribe). */
export interface ProxyEventSubscribeOptions {
  /**
   * The listener reads each event during its call only and keeps no reference to the event
   * object (values read from it — strings, arrays, numbers — may be kept). While every listener
   * of a bus borrows, the relay lends it reused event objects whose `params`, `result` and `error`
   * are decoded only when read, and observes a line without allocating; one listener that keeps
   * events (the default) gets fresh objects for all.
   */
  readonly borrowsEvents?: boolean;
}
