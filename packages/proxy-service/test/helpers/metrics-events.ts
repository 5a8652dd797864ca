/**
 * Test-only builders of ProxyEvents, so the collector can be driven directly (fast, no sockets).
 */
import type {
  CloseReason,
  CloseSide,
  Direction,
  JsonRpcId,
  ProxyEvent,
  RejectReason,
  TlsHandshakeFailureReason,
  UpstreamFailureReason,
} from '@stratum-relay/shared-types';

/** The default pool's name, as the config names a pool given without one: `host:port`. */
export const POOL = 'pool.test:3333';

/** `host:port` (or `[v6]:port`) → the host and port an upstream event carries. */
function endpointOf(poolName: string): { poolHost: string; poolPort: number } {
  const colon = poolName.lastIndexOf(':');
  const port = Number(poolName.slice(colon + 1));
  if (colon === -1 || !Number.isInteger(port)) return { poolHost: poolName, poolPort: 3333 };
  return { poolHost: poolName.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), poolPort: port };
}

export interface UpstreamConnectedOptions {
  latencyMs?: number;
  /** 0 = primary. */
  priority?: number;
  /** 0 = the first pool this connection tried. */
  attempt?: number;
}

export interface UpstreamFailedOptions {
  pool?: string;
  /** The connection goes on to the next pool. */
  failover?: boolean;
  message?: string;
}

export class EventScript {
  /** Monotonic ms: advanced by `advance()`; every event carries the current value. */
  t = 1_000;
  wall = Date.UTC(2024, 0, 1);
  readonly sent: ProxyEvent[] = [];
  /** The pool each connection is relayed to, as proxy-core reports it in connection.closed. */
  private readonly poolOf = new Map<number, string>();

  constructor(private readonly sink: (e: ProxyEvent) => void) {}

  advance(ms: number): this {
    this.t += ms;
    this.wall += ms;
    return this;
  }

  private emit(e: ProxyEvent): void {
    this.sent.push(e);
    this.sink(e);
  }

  /** A miner connection accepted; no pool yet. */
  open(connectionId: number, remoteAddress = '127.0.0.1', remotePort = 40000): void {
    this.emit({ type: 'connection.opened', connectionId, t: this.t, remoteAddress, remotePort, wallTime: this.wall });
  }

  /** A miner connection accepted and relayed to `pool` (its first upstream connect succeeded). */
  openToPool(connectionId: number, pool = POOL): void {
    this.open(connectionId);
    this.upstreamConnected(connectionId, pool);
  }

  /** connection.closed; `poolName` defaults to the pool the connection was last relayed to (null if none). */
  close(
    connectionId: number,
    side: CloseSide = 'miner',
    reason: CloseReason = 'end',
    durationMs = 1000,
    poolName: string | null = this.poolOf.get(connectionId) ?? null,
  ): void {
    this.poolOf.delete(connectionId);
    this.emit({
      type: 'connection.closed',
      connectionId,
      t: this.t,
      durationMs,
      bytesMinerToPool: 0,
      bytesPoolToMiner: 0,
      side,
      reason,
      error: undefined,
      poolName,
    });
  }

  bytes(connectionId: number, direction: Direction, bytes: number): void {
    this.emit({ type: 'bytes', connectionId, t: this.t, direction, bytes });
  }

  /** miner → pool request. */
  request(connectionId: number, id: JsonRpcId, method: string, params: readonly unknown[] = []): void {
    this.emit({ type: 'stratum.request', connectionId, t: this.t, direction: 'miner_to_pool', id, method, params });
  }

  /** pool → miner request (client.get_version …). */
  poolRequest(connectionId: number, id: JsonRpcId, method: string, params: readonly unknown[] = []): void {
    this.emit({ type: 'stratum.request', connectionId, t: this.t, direction: 'pool_to_miner', id, method, params });
  }

  /** pool → miner answer. */
  answer(connectionId: number, id: JsonRpcId, result: unknown, error: unknown = null): void {
    this.emit({ type: 'stratum.response', connectionId, t: this.t, direction: 'pool_to_miner', id, result, error });
  }

  /** miner → pool answer. */
  minerAnswer(connectionId: number, id: JsonRpcId, result: unknown, error: unknown = null): void {
    this.emit({ type: 'stratum.response', connectionId, t: this.t, direction: 'miner_to_pool', id, result, error });
  }

  /** pool → miner notification. */
  notify(connectionId: number, method: string, params: readonly unknown[]): void {
    this.emit({ type: 'stratum.notification', connectionId, t: this.t, direction: 'pool_to_miner', method, params });
  }

  subscribe(connectionId: number, id: JsonRpcId, extranonce1 = 'f000000f', extranonce2Size = 4): void {
    this.request(connectionId, id, 'mining.subscribe', ['test-miner/1.0']);
    this.answer(connectionId, id, [[['mining.notify', 'sub1']], extranonce1, extranonce2Size]);
  }

  authorize(connectionId: number, id: JsonRpcId, worker: string): void {
    this.request(connectionId, id, 'mining.authorize', [worker, 'x']);
    this.answer(connectionId, id, true);
  }

  setDifficulty(connectionId: number, difficulty: number): void {
    this.notify(connectionId, 'mining.set_difficulty', [difficulty]);
  }

  submit(connectionId: number, id: JsonRpcId, worker = 'w', jobId = 'job', extranonce2 = '00000000', ntime = '5f5e1000', nonce = '00000000', versionBits?: string): void {
    const params: unknown[] = [worker, jobId, extranonce2, ntime, nonce];
    if (versionBits !== undefined) params.push(versionBits);
    this.request(connectionId, id, 'mining.submit', params);
  }

  upstreamConnected(connectionId: number, pool = POOL, options: UpstreamConnectedOptions = {}): void {
    this.poolOf.set(connectionId, pool);
    this.emit({
      type: 'upstream.connected',
      connectionId,
      t: this.t,
      poolName: pool,
      ...endpointOf(pool),
      poolPriority: options.priority ?? 0,
      attempt: options.attempt ?? 0,
      latencyMs: options.latencyMs ?? 2,
    });
  }

  upstreamFailed(connectionId: number, reason: UpstreamFailureReason = 'refused', options: UpstreamFailedOptions = {}): void {
    const pool = options.pool ?? POOL;
    const endpoint = endpointOf(pool);
    // Like proxy-core: a pool that failed is no longer the connection's pool.
    if (this.poolOf.get(connectionId) === pool) this.poolOf.delete(connectionId);
    this.emit({
      type: 'upstream.connect_failed',
      connectionId,
      t: this.t,
      poolName: pool,
      ...endpoint,
      failover: options.failover ?? false,
      reason,
      code: reason === 'refused' ? 'ECONNREFUSED' : undefined,
      message: options.message ?? `connect ECONNREFUSED ${endpoint.poolHost}:${endpoint.poolPort}`,
      latencyMs: 1,
    });
  }

  /** One background health probe of `pool` finished. */
  probed(pool: string, ok: boolean, latencyMs: number, reason: UpstreamFailureReason | null = ok ? null : 'refused'): void {
    this.emit({ type: 'pool.probed', t: this.t, poolName: pool, ok, latencyMs, reason, error: ok ? null : 'connect ECONNREFUSED' });
  }

  poolStateChanged(pool: string, up: boolean, previous: boolean | null, priority = 0): void {
    this.emit({ type: 'pool.state_changed', t: this.t, poolName: pool, priority, up, previous, error: up ? null : 'connect ECONNREFUSED' });
  }

  tlsHandshakeFailed(reason: TlsHandshakeFailureReason, remoteAddress = '127.0.0.1'): void {
    this.emit({ type: 'tls.handshake_failed', t: this.t, remoteAddress, reason, error: `handshake failed: ${reason}` });
  }

  rejected(reason: RejectReason): void {
    this.emit({ type: 'connection.rejected', t: this.t, remoteAddress: '127.0.0.1', remotePort: 1, reason });
  }

  parseError(connectionId: number, direction: Direction): void {
    this.emit({ type: 'parse.error', connectionId, t: this.t, direction, reason: 'invalid_json', bytes: 3 });
  }

  oversized(connectionId: number, direction: Direction): void {
    this.emit({ type: 'line.oversized', connectionId, t: this.t, direction, bytes: 100_000, limit: 65_536 });
  }
}
