import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Direction, RejectReason } from '@stratum-relay/shared-types';
import { ProxyCoreError } from './errors';
import { ProxyEventBus } from './event-bus';
import { ProxyConnection } from './proxy-connection';
import type { ConnectionSnapshot, ObserverFactory, UpstreamConnector } from './proxy-connection';
import { StratumParser } from './stratum-parser';

export interface ProxyServerOptions {
  listenHost: string;
  /** 0 = ephemeral port (tests). */
  listenPort: number;
  poolHost: string;
  poolPort: number;
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
  /** Opens upstream sockets. Default: `net.connect`. */
  connect?: UpstreamConnector;
}

export type { ConnectionSnapshot, ObserverFactory, UpstreamConnector };

export interface DrainResult {
  /** Connections that ended by themselves before the deadline. */
  drained: number;
  /** Connections destroyed at the deadline (reported closed with reason `drain`). */
  forced: number;
}

/** Process-unique, increasing connection ids (several servers in one process never share one). */
let nextConnectionId = 1;

const defaultConnect: UpstreamConnector = (options) => net.connect(options);

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
  private readonly observerFactory: ObserverFactory;
  private readonly connect: UpstreamConnector;
  private accepting = true;
  /** Waiters for `open` to become empty (drain/close). */
  private emptyWaiters: Array<() => void> = [];

  constructor(readonly options: ProxyServerOptions) {
    const maxLineBytes = options.maxLineBytes;
    this.observerFactory =
      options.observerFactory ??
      ((connectionId, direction, bus) => new StratumParser({ connectionId, direction, maxLineBytes, bus }));
    this.connect = options.connect ?? defaultConnect;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, this.onConnection);
    this.server.on('error', this.onServerError);
  }

  /** Resolves with the bound address; rejects with ProxyCoreError SRL_ERR_ADDRESS_IN_USE / SRL_ERR_LISTEN. */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const server = this.server;
      const onError = (err: NodeJS.ErrnoException): void => {
        server.off('listening', onListening);
        const where = `${this.options.listenHost}:${this.options.listenPort}`;
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
        this.accepting = true;
        server.listen({ host: this.options.listenHost, port: this.options.listenPort });
      } catch (err) {
        server.off('error', onError);
        server.off('listening', onListening);
        reject(new ProxyCoreError('SRL_ERR_LISTEN', `cannot listen: ${(err as Error).message}`, { cause: err }));
      }
    });
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
    return Promise.resolve();
  }

  /** Stop accepting, wait up to `timeoutMs` for open connections to end, destroy the rest. */
  async drain(timeoutMs: number): Promise<DrainResult> {
    await this.stopAccepting();
    const initial = this.open.size;
    if (initial === 0) return { drained: 0, forced: 0 };
    await this.waitForEmpty(timeoutMs);
    const remaining = [...this.open.values()];
    for (const connection of remaining) connection.destroy('drain');
    await this.waitForEmpty(undefined);
    return { drained: initial - remaining.length, forced: remaining.length };
  }

  /** Destroy everything now (each open connection is reported closed with side `proxy`, reason `drain`). */
  async close(): Promise<void> {
    await this.stopAccepting();
    for (const connection of [...this.open.values()]) connection.destroy('drain');
    await this.waitForEmpty(undefined);
  }

  private readonly onConnection = (socket: net.Socket): void => {
    if (!this.accepting) {
      this.reject(socket, 'draining');
      return;
    }
    if (this.open.size >= this.options.maxConnections) {
      this.reject(socket, 'max_connections');
      return;
    }
    const connectionId = nextConnectionId++;
    const connection = new ProxyConnection({
      connectionId,
      miner: socket,
      poolHost: this.options.poolHost,
      poolPort: this.options.poolPort,
      idleTimeoutMs: this.options.idleTimeoutMs,
      upstreamConnectTimeoutMs: this.options.upstreamConnectTimeoutMs,
      preConnectBufferBytes: this.options.preConnectBufferBytes,
      bus: this.events,
      observerFactory: this.observerFactory,
      connect: this.connect,
      onClosed: this.onConnectionClosed,
    });
    if (!connection.closed) this.open.set(connectionId, connection);
  };

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
    this.open.delete(connection.connectionId);
    if (this.open.size === 0 && this.emptyWaiters.length > 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const wake of waiters) wake();
    }
  };

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

export type { Direction };
