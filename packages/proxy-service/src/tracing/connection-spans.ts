import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ConnectionRow, ShareRow } from '@stratum-relay/share-journal';
import type {
  ConnectionAdoptedEvent,
  ConnectionClosedEvent,
  ConnectionOpenedEvent,
  ProxyEvent,
  ProxyEventListener,
  ProxyEventSubscribeOptions,
  UpstreamConnectedEvent,
  UpstreamConnectFailedEvent,
} from '@stratum-relay/shared-types';
import { sanitizeWorkerName } from '../client-id-cap';
import type { CollectorShareSink } from '../metrics-collector';

/** What the spans need from ProxyServer.events. */
export interface EventSource {
  subscribe(listener: ProxyEventListener, options?: ProxyEventSubscribeOptions): () => void;
}

/** Span names (stable: dashboards and trace queries use them). */
export const SPAN_CONNECTION = 'stratum.connection';
export const SPAN_UPSTREAM_CONNECT = 'stratum.upstream_connect';
export const SPAN_SUBMIT = 'stratum.submit';

/** Job ids come from the miner's submit: cap what goes into an attribute. */
const MAX_JOB_ID_CHARS = 64;

/** One traced (sampled) miner connection. */
interface Traced {
  readonly span: Span;
  /** The context whose active span is `span`: the parent of its children. */
  readonly context: Context;
  /** The first mining.authorize names the connection (as in the logs and metrics). */
  worker: string | null;
  /** The upstream connect in progress (opened by its first failure or its success), if any. */
  upstream: Span | null;
  failedAttempts: number;
}

/**
 * Builds OpenTelemetry spans from the relay's event bus and the collector's settled shares,
 * never from the relay itself:
 * - `stratum.connection` per miner connection (root): remote address, worker, pool, bytes each
 *   way, which side closed and why;
 * - `stratum.upstream_connect` per connect to a pool (child): the pool that took it, every failed
 *   attempt before it as an event (a failover);
 * - `stratum.submit` per mining.submit (child), from submit to the pool's answer: job,
 *   difficulty, result, reject reason and the audit's verdict, as the collector counted them.
 *
 * The sampler decides at the connection: an unsampled connection keeps no state, and its later
 * events cost one map lookup. Times are the events' own (the relay's monotonic clock, which the
 * SDK maps to wall time), so a span is as long as what it measures, not as late as its listener.
 * The password of mining.authorize is never read (only params[0]).
 */
export class ConnectionSpans {
  private readonly traced = new Map<number, Traced>();
  private unsubscribe: (() => void) | undefined;

  /**
   * The collector's share sink: one call per submit once its fate is known. It wants only the
   * sampled connections' rows (HOT PATH: the rest decode no params and build no row).
   */
  readonly shares: CollectorShareSink = {
    share: (row: ShareRow) => this.onShare(row),
    connection: (_row: ConnectionRow) => undefined,
    wantsSharesOf: (connectionId: number) => this.traced.has(connectionId),
  };

  constructor(private readonly tracer: Tracer) {}

  /**
   * Subscribe after the collector: on a close, the collector first settles the connection's
   * unanswered submits (their spans need the connection's), then this ends the connection.
   */
  attach(events: EventSource): this {
    this.detach();
    // Everything kept (worker name, span handles) is copied out during the call: it borrows events.
    this.unsubscribe = events.subscribe(this.handle, { borrowsEvents: true });
    return this;
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Sampled connections still open (tests check state is released). */
  get openSpans(): number {
    return this.traced.size;
  }

  /**
   * Ends every span still open, marked with why (a shutdown, or connections handed to another
   * process by an upgrade: they leave without `connection.closed`), and forgets them.
   */
  endAll(reason: string): void {
    for (const t of this.traced.values()) {
      t.upstream?.end();
      t.span.setAttribute('stratum.ended_by', reason);
      t.span.end();
    }
    this.traced.clear();
  }

  /** One event (a bound arrow so it can be subscribed directly). Never throws into the bus. */
  readonly handle = (event: ProxyEvent): void => {
    try {
      switch (event.type) {
        // `bytes` (one per chunk) is by far the most frequent event: it falls through at once.
        case 'connection.opened':
          this.onOpened(event);
          return;
        case 'connection.adopted':
          this.onAdopted(event);
          return;
        case 'stratum.request': {
          if (event.method !== 'mining.authorize' || event.direction !== 'miner_to_pool') return;
          const t = this.traced.get(event.connectionId);
          if (t === undefined || t.worker !== null) return;
          const worker = sanitizeWorkerName(event.params[0]);
          if (worker === null) return;
          t.worker = worker;
          t.span.setAttribute('stratum.worker', worker);
          return;
        }
        case 'upstream.connect_failed':
          this.onUpstreamFailed(event);
          return;
        case 'upstream.connected':
          this.onUpstreamConnected(event);
          return;
        case 'connection.closed':
          this.onClosed(event);
          return;
        default:
          return;
      }
    } catch {
      // A tracing bug must never reach the relay; the connection's spans may be incomplete.
    }
  };

  private start(connectionId: number, startTime: number, attributes: Attributes): void {
    const span = this.tracer.startSpan(SPAN_CONNECTION, { kind: SpanKind.SERVER, startTime, attributes }, ROOT_CONTEXT);
    // Not sampled: nothing is kept, and the connection's later events find nothing.
    if (!span.isRecording()) return;
    this.traced.set(connectionId, { span, context: trace.setSpan(ROOT_CONTEXT, span), worker: null, upstream: null, failedAttempts: 0 });
  }

  private onOpened(e: ConnectionOpenedEvent): void {
    this.start(e.connectionId, e.t, {
      'stratum.connection_id': e.connectionId,
      'client.address': e.remoteAddress,
      'client.port': e.remotePort,
    });
  }

  /** Handed over by another process (an upgrade): the rest of the connection is traced here. */
  private onAdopted(e: ConnectionAdoptedEvent): void {
    this.start(e.connectionId, e.wallTime, {
      'stratum.connection_id': e.connectionId,
      'client.address': e.remoteAddress,
      'client.port': e.remotePort,
      'stratum.pool': e.poolName,
      'stratum.adopted': true,
    });
  }

  /** The connect in progress, opened at its first attempt's start. */
  private upstreamOf(t: Traced, startedAt: number): Span {
    if (t.upstream === null) {
      t.upstream = this.tracer.startSpan(SPAN_UPSTREAM_CONNECT, { kind: SpanKind.CLIENT, startTime: startedAt }, t.context);
      t.failedAttempts = 0;
    }
    return t.upstream;
  }

  private onUpstreamFailed(e: UpstreamConnectFailedEvent): void {
    const t = this.traced.get(e.connectionId);
    if (t === undefined) return;
    const span = this.upstreamOf(t, e.t - e.latencyMs);
    t.failedAttempts++;
    span.addEvent(
      'pool_connect_failed',
      {
        'stratum.pool': e.poolName,
        'server.address': e.poolHost,
        'server.port': e.poolPort,
        'stratum.failure_reason': e.reason,
        ...(e.code !== undefined ? { 'error.type': e.code } : {}),
        'stratum.failover': e.failover,
        'stratum.latency_ms': e.latencyMs,
      },
      e.t,
    );
    if (e.failover) return;
    // The last pool failed too: the connection gets no pool (it closes with upstream_failed).
    span.setAttributes({ 'stratum.failed_attempts': t.failedAttempts, 'error.type': e.reason });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `no pool could be reached (last: ${e.poolName}, ${e.reason})` });
    span.end(e.t);
    t.upstream = null;
  }

  private onUpstreamConnected(e: UpstreamConnectedEvent): void {
    const t = this.traced.get(e.connectionId);
    if (t === undefined) return;
    const span = this.upstreamOf(t, e.t - e.latencyMs);
    span.setAttributes({
      'stratum.pool': e.poolName,
      'server.address': e.poolHost,
      'server.port': e.poolPort,
      'stratum.pool_priority': e.poolPriority,
      'stratum.attempt': e.attempt,
      'stratum.failed_attempts': t.failedAttempts,
    });
    span.end(e.t);
    t.upstream = null;
    t.span.setAttribute('stratum.pool', e.poolName);
  }

  private onClosed(e: ConnectionClosedEvent): void {
    const t = this.traced.get(e.connectionId);
    if (t === undefined) return;
    this.traced.delete(e.connectionId);
    if (t.upstream !== null) {
      t.upstream.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before a pool answered' });
      t.upstream.end(e.t);
    }
    const span = t.span;
    span.setAttributes({
      'stratum.bytes_miner_to_pool': e.bytesMinerToPool,
      'stratum.bytes_pool_to_miner': e.bytesPoolToMiner,
      'stratum.close_side': e.side,
      'stratum.close_reason': e.reason,
      ...(e.poolName !== null ? { 'stratum.pool': e.poolName } : {}),
      ...(e.error !== undefined ? { 'error.type': e.error } : {}),
    });
    if (e.reason === 'upstream_failed') span.setStatus({ code: SpanStatusCode.ERROR, message: 'no pool could be reached' });
    span.end(e.t);
  }

  /** A submit whose fate the collector just counted: its span, from submit to answer (or to now). */
  private onShare(row: ShareRow): void {
    try {
      const t = this.traced.get(row.connectionId);
      if (t === undefined) return;
      const attributes: Attributes = {
        'stratum.connection_id': row.connectionId,
        'stratum.pool': row.pool,
        'stratum.difficulty': row.difficulty,
        'stratum.result': row.result,
      };
      if (row.worker !== null) attributes['stratum.worker'] = row.worker;
      if (row.jobId !== null) attributes['stratum.job_id'] = row.jobId.slice(0, MAX_JOB_ID_CHARS);
      if (row.reason !== null) attributes['stratum.reject_reason'] = row.reason;
      if (row.audit !== null) attributes['stratum.audit'] = row.audit;
      if (row.shareDifficulty !== null) attributes['stratum.share_difficulty'] = row.shareDifficulty;
      if (row.blockCandidate) attributes['stratum.block_candidate'] = true;
      const span = this.tracer.startSpan(SPAN_SUBMIT, { kind: SpanKind.CLIENT, startTime: row.time, attributes }, t.context);
      if (row.result !== 'accepted') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: row.result === 'rejected' ? `rejected: ${row.reason ?? 'other'}` : row.result });
      }
      // Unanswered (timed out past the late-answer window, or lost at close): it ends now.
      span.end(row.latencyMs !== null ? row.time + row.latencyMs : Date.now());
    } catch {
      // Never into the collector (it counts its own internal errors; a span is not worth one).
    }
  }
}
