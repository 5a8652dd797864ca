import { performance } from 'node:perf_hooks';
import type { PoolSpec, UpstreamFailureReason } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../event-bus';
import { DEFAULT_POOL_TLS, dialPool, type DialedSocket, type PoolDialer, type PoolTlsOptions } from './pool-dialer';
import { PoolHealth } from './pool-health';

/** Lines the per-pool account rewrite changed, and lines it had to pass unchanged. */
export interface AccountRewriteCounts {
  rewritten: number;
  unsafe: number;
}

/** One configured pool with its live state. */
export class UpstreamPool {
  readonly health = new PoolHealth();
  /** Miner connections currently relayed to this pool (connected upstream sockets). */
  miners = 0;
  /** Only when the pool URL carries an account (the opt-in rewrite). */
  readonly rewrites: AccountRewriteCounts | null;

  constructor(
    readonly spec: PoolSpec,
    /** 0 = primary. Changes only when a reload reorders the list. */
    public priority: number,
  ) {
    this.rewrites = spec.account !== null ? { rewritten: 0, unsafe: 0 } : null;
  }

  get name(): string {
    return this.spec.name;
  }
}

/** A pool as /status and the metrics show it. */
export interface PoolState {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly scheme: 'tcp' | 'tls';
  readonly priority: number;
  readonly up: boolean | null;
  /** Wall-clock ms of the latest up/down change, null before the first. */
  readonly since: number | null;
  readonly miners: number;
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly accountRewrite: boolean;
  readonly rewrites: AccountRewriteCounts | null;
}

export interface UpstreamPoolsOptions {
  readonly pools: readonly PoolSpec[];
  readonly bus: ProxyEventBus;
  readonly tls?: PoolTlsOptions;
  readonly dial?: PoolDialer;
  /** Monotonic ms (default performance.now). */
  readonly now?: () => number;
  readonly wallNow?: () => number;
}

/**
 * The ordered pool list and each pool's health: which pools a new miner connection tries, in
 * which order, and how sockets to them are opened. One object that a config reload can swap the
 * list of (`replace`) for new connections; connections already relayed keep their pool.
 */
export class UpstreamPools {
  private list: readonly UpstreamPool[];
  private tlsOptions: PoolTlsOptions;
  private readonly bus: ProxyEventBus;
  private readonly dialer: PoolDialer;
  readonly now: () => number;
  private readonly wallNow: () => number;

  constructor(options: UpstreamPoolsOptions) {
    if (options.pools.length === 0) throw new RangeError('at least one pool is required');
    this.list = options.pools.map((spec, i) => new UpstreamPool(spec, i));
    this.bus = options.bus;
    this.tlsOptions = options.tls ?? DEFAULT_POOL_TLS;
    this.dialer = options.dial ?? dialPool;
    this.now = options.now ?? (() => performance.now());
    this.wallNow = options.wallNow ?? Date.now;
  }

  /** Every configured pool, in priority order. */
  get pools(): readonly UpstreamPool[] {
    return this.list;
  }

  /**
   * The pools a new connection tries, in order: those up by priority, then those not probed yet,
   * then those marked down (a pool marked down may be back before the next probe says so, and a
   * miner is better served by one more try than by a close).
   */
  plan(): UpstreamPool[] {
    const up: UpstreamPool[] = [];
    const unknown: UpstreamPool[] = [];
    const down: UpstreamPool[] = [];
    for (const pool of this.list) {
      const state = pool.health.up;
      (state === true ? up : state === null ? unknown : down).push(pool);
    }
    return up.concat(unknown, down);
  }

  /** The pool a new miner lands on now: the highest-priority pool that is up, or null. */
  preferred(): UpstreamPool | null {
    for (const pool of this.list) if (pool.health.up === true) return pool;
    return null;
  }

  anyUp(): boolean {
    return this.preferred() !== null;
  }

  dial(pool: UpstreamPool): DialedSocket {
    return this.dialer(pool.spec, this.tlsOptions);
  }

  reportUp(pool: UpstreamPool): void {
    const previous = pool.health.up;
    if (pool.health.markUp(this.now(), this.wallNow())) this.emitChange(pool, previous);
  }

  /** A failed connect or probe. Local failures (the proxy's own descriptors or ports) never mark a pool down. */
  reportDown(pool: UpstreamPool, reason: UpstreamFailureReason, error: string): void {
    if (reason === 'local_resources') return;
    const previous = pool.health.up;
    if (pool.health.markDown(error, this.now(), this.wallNow())) this.emitChange(pool, previous);
  }

  /** Swap the TLS settings used for new pool connections (config reload). */
  setTls(options: PoolTlsOptions): void {
    this.tlsOptions = options;
  }

  /**
   * Swap the pool list for new connections (config reload). A pool whose name, scheme, host,
   * port and account are unchanged keeps its health and miner count (a reorder only changes its
   * priority); connections already relayed are never touched.
   */
  replace(specs: readonly PoolSpec[]): void {
    if (specs.length === 0) throw new RangeError('at least one pool is required');
    const old = new Map(this.list.map((p) => [p.name, p]));
    this.list = specs.map((spec, i) => {
      const previous = old.get(spec.name);
      if (previous === undefined || !sameEndpoint(previous.spec, spec)) return new UpstreamPool(spec, i);
      // The same object: connections relayed to it keep counting their miners on it.
      previous.priority = i;
      return previous;
    });
  }

  states(): PoolState[] {
    return this.list.map((p) => ({
      name: p.name,
      host: p.spec.host,
      port: p.spec.port,
      scheme: p.spec.scheme,
      priority: p.priority,
      up: p.health.up,
      since: p.health.changedAtWall,
      miners: p.miners,
      lastError: p.health.lastError,
      lastErrorAt: p.health.lastErrorAt,
      accountRewrite: p.spec.account !== null,
      rewrites: p.rewrites === null ? null : { ...p.rewrites },
    }));
  }

  private emitChange(pool: UpstreamPool, previous: boolean | null): void {
    if (!this.bus.hasListeners) return;
    this.bus.emit({
      type: 'pool.state_changed',
      t: this.now(),
      poolName: pool.name,
      priority: pool.priority,
      up: pool.health.up === true,
      previous,
      error: pool.health.up === true ? null : pool.health.lastError,
    });
  }
}

function sameEndpoint(a: PoolSpec, b: PoolSpec): boolean {
  return a.scheme === b.scheme && a.host === b.host && a.port === b.port && a.account === b.account && a.password === b.password;
}
