import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type * as tls from 'node:tls';
import type { Direction, PoolSpec, RejectReason } from '@stratum-relay/shared-types';
import { ProxyCoreError } from './errors';
import { clientReconnectLine, ReconnectSpread, reconnectSpreadMs, type DrainReconnectCounts, type ReconnectTarget, type SpreadClock } from './drain/drain-reconnect';
import { ProxyEventBus } from './event-bus';
import { ProxyConnection } from './proxy-connection';
import type { ConnectionSnapshot, ObserverFactory } from './proxy-connection';
import {
  checkConnectionExport,
  samePool,
  type ConnectionExport,
  type ConnectionHandover,
  type HandoverOptions,
  type HandoverResult,
  type KeptConnection,
} from './handover/connection-export';
import { StratumParser, type LineTap } from './stratum-parser';
import { AdmissionGate, OPEN_ADMISSION, type AdmissionSettings, type AdmittedConnection } from './admission/admission-gate';
import { AuthorizeDeadline } from './admission/authorize-deadline';
import { Failback } from './upstream/failback';
import type { PoolDialer, PoolTlsOptions } from './upstream/pool-dialer';
import { PoolProber } from './upstream/pool-prober';
import { UpstreamPool, UpstreamPools } from './upstream/upstream-pools';

/**
 * Opens a plain TCP upstream socket (a test hook: delay or withhold the connect deterministically
 * on loopback). The returned socket must emit 'connect' once connected. Prefer `dial` for new code.
 */
export type UpstreamConnector = (options: net.TcpNetConnectOpts) => net.Socket;

export interface ProxyServerOptions {
  listenHost: string;
  /** 0 = ephemeral port (tests). */
  listenPort: number;
  /** The pools in priority order (index 0 is the primary). Either this or poolHost/poolPort. */
  pools?: readonly PoolSpec[];
  /** One plain-TCP pool (the shortcut); ignored when `pools` is given. */
  poolHost?: string;
  poolPort?: number;
  /** TLS settings for `stratum+ssl` pools. */
  poolTls?: PoolTlsOptions;
  /** Background Stratum probes of every pool, this often; undefined = no probes (tests of the relay alone). */
  poolProbeIntervalMs?: number;
  /** How long the preferred pool must be up before miners on lower-priority pools are moved back; null/undefined = never. */
  failbackDelayMs?: number | null;
  /** Miners moved back per second at most (default 20). */
  failbackRate?: number;
  /** Shown to pools in the probes' mining.subscribe. */
  userAgent?: string;
  /** A second listener for miners over TLS (same relay on the decrypted stream); null/undefined = off. */
  tls?: { host: string; port: number; context: tls.SecureContext } | null;
  /** Allow-list, per-IP limits, PROXY protocol and the first-byte deadline (default: none of them). */
  admission?: AdmissionSettings;
  /** Close a connection that has not sent mining.authorize within this long; 0/undefined = off. */
  authorizeTimeoutMs?: number;
  /** listen(2) backlog of both listeners (default 511, Node's). */
  listenBacklog?: number;
  maxConnections: number;
  /** 0 disables. */
  idleTimeoutMs: number;
  upstreamConnectTimeoutMs: number;
  maxLineBytes: number;
  /**
   * Bytes from the miner held while the upstream connects. At this size the proxy stops reading
   * from the miner (TCP flow control holds the rest) until the upstream is connected and flushed.
   */
  preConnectBufferBytes: number;
  /** Observer per connection and direction. Default: a StratumParser reporting on `events`. */
  observerFactory?: ObserverFactory;
  /** Given to the default observers (not to an `observerFactory`'s): sees every line's raw bytes (the message trace). */
  lineTap?: LineTap;
  /** Opens plain upstream sockets (test hook, TCP pools only). Default: `net.connect`. */
  connect?: UpstreamConnector;
  /** Opens upstream sockets (TCP or TLS). Default: the real dialer. Wins over `connect`. */
  dial?: PoolDialer;
  /**
   * New connection ids in this process start above this (ids are process-wide and only go up).
   * Give each process its own range (per worker and generation) so that ids stay unique when
   * connections move between processes.
   */
  connectionIdBase?: number;
}

export type { ConnectionSnapshot, ObserverFactory };
export type { ConnectionExport, ConnectionHandover, HandoverOptions, HandoverResult, KeptConnection };

/** Per-connection settings a config reload may change (they apply to connections accepted after it). */
export interface ConnectionSettings {
  readonly idleTimeoutMs: number;
  readonly upstreamConnectTimeoutMs: number;
  readonly maxLineBytes: number;
  readonly preConnectBufferBytes: number;
}

export interface DrainResult {
  /** Connections that ended by themselves before the deadline. */
  drained: number;
  /** Connections destroyed at the deadline, or earlier by close() (reported closed with reason `drain`). */
  forced: number;
  /** With DrainOptions.reconnect: what became of each miner's client.reconnect. */
  reconnects?: DrainReconnectCounts;
}

export interface DrainOptions {
  /**
   * Send every miner open at the start client.reconnect (to `target`, or without parameters when
   * null), one after another, 10 ms apart or closer to be done within the first `withinMs` of the
   * drain, each between two of its pool's lines (see drain/drain-reconnect.ts).
   */
  readonly reconnect?: { readonly target: ReconnectTarget | null; readonly withinMs: number };
}

/** Real time for the drain's reconnect spread; the timers must not keep a finished process alive. */
const SPREAD_CLOCK: SpreadClock = {
  now: () => performance.now(),
  schedule(fn, delayMs) {
    const timer = setTimeout(fn, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Process-unique, increasing connection ids (several servers in one process never share one). */
let nextConnectionId = 1;

/** Ids made here from now on are above `id` (an id base, or an id adopted from another process). */
function reserveConnectionIds(id: number): void {
  if (id >= nextConnectionId) nextConnectionId = id + 1;
}

const DEFAULT_HANDOVER_FLUSH_MS = 2_000;

const DEFAULT_FAILBACK_RATE = 20;

function poolsOf(options: ProxyServerOptions): readonly PoolSpec[] {
  if (options.pools !== undefined && options.pools.length > 0) return options.pools;
  if (options.poolHost === undefined) throw new RangeError('ProxyServer needs `pools` or `poolHost`');
  const host = options.poolHost;
  const port = options.poolPort ?? 3333;
  const name = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return [{ name, scheme: 'tcp', host, port, account: null, password: null }];
}

function dialerFrom(connect: UpstreamConnector): PoolDialer {
  return (pool) => ({ socket: connect({ host: pool.host, port: pool.port, allowHalfOpen: true }), readyEvent: 'connect' });
}

/**
 * Accepts miners and gives each its own upstream connection through a ProxyConnection.
 * Every event of every connection goes to `events`.
 */
export class ProxyServer {
  readonly events: ProxyEventBus = new ProxyEventBus();
  /** Accept-level errors of the listening socket after it is up (e.g. EMFILE); counted, never thrown. */
  acceptErrors = 0;

  private readonly server: net.Server;
  private readonly open = new Map<number, ProxyConnection>();
  /** Per-IP slots to give back when a connection admitted through the gate closes. */
  private readonly releases = new Map<number, () => void>();
  private readonly observerFactory: ObserverFactory;
  /** The pool list and health; a reload swaps its list for new connections. */
  readonly upstreams: UpstreamPools;
  private readonly prober: PoolProber | null;
  private proberIntervalMs: number;
  private readonly failback: Failback;
  private readonly gate: AdmissionGate;
  private readonly authorizeDeadline: AuthorizeDeadline;
  private tlsServer: net.Server | null = null;
  private tlsContext: tls.SecureContext | null;
  /** Admission with no rule at all (and no TLS): sockets go straight to the relay. */
  private openDoor: boolean;
  private maxConnections: number;
  private accepting = true;
  /** Waiters for `open` to become empty (drain/close). */
  private emptyWaiters: Array<() => void> = [];
  /** During drain(): the connections the proxy closed (deadline or close()), not counted as drained. */
  private drainTally: { forced: number } | null = null;

  private settings: ConnectionSettings;

  constructor(readonly options: ProxyServerOptions) {
    this.settings = {
      idleTimeoutMs: options.idleTimeoutMs,
      upstreamConnectTimeoutMs: options.upstreamConnectTimeoutMs,
      maxLineBytes: options.maxLineBytes,
      preConnectBufferBytes: options.preConnectBufferBytes,
    };
    const lineTap = options.lineTap;
    this.observerFactory =
      options.observerFactory ??
      (lineTap === undefined
        ? (connectionId, direction, bus) => new StratumParser({ connectionId, direction, maxLineBytes: this.settings.maxLineBytes, bus })
        : (connectionId, direction, bus) => new StratumParser({ connectionId, direction, maxLineBytes: this.settings.maxLineBytes, bus, lineTap }));
    const dial = options.dial ?? (options.connect !== undefined ? dialerFrom(options.connect) : undefined);
    this.upstreams = new UpstreamPools({
      pools: poolsOf(options),
      bus: this.events,
      ...(options.poolTls !== undefined ? { tls: options.poolTls } : {}),
      ...(dial !== undefined ? { dial } : {}),
    });
    this.proberIntervalMs = options.poolProbeIntervalMs ?? 5_000;
    this.prober =
      options.poolProbeIntervalMs === undefined
        ? null
        : new PoolProber({
            pools: this.upstreams,
            bus: this.events,
            intervalMs: options.poolProbeIntervalMs,
            timeoutMs: options.upstreamConnectTimeoutMs,
            userAgent: options.userAgent ?? 'stratum-relay-probe',
          });
    this.failback = new Failback({
      pools: this.upstreams,
      delayMs: options.failbackDelayMs ?? null,
      ratePerSecond: options.failbackRate ?? DEFAULT_FAILBACK_RATE,
      connections: () => this.open.values(),
    });
    const admission = options.admission ?? OPEN_ADMISSION;
    this.gate = new AdmissionGate({ settings: admission, bus: this.events, onAdmitted: this.onAdmitted });
    this.openDoor = isOpenDoor(admission);
    this.maxConnections = options.maxConnections;
    if (options.connectionIdBase !== undefined) reserveConnectionIds(options.connectionIdBase);
    this.authorizeDeadline = new AuthorizeDeadline(this.events, options.authorizeTimeoutMs ?? 0, this.onAuthorizeExpired);
    this.tlsContext = options.tls?.context ?? null;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, this.onConnection);
    this.server.on('error', this.onServerError);
    if (options.tls !== undefined && options.tls !== null) {
      this.tlsServer = net.createServer({ allowHalfOpen: true, noDelay: true }, this.onTlsConnection);
      this.tlsServer.on('error', this.onServerError);
    }
  }

  /** New admission rules for new connections (config reload); open connections are untouched. */
  setAdmission(settings: AdmissionSettings, authorizeTimeoutMs: number): void {
    this.gate.reconfigure(settings);
    this.openDoor = isOpenDoor(settings);
    this.authorizeDeadline.setTimeout(authorizeTimeoutMs);
  }

  /** A new certificate for new TLS connections (rotation without dropping anyone). */
  setTlsContext(context: tls.SecureContext): void {
    this.tlsContext = context;
  }

  /** Timeouts and buffer caps for connections accepted from now on (config reload). */
  setConnectionSettings(settings: ConnectionSettings): void {
    this.settings = settings;
    this.prober?.reconfigure(this.proberIntervalMs, settings.upstreamConnectTimeoutMs);
  }

  /** Probe interval and failback for the pools (config reload). */
  setPoolHealthSettings(probeIntervalMs: number, failbackDelayMs: number | null, failbackRate: number): void {
    this.proberIntervalMs = probeIntervalMs;
    this.prober?.reconfigure(probeIntervalMs, this.settings.upstreamConnectTimeoutMs);
    this.failback.reconfigure(failbackDelayMs, failbackRate);
  }

  /** Probe every pool now (after a reload swapped the list: new pools must not wait an interval). */
  probeNow(): void {
    this.prober?.probeAll();
  }

  /** The connection limit in force (may be lowered below the configured one by the descriptor limit). */
  setMaxConnections(max: number): void {
    this.maxConnections = max;
  }

  /** Address of the TLS listener once listening, or null. */
  tlsAddress(): { host: string; port: number } | null {
    const address = this.tlsServer?.address();
    return address === null || address === undefined || typeof address === 'string' ? null : { host: address.address, port: address.port };
  }

  /**
   * Start the background pool probes and failback (idempotent). listen() calls it; a service may
   * call it earlier so pool health is known from the first second.
   */
  startHealth(): void {
    this.prober?.start();
    this.failback.start();
  }

  /** Stop the probes and failback timers. */
  stopHealth(): void {
    this.prober?.stop();
    this.failback.stop();
  }

  /**
   * Listens for miners (and on the TLS port when configured); resolves with the plain listener's
   * address. Rejects with ProxyCoreError SRL_ERR_ADDRESS_IN_USE / SRL_ERR_LISTEN (nothing is left listening).
   */
  async listen(): Promise<{ host: string; port: number }> {
    this.accepting = true;
    const backlog = this.options.listenBacklog;
    const address = await listenOn(this.server, this.options.listenHost, this.options.listenPort, backlog);
    const tlsOptions = this.options.tls;
    if (this.tlsServer !== null && tlsOptions !== undefined && tlsOptions !== null) {
      try {
        await listenOn(this.tlsServer, tlsOptions.host, tlsOptions.port, backlog);
      } catch (err) {
        this.server.close();
        throw err;
      }
    }
    this.startHealth();
    return address;
  }

  get listening(): boolean {
    return this.server.listening;
  }

  get connectionCount(): number {
    return this.open.size;
  }

  connections(): ConnectionSnapshot[] {
    const snapshots: ConnectionSnapshot[] = [];
    for (const connection of this.open.values()) snapshots.push(connection.snapshot());
    return snapshots;
  }

  /** Stop accepting: the listening socket closes; new connections are refused by the OS. */
  stopAccepting(): Promise<void> {
    this.accepting = false;
    // server.close() releases the port at once; its callback would wait for every connection.
    if (this.server.listening) this.server.close();
    if (this.tlsServer?.listening === true) this.tlsServer.close();
    this.gate.closeAll();
    return Promise.resolve();
  }

  /**
   * Stop accepting, wait up to `timeoutMs` for open connections to end, destroy the rest. A
   * close() during the drain (a second signal) destroys them earlier: they count as forced.
   */
  async drain(timeoutMs: number, options: DrainOptions = {}): Promise<DrainResult> {
    await this.stopAccepting();
    this.failback.stop();
    const initial = this.open.size;
    const reconnect = options.reconnect;
    if (initial === 0) {
      this.stopHealth();
      return { drained: 0, forced: 0, ...(reconnect !== undefined ? { reconnects: { sent: 0, afterLine: 0, skipped: 0 } } : {}) };
    }
    const tally = { forced: 0 };
    this.drainTally = tally;
    const spread =
      reconnect === undefined
        ? null
        : new ReconnectSpread([...this.open.values()], clientReconnectLine(reconnect.target), reconnectSpreadMs(initial, reconnect.withinMs), SPREAD_CLOCK);
    spread?.start();
    try {
      await this.waitForEmpty(timeoutMs);
      spread?.stop();
      tally.forced += this.destroyAll();
      await this.waitForEmpty(undefined);
    } finally {
      spread?.stop();
      this.drainTally = null;
    }
    this.stopHealth();
    return { drained: Math.max(0, initial - tally.forced), forced: tally.forced, ...(spread !== null ? { reconnects: { ...spread.counts } } : {}) };
  }

  /** Destroy everything now (each open connection is reported closed with side `proxy`, reason `drain`). */
  async close(): Promise<void> {
    await this.stopAccepting();
    this.stopHealth();
    this.authorizeDeadline.stop();
    const destroyed = this.destroyAll();
    if (this.drainTally !== null) this.drainTally.forced += destroyed;
    await this.waitForEmpty(undefined);
  }

  /** Destroys every open connection (reason `drain`); returns how many were still open. */
  private destroyAll(): number {
    let destroyed = 0;
    for (const connection of [...this.open.values()]) {
      if (connection.closed) continue;
      destroyed++;
      connection.destroy('drain');
    }
    return destroyed;
  }

  // ---- handover (upgrades) ------------------------------------------------------------------

  /**
   * Hands every open connection that can move over to the caller: each is paused at a chunk
   * boundary, waits until what this process wrote to its sockets reached the kernel, and is
   * detached (see ProxyConnection.pauseForHandover). What cannot move (TLS on either side, no pool
   * spoken yet, a FIN seen, closing, a peer that stopped reading) is reported in `kept` with the
   * reason, and keeps relaying here.
   *
   * Stop accepting first (the caller's job). A handed-over connection leaves this server without
   * `connection.closed`: also take its collector state out (MetricsCollector.exportConnection).
   */
  async exportConnections(options: HandoverOptions = {}): Promise<HandoverResult> {
    const result: HandoverResult = { handedOver: [], kept: [], callbackErrors: [] };
    const settle = (outcome: ConnectionHandover | KeptConnection): void => {
      if (!('state' in outcome)) {
        result.kept.push(outcome);
        return;
      }
      result.handedOver.push(outcome);
      try {
        options.onHandedOver?.(outcome);
      } catch (err) {
        // The connection has left this server either way: it is in the result for the caller.
        result.callbackErrors.push(err);
      }
    };
    let deadline: ReturnType<typeof handoverDeadline> | null = null;
    const waits: Array<Promise<void>> = [];
    // One connection at a time: most have nothing unflushed, and each of those is paused,
    // detached and handed to the callback before the next is touched, so its pause is its own
    // handover's time, not the whole batch's.
    for (const connection of [...this.open.values()]) {
      const begun = this.beginHandOver(connection);
      if (begun === null) continue;
      if (!(begun instanceof Promise)) {
        settle(begun);
        continue;
      }
      deadline ??= handoverDeadline(options.flushTimeoutMs);
      waits.push(Promise.race([begun, deadline.expired]).then(() => settle(this.finishHandOver(connection))));
    }
    try {
      await Promise.all(waits);
    } finally {
      deadline?.cancel();
    }
    return result;
  }

  /** {@link exportConnections} for one connection; `kept` with reason `closed` for an id not open here. */
  async exportConnection(connectionId: number, options: HandoverOptions = {}): Promise<ConnectionHandover | KeptConnection> {
    const connection = this.open.get(connectionId);
    if (connection === undefined) return { connectionId, reason: 'closed' };
    const begun = this.beginHandOver(connection);
    if (begun === null) return { connectionId, reason: 'closed' };
    if (!(begun instanceof Promise)) return begun;
    const deadline = handoverDeadline(options.flushTimeoutMs);
    try {
      await Promise.race([begun, deadline.expired]);
    } finally {
      deadline.cancel();
    }
    return this.finishHandOver(connection);
  }

  /**
   * Relays a connection handed over by another process's `exportConnections` on these sockets,
   * under its own id: it counts in this server (connections, its pool's miners, the per-IP
   * limits) and is announced by `connection.adopted` instead of `connection.opened`. The bytes the
   * other process read but did not relay go first, then both sockets are read again.
   *
   * Import the connection's collector state before (MetricsCollector.importConnection), so that
   * answers among those first bytes find their requests.
   *
   * @throws ProxyCoreError `SRL_ERR_HANDOVER_STATE` (not a state exportConnections makes) or
   *   `SRL_ERR_HANDOVER_ID` (that id is open here); the sockets are left untouched.
   */
  adoptConnection(state: ConnectionExport, minerSocket: net.Socket, poolSocket: net.Socket): ConnectionSnapshot {
    const checked = checkConnectionExport(state);
    const connectionId = checked.connectionId;
    if (this.open.has(connectionId)) {
      throw new ProxyCoreError('SRL_ERR_HANDOVER_ID', `connection ${connectionId} is open here already`);
    }
    reserveConnectionIds(connectionId);
    // Its pool object when this server has the same pool (the miner then counts there); one of
    // its own otherwise (a pool a reload removed: relayed on, never failed back).
    const upstream = this.upstreams.pools.find((p) => samePool(p.spec, checked.pool)) ?? new UpstreamPool(checked.pool, this.upstreams.pools.length);
    const release = this.gate.adopt(checked.remoteAddress);
    this.releases.set(connectionId, release);
    const connection = new ProxyConnection({
      connectionId,
      miner: minerSocket,
      remoteAddress: checked.remoteAddress,
      remotePort: checked.remotePort,
      upstreams: this.upstreams,
      idleTimeoutMs: this.settings.idleTimeoutMs,
      upstreamConnectTimeoutMs: this.settings.upstreamConnectTimeoutMs,
      preConnectBufferBytes: this.settings.preConnectBufferBytes,
      maxLineBytes: this.settings.maxLineBytes,
      bus: this.events,
      observerFactory: this.observerFactory,
      onClosed: this.onConnectionClosed,
      adopt: { state: checked, pool: poolSocket, upstream },
    });
    if (connection.closed) {
      this.releaseSlot(connectionId);
      return connection.snapshot();
    }
    this.open.set(connectionId, connection);
    if (checked.awaitingAuthorize) this.authorizeDeadline.track(connectionId, true);
    return connection.snapshot();
  }

  /**
   * Pauses a connection for a handover: the outcome at once when there is nothing to wait for
   * (kept, or flushed and detached), else the flush to wait for before {@link finishHandOver};
   * null when it closed meanwhile.
   */
  private beginHandOver(connection: ProxyConnection): ConnectionHandover | KeptConnection | Promise<void> | null {
    if (connection.closed) return null;
    const refusal = connection.pauseForHandover();
    if (refusal !== null) return { connectionId: connection.connectionId, reason: refusal };
    const flushing = connection.flushForHandover();
    return flushing === null ? this.finishHandOver(connection) : flushing;
  }

  private finishHandOver(connection: ProxyConnection): ConnectionHandover | KeptConnection {
    const connectionId = connection.connectionId;
    const result = connection.completeHandover(this.authorizeDeadline.has(connectionId));
    if (typeof result === 'string') return { connectionId, reason: result };
    this.forget(connectionId);
    return result;
  }

  private readonly onConnection = (socket: net.Socket): void => {
    if (this.refusedAtAccept(socket)) return;
    if (this.openDoor) this.relay(socket, this.gate.admitDirect(socket));
    else this.gate.admit(socket, null);
  };

  private readonly onTlsConnection = (socket: net.Socket): void => {
    if (!this.refusedAtAccept(socket)) this.gate.admit(socket, this.tlsContext);
  };

  /** Draining, or full: refused before anything else is spent on the socket. */
  private refusedAtAccept(socket: net.Socket): boolean {
    if (!this.accepting) {
      this.reject(socket, 'draining');
      return true;
    }
    // Sockets still in admission hold descriptors too: they count against the limit.
    if (this.open.size + this.gate.pending >= this.maxConnections) {
      this.reject(socket, 'max_connections');
      return true;
    }
    return false;
  }

  private readonly onAdmitted = (admitted: AdmittedConnection): void => {
    if (!this.accepting) {
      admitted.release();
      this.reject(admitted.socket, 'draining');
      return;
    }
    this.relay(admitted.socket, admitted);
    // The gate paused the socket after reading its first bytes; the relay takes over from here.
    admitted.socket.resume();
  };

  private readonly onAuthorizeExpired = (connectionId: number): void => {
    const connection = this.open.get(connectionId);
    if (connection === undefined) return;
    if (this.events.hasListeners) {
      this.events.emit({
        type: 'connection.rejected',
        t: performance.now(),
        remoteAddress: connection.remoteAddress,
        remotePort: connection.remotePort,
        reason: 'authorize_timeout',
      });
    }
    connection.destroy('limit');
  };

  private relay(socket: net.Socket, admitted: AdmittedConnection | undefined): void {
    const connectionId = nextConnectionId++;
    const connection = new ProxyConnection({
      connectionId,
      miner: socket,
      ...(admitted !== undefined
        ? { remoteAddress: admitted.remoteAddress, remotePort: admitted.remotePort, initialBytes: admitted.initialBytes }
        : {}),
      upstreams: this.upstreams,
      idleTimeoutMs: this.settings.idleTimeoutMs,
      upstreamConnectTimeoutMs: this.settings.upstreamConnectTimeoutMs,
      preConnectBufferBytes: this.settings.preConnectBufferBytes,
      maxLineBytes: this.settings.maxLineBytes,
      bus: this.events,
      observerFactory: this.observerFactory,
      onClosed: this.onConnectionClosed,
    });
    if (admitted !== undefined) this.releases.set(connectionId, admitted.release);
    if (connection.closed) {
      this.releaseSlot(connectionId);
      return;
    }
    this.open.set(connectionId, connection);
    this.authorizeDeadline.track(connectionId);
  }

  private releaseSlot(connectionId: number): void {
    const release = this.releases.get(connectionId);
    if (release === undefined) return;
    this.releases.delete(connectionId);
    release();
  }

  private reject(socket: net.Socket, reason: RejectReason): void {
    socket.on('error', ignoreError);
    if (this.events.hasListeners) {
      this.events.emit({
        type: 'connection.rejected',
        t: performance.now(),
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        reason,
      });
    }
    socket.destroy();
  }

  private readonly onConnectionClosed = (connection: ProxyConnection): void => {
    this.forget(connection.connectionId);
  };

  /** A connection left this server (closed, or handed over). */
  private forget(connectionId: number): void {
    this.open.delete(connectionId);
    this.releaseSlot(connectionId);
    this.authorizeDeadline.forget(connectionId);
    if (this.open.size === 0 && this.emptyWaiters.length > 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private readonly onServerError = (): void => {
    // listen() reports its own errors; later ones (accept failures) must not crash the process.
    this.acceptErrors++;
  };

  /** Resolves when no connection is open, or after `timeoutMs` (undefined = no deadline). */
  private waitForEmpty(timeoutMs: number | undefined): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.emptyWaiters.push(wake);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.emptyWaiters = this.emptyWaiters.filter((w) => w !== wake);
          resolve();
        }, timeoutMs);
      }
    });
  }
}

function ignoreError(): void {}

/** One timer for a whole handover call: every connection's flush races the same deadline. */
function handoverDeadline(timeoutMs: number | undefined): { expired: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs ?? DEFAULT_HANDOVER_FLUSH_MS);
  });
  return { expired, cancel: () => clearTimeout(timer) };
}

function isOpenDoor(settings: AdmissionSettings): boolean {
  return (
    settings.allowFrom === null &&
    settings.maxConnectionsPerIp === null &&
    settings.connectionsPerSecondPerIp === null &&
    !settings.proxyProtocol &&
    settings.firstByteTimeoutMs <= 0
  );
}

/** listen() with errors an operator can act on. */
function listenOn(server: net.Server, host: string, port: number, backlog: number | undefined): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const where = `${host}:${port}`;
      reject(
        err.code === 'EADDRINUSE'
          ? new ProxyCoreError('SRL_ERR_ADDRESS_IN_USE', `address ${where} is already in use`, { cause: err })
          : new ProxyCoreError('SRL_ERR_LISTEN', `cannot listen on ${where}: ${err.message}`, { cause: err }),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address() as net.AddressInfo;
      resolve({ host: address.address, port: address.port });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      server.listen({ host, port, ...(backlog !== undefined ? { backlog } : {}) });
    } catch (err) {
      server.off('error', onError);
      server.off('listening', onListening);
      reject(new ProxyCoreError('SRL_ERR_LISTEN', `cannot listen: ${(err as Error).message}`, { cause: err }));
    }
  });
}

export type { Direction };
