/**
 * Test-only builders of ProxyEvents, so the collector can be driven directly (fast, no sockets).
 */
import type { Direction, JsonRpcId, ProxyEvent } from '@stratum-relay/shared-types';

export class EventScript {
  /** Monotonic ms: advanced by `advance()`; every event carries the current value. */
  t = 1_000;
  wall = Date.UTC(2024, 0, 1);
  readonly sent: ProxyEvent[] = [];

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

  open(connectionId: number, remoteAddress = '127.0.0.1', remotePort = 40000): void {
    this.emit({ type: 'connection.opened', connectionId, t: this.t, remoteAddress, remotePort, wallTime: this.wall });
  }

  close(
    connectionId: number,
    side: 'miner' | 'pool' | 'proxy' = 'miner',
    reason: 'end' | 'reset' | 'idle_timeout' | 'upstream_failed' | 'drain' | 'limit' = 'end',
    durationMs = 1000,
  ): void {
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

  upstreamConnected(connectionId: number, latencyMs = 2, poolHost = 'pool.test', poolPort = 3333): void {
    this.emit({ type: 'upstream.connected', connectionId, t: this.t, poolHost, poolPort, latencyMs });
  }

  upstreamFailed(connectionId: number, reason: 'refused' | 'timeout' | 'unreachable' | 'dns' | 'reset' | 'error' = 'refused', message = 'connect ECONNREFUSED 127.0.0.1:3333'): void {
    this.emit({
      type: 'upstream.connect_failed',
      connectionId,
      t: this.t,
      poolHost: 'pool.test',
      poolPort: 3333,
      reason,
      code: reason === 'refused' ? 'ECONNREFUSED' : undefined,
      message,
      latencyMs: 1,
    });
  }

  rejected(reason: 'max_connections' | 'draining'): void {
    this.emit({ type: 'connection.rejected', t: this.t, remoteAddress: '127.0.0.1', remotePort: 1, reason });
  }

  parseError(connectionId: number, direction: Direction): void {
    this.emit({ type: 'parse.error', connectionId, t: this.t, direction, reason: 'invalid_json', bytes: 3 });
  }

  oversized(connectionId: number, direction: Direction): void {
    this.emit({ type: 'line.oversized', connectionId, t: this.t, direction, bytes: 100_000, limit: 65_536 });
  }
}
