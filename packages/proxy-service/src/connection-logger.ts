import { connectionLogger, type Logger } from '@stratum-relay/logger';
import { RateLimitedLog, type RateLimitedLogOptions } from '@stratum-relay/proxy-core';
import type { ProxyEvent, ProxyEventListener, ProxyEventSubscribeOptions } from '@stratum-relay/shared-types';

/** What the logger needs from ProxyServer.events. */
export interface EventSource {
  subscribe(listener: ProxyEventListener, options?: ProxyEventSubscribeOptions): () => void;
}

/** Worker names come from the miner: cap what is kept per connection. */
const MAX_WORKER_NAME_CHARS = 128;

/**
 * No child logger is kept per connection: lines are rare (open, authorize, close), and a pino
 * child is ~700 bytes of closures that 10,000 idle miners would hold for nothing.
 */
interface ConnectionState {
  readonly remoteAddress: string;
  readonly remotePort: number;
  worker: string | null;
}

/** One per-connection line waiting for its rate limit (see ConnectionLogger.lines). */
interface ConnectionLine {
  readonly connectionId: number;
  readonly level: 'info' | 'warn';
  readonly fields: object;
  readonly msg: string;
}

/** Per-connection lines per second and kind (opened; closed by side and reason; pool failures by pool and reason). */
const CONNECTION_LINES_PER_SECOND = 20;
/** Refusals and failed TLS handshakes per second and reason. */
const REFUSALS_PER_SECOND = 5;

/** Real timers that never keep the process alive; tests inject a clock. */
const UNREF_SCHEDULE: NonNullable<RateLimitedLogOptions['schedule']> = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface ConnectionLoggerOptions {
  /** Monotonic ms and a timer, for the rate limits (tests); default: real ones. */
  readonly now?: () => number;
  readonly schedule?: RateLimitedLogOptions['schedule'];
}

/**
 * One info line when a miner connects and one when the connection ends (worker name from its
 * mining.authorize, remote address, duration, bytes each way, which side closed and why);
 * pool connect failures, refused connections and the pool's client.reconnect at warn;
 * unparseable and oversized lines at
 * debug. State is a few fields per open connection, deleted when it closes. The password of
 * mining.authorize is never read (only params[0]).
 *
 * A reconnect storm (a pool down, miners retrying every few seconds; every miner at once after a
 * restart) must not fill the disk: each kind of per-connection line goes through a rate limit,
 * CONNECTION_LINES_PER_SECOND per kind (opened; closed per side and reason; a failed pool per pool
 * and reason), then one line per second saying how many were suppressed. The periodic summary
 * (summary-logger.ts) still counts everything.
 */
export class ConnectionLogger {
  private readonly open = new Map<number, ConnectionState>();
  private unsubscribe: (() => void) | undefined;
  /** Refusals and failed TLS handshakes: a few lines per second per reason, then one "suppressed N". */
  private readonly refusals: RateLimitedLog;
  /** Opened, closed, pool failures: keyed by kind (`opened`, `closed:pool:reset`, `pool_failed:<pool>:refused`). */
  private readonly lines: RateLimitedLog<ConnectionLine>;

  constructor(
    private readonly logger: Logger,
    options: ConnectionLoggerOptions = {},
  ) {
    const clock = { now: options.now, schedule: options.schedule ?? UNREF_SCHEDULE };
    this.refusals = new RateLimitedLog({
      ...clock,
      perSecond: REFUSALS_PER_SECOND,
      emit: (reason, entry) => {
        if ('suppressed' in entry) this.logger.warn({ reason, suppressed: entry.suppressed }, 'connections refused (lines suppressed)');
        else this.logger.warn(entry, reason.startsWith('tls:') ? 'miner TLS handshake failed' : 'connection refused');
      },
    });
    this.lines = new RateLimitedLog<ConnectionLine>({
      ...clock,
      perSecond: CONNECTION_LINES_PER_SECOND,
      emit: (kind, entry) => {
        if ('suppressed' in entry) {
          // At the level of the lines it stands for: a restart's burst of opens is no warning.
          const fields = { kind, suppressed: entry.suppressed, per_second: CONNECTION_LINES_PER_SECOND };
          if (kind.startsWith('pool_failed:')) this.logger.warn(fields, 'connection lines suppressed (rate limit)');
          else this.logger.info(fields, 'connection lines suppressed (rate limit)');
          return;
        }
        const log = connectionLogger(this.logger, entry.connectionId);
        if (entry.level === 'warn') log.warn(entry.fields, entry.msg);
        else log.info(entry.fields, entry.msg);
      },
    });
  }

  /** Start logging `events`; returns this for chaining. */
  attach(events: EventSource): this {
    this.detach();
    // Everything it keeps (worker name, addresses) is copied out during the call: it borrows events.
    this.unsubscribe = events.subscribe(this.handle, { borrowsEvents: true });
    return this;
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.open.clear();
    this.refusals.flush();
    this.lines.flush();
  }

  /** Connections currently tracked (tests check state is released on close). */
  get trackedConnections(): number {
    return this.open.size;
  }

  /** Handle one event (public for tests; a bound arrow so it can be subscribed directly). */
  readonly handle = (event: ProxyEvent): void => {
    switch (event.type) {
      // `bytes` (one per chunk) is by far the most frequent event: it falls through at once.
      case 'connection.opened': {
        this.open.set(event.connectionId, { remoteAddress: event.remoteAddress, remotePort: event.remotePort, worker: null });
        this.limited('opened', event.connectionId, 'info', { remote_address: event.remoteAddress, remote_port: event.remotePort }, 'connection opened');
        return;
      }
      case 'connection.adopted': {
        // Handed over from another worker process (an upgrade): the same miner, no new connection.
        this.open.set(event.connectionId, { remoteAddress: event.remoteAddress, remotePort: event.remotePort, worker: null });
        this.debug(event.connectionId, { remote_address: event.remoteAddress, pool: event.poolName }, 'connection adopted from another worker');
        return;
      }
      case 'stratum.notification':
        if (event.method === 'client.reconnect' && event.direction === 'pool_to_miner') this.logReconnect(event.connectionId, event.params);
        return;
      case 'stratum.request': {
        if (event.method === 'client.reconnect' && event.direction === 'pool_to_miner') {
          this.logReconnect(event.connectionId, event.params);
          return;
        }
        if (event.method !== 'mining.authorize' || event.direction !== 'miner_to_pool') return;
        const state = this.open.get(event.connectionId);
        const name = event.params[0];
        // The first name is the connection's identity; a later authorize (multi-worker
        // firmware) does not rename it.
        if (state === undefined || state.worker !== null || typeof name !== 'string') return;
        state.worker = name.length > MAX_WORKER_NAME_CHARS ? name.slice(0, MAX_WORKER_NAME_CHARS) : name;
        this.debug(event.connectionId, { worker: state.worker }, 'miner authorizing');
        return;
      }
      case 'connection.closed': {
        const state = this.open.get(event.connectionId);
        this.open.delete(event.connectionId);
        this.limited(
          `closed:${event.side}:${event.reason}`,
          event.connectionId,
          'info',
          {
            worker: state?.worker ?? null,
            remote_address: state?.remoteAddress ?? null,
            remote_port: state?.remotePort ?? null,
            duration_ms: Math.round(event.durationMs),
            bytes_miner_to_pool: event.bytesMinerToPool,
            bytes_pool_to_miner: event.bytesPoolToMiner,
            pool: event.poolName,
            side: event.side,
            reason: event.reason,
            ...(event.error !== undefined ? { error: event.error } : {}),
          },
          event.reason === 'failback'
            ? 'connection closed to move the miner back to a higher-priority pool'
            : event.side === 'pool'
              ? 'connection closed by the pool: the miner reconnects to a pool that is up'
              : 'connection closed',
        );
        return;
      }
      case 'upstream.connected': {
        const fields = { pool: event.poolName, pool_host: event.poolHost, pool_port: event.poolPort, attempt: event.attempt, latency_ms: Math.round(event.latencyMs) };
        // After a failover the miner is on another pool than it would have been: worth an info line.
        if (event.attempt > 0) this.limited(`failover:${event.poolName}`, event.connectionId, 'info', fields, 'connected to pool after failover');
        else this.debug(event.connectionId, fields, 'connected to pool');
        return;
      }
      case 'upstream.connect_failed':
        this.limited(
          `pool_failed:${event.poolName}:${event.reason}`,
          event.connectionId,
          'warn',
          {
            pool: event.poolName,
            pool_host: event.poolHost,
            pool_port: event.poolPort,
            reason: event.reason,
            code: event.code ?? null,
            error: event.message,
            latency_ms: Math.round(event.latencyMs),
            failover: event.failover,
          },
          event.failover ? 'cannot use pool: trying the next one' : 'cannot connect to pool',
        );
        return;
      case 'pool.state_changed':
        if (event.up) this.logger.info({ pool: event.poolName, priority: event.priority }, event.previous === null ? 'pool is up' : 'pool is up again');
        else this.logger.warn({ pool: event.poolName, priority: event.priority, error: event.error }, 'pool is down');
        return;
      case 'connection.rejected':
        this.refusals.log(event.reason, { remote_address: event.remoteAddress, remote_port: event.remotePort, reason: event.reason });
        return;
      case 'tls.handshake_failed':
        this.refusals.log(`tls:${event.reason}`, { remote_address: event.remoteAddress, reason: event.reason, error: event.error });
        return;
      case 'parse.error':
        this.debug(
          event.connectionId,
          { direction: event.direction, reason: event.reason, bytes: event.bytes },
          'line is not valid stratum (relayed anyway)',
        );
        return;
      case 'line.oversized':
        this.debug(
          event.connectionId,
          { direction: event.direction, bytes: event.bytes, limit: event.limit },
          'line longer than maxLineBytes not parsed (relayed anyway)',
        );
        return;
      default:
        return;
    }
  };

  /**
   * client.reconnect is relayed unchanged (the proxy never rewrites), but a miner told to go to
   * another host leaves the proxy, and its shares stop showing up here: say so where operators look.
   */
  private logReconnect(connectionId: number, params: readonly unknown[]): void {
    const [host, port, waitSeconds] = params;
    const elsewhere = typeof host === 'string' && host.length > 0;
    this.logFor(connectionId).warn(
      {
        worker: this.open.get(connectionId)?.worker ?? null,
        host: elsewhere ? host.slice(0, 255) : null,
        port: typeof port === 'number' || typeof port === 'string' ? port : null,
        wait_s: typeof waitSeconds === 'number' ? waitSeconds : null,
      },
      elsewhere
        ? 'pool told the miner to reconnect to another host: the miner may bypass the proxy from now on'
        : 'pool told the miner to reconnect',
    );
  }

  /** A per-connection line through the rate limit of its kind; nothing is built when its level is off. */
  private limited(kind: string, connectionId: number, level: 'info' | 'warn', fields: object, msg: string): void {
    if (this.logger.isLevelEnabled(level)) this.lines.log(kind, { connectionId, level, fields, msg });
  }

  private logFor(connectionId: number): Logger {
    return connectionLogger(this.logger, connectionId);
  }

  /** Debug lines come per authorize and per bad line: no child logger is built when debug is off. */
  private debug(connectionId: number, fields: object, msg: string): void {
    if (this.logger.isLevelEnabled('debug')) this.logFor(connectionId).debug(fields, msg);
  }
}
