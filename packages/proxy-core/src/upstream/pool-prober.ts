import type * as net from 'node:net';
import type { UpstreamFailureReason } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../event-bus';
import { errorCode, errorLabel, upstreamFailureReason } from './failure-reason';
import type { UpstreamPool, UpstreamPools } from './upstream-pools';

export interface PoolProberOptions {
  readonly pools: UpstreamPools;
  readonly bus: ProxyEventBus;
  readonly intervalMs: number;
  /** One probe gives up after this long (UPSTREAM_CONNECT_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Sent as the subscribe's user agent, so pool operators can tell probes from miners. */
  readonly userAgent: string;
}

/** The longest answer line a probe reads before it calls the pool broken. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Background health checks: at start and every `intervalMs`, each pool gets a real Stratum
 * exchange — connect (TCP or TLS), `mining.subscribe`, an answer within `timeoutMs`, close. A pool
 * that refuses, does not resolve, times out, or accepts TCP but never answers (a black hole) is
 * down. Only a Stratum answer proves a pool can take miners; a bare TCP connect does not.
 */
export class PoolProber {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<UpstreamPool, () => void>();
  private readonly request: string;

  private options: PoolProberOptions;

  constructor(options: PoolProberOptions) {
    this.options = options;
    this.request = `${JSON.stringify({ id: 1, method: 'mining.subscribe', params: [options.userAgent] })}\n`;
  }

  start(): void {
    if (this.timer !== null) return;
    this.probeAll();
    this.timer = setInterval(() => this.probeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  /** New interval and timeout (config reload): a running schedule restarts with a probe now. */
  reconfigure(intervalMs: number, timeoutMs: number): void {
    const running = this.timer !== null;
    if (running) clearInterval(this.timer as NodeJS.Timeout);
    this.timer = null;
    this.options = { ...this.options, intervalMs, timeoutMs };
    if (running) this.start();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const abort of [...this.inFlight.values()]) abort();
    this.inFlight.clear();
  }

  /** Probes every pool that has no probe running (the list may have been swapped by a reload). */
  probeAll(): void {
    for (const pool of this.options.pools.pools) if (!this.inFlight.has(pool)) this.probe(pool);
  }

  private probe(pool: UpstreamPool): void {
    const { pools, bus, timeoutMs } = this.options;
    const startedAt = pools.now();
    let socket: net.Socket;
    let connected = false;
    let done = false;
    let received = 0;
    const chunks: Buffer[] = [];

    const finish = (ok: boolean, reason: UpstreamFailureReason | null, error: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.inFlight.delete(pool);
      socket.destroy();
      if (ok) pools.reportUp(pool);
      else pools.reportDown(pool, reason ?? 'error', error ?? 'probe failed');
      if (bus.hasListeners) {
        bus.emit({ type: 'pool.probed', t: pools.now(), poolName: pool.name, ok, latencyMs: pools.now() - startedAt, reason, error });
      }
    };

    try {
      const dialed = pools.dial(pool);
      socket = dialed.socket;
      socket.once(dialed.readyEvent, () => {
        connected = true;
        socket.write(this.request);
      });
    } catch (err) {
      // e.g. ERR_SOCKET_BAD_PORT is thrown synchronously.
      const message = describe(err);
      const reason = upstreamFailureReason(errorCode(err));
      queueMicrotask(() => {
        if (bus.hasListeners) bus.emit({ type: 'pool.probed', t: pools.now(), poolName: pool.name, ok: false, latencyMs: 0, reason, error: message });
        pools.reportDown(pool, reason, message);
      });
      return;
    }
    const timer = setTimeout(() => {
      finish(false, connected ? 'no_answer' : 'timeout', `${connected ? 'no answer to mining.subscribe' : 'ETIMEDOUT: no connection'} within ${timeoutMs} ms`);
    }, timeoutMs);
    timer.unref();
    this.inFlight.set(pool, () => {
      done = true;
      clearTimeout(timer);
      socket.destroy();
    });

    socket.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) {
        chunks.push(chunk);
        received += chunk.length;
        if (received > MAX_ANSWER_BYTES) finish(false, 'error', `answer longer than ${MAX_ANSWER_BYTES} bytes without a newline`);
        return;
      }
      chunks.push(chunk.subarray(0, nl));
      const line = Buffer.concat(chunks).toString('utf8');
      finish(...judgeAnswer(line));
    });
    socket.on('error', (err) => finish(false, upstreamFailureReason(errorCode(err)), describe(err)));
    socket.on('close', () => finish(false, connected ? 'reset' : 'error', 'closed before answering mining.subscribe'));
    // The dialer opens half-open sockets: a pool that hangs up only ends the stream.
    socket.on('end', () => finish(false, 'reset', 'closed before answering mining.subscribe'));
  }
}

/**
 * Any JSON object is an answer: a pool that rejects the probe's subscribe (some want a
 * mining.configure or an authorize first) still proved it speaks Stratum and is alive.
 */
function judgeAnswer(line: string): [boolean, UpstreamFailureReason | null, string | null] {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return [true, null, null];
  } catch {
    // fall through
  }
  return [false, 'error', 'the answer to mining.subscribe is not a JSON-RPC message'];
}

function describe(err: unknown): string {
  const code = errorCode(err);
  const label = errorLabel(err);
  const message = err !== null && typeof err === 'object' && typeof (err as Error).message === 'string' ? (err as Error).message : String(err);
  return code !== undefined && !message.includes(code) ? `${label}: ${message}` : message;
}
