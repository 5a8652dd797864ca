import type { Config } from '@stratum-relay/config';
import type { ProxyServer } from '@stratum-relay/proxy-core';
import { createMetrics, type StratumMetrics } from '@stratum-relay/metrics';
import { Registry } from 'prom-client';
import { startHttpServer } from './http-server';
import type { MetricsHttpServer, Readiness } from './http-server';
import { MetricsCollector } from './metrics-collector';
import { openServiceJournal } from './service-journal';
import { combineSinks } from './tracing/combine-sinks';
import { openTracing } from './tracing/open-tracing';
import type { TracingSettings } from './tracing/tracing-settings';
import { buildStatus } from './status';
import { detailsFromCollector } from './trace/connection-details';
import { TraceStore } from './trace/trace-store';
import { ProcessView } from './ui/process-view';
import { FarmSampler, LocalUiSource } from './ui/ui-source';

/** How long shutdown waits for a slow or absent journal database before dropping (and counting) what is left. */
const JOURNAL_CLOSE_DEADLINE_MS = 10_000;

/**
 * Metrics collector + HTTP endpoints attached to a ProxyServer. The service starts it before
 * the proxy listens (so the first miner is counted) and closes it last.
 */
export interface Observability {
  /** Shutdown began: /readyz turns 503 from now on. */
  markClosing(): void;
  /** Address of the HTTP server (null when not listening, or started without one). */
  httpAddress(): { host: string; port: number } | null;
  /** What /readyz answers: the proxy listens, a pool is up, shutdown has not begun. */
  readiness(): Readiness;
  /** The /status document (a cluster primary asks its workers for it over IPC). */
  status(): Record<string, unknown>;
  /** Stop the HTTP server and detach the collector. */
  close(): Promise<void>;
  /** The metrics, for counters the service moves itself (config reloads). */
  readonly metrics: StratumMetrics;
  /**
   * The collector, for a connection handed to another process (an upgrade): its state moves
   * with it. Optional so that test doubles of the service need none.
   */
  readonly collector?: MetricsCollector;
  /** The message trace and the UI's view of this process (a cluster worker answers the primary's /api questions from them). */
  readonly traceStore?: TraceStore;
  readonly processView?: ProcessView;
}

export interface ObservabilityOptions {
  config: Config;
  server: ProxyServer;
  /** pino logger (typed loosely here to keep this contract free of the logger package). */
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  version: string;
  /** Register prom-client's process metrics (default true; tests that build many registries turn it off). */
  collectDefaultMetrics?: boolean;
  /** Bound on pending requests per connection and direction (default 1000). */
  maxPendingPerConnection?: number;
  /** The config in force for /status (a reload replaces it); default: `config`. */
  currentConfig?: () => Config;
  /** The metrics token in force (read per request, so a reload can rotate it); absent = open. */
  metricsToken?: () => string | null;
  /** Extra top-level fields of /status (reloads, listeners). */
  statusExtras?: () => Record<string, unknown>;
  /**
   * The message trace, built with the server (it is the relay's line tap when TRACE_LINES > 0);
   * absent = one without lines (closed connections are still listed).
   */
  traceStore?: TraceStore;
  /**
   * Serve /metrics, /healthz, /readyz and /status on config.metricsHost:metricsPort (default
   * true). A worker process of several (WORKERS) has none: its primary owns the HTTP port and
   * asks the worker for its registry, status and readiness over IPC.
   */
  http?: boolean;
  /**
   * OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT, tracing-settings.ts); null or absent =
   * off, and the SDK is never loaded.
   */
  tracing?: TracingSettings | null;
}

/**
 * Creates the registry, the metrics and the collector (subscribed to `server.events`), then
 * serves /metrics, /healthz, /readyz and /status on config.metricsHost:metricsPort (unless
 * `http` is false). Rejects with ObservabilityError SRL_ERR_METRICS_ADDRESS_IN_USE when the port
 * is taken (nothing is left attached).
 */
export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  const { config, server, logger } = options;
  const startedAt = Date.now();
  const registry = new Registry();
  const metrics = createMetrics(registry, { collectDefault: options.collectDefaultMetrics ?? true });
  metrics.maxConnections.set(config.maxConnections);
  const upstreams = server.upstreams;
  // SHARE_JOURNAL: opened before the collector exists, so the first submit already has its sink.
  const journal = openServiceJournal(config, registry, logger);
  // Tracing's submit spans come from the same sink as the journal's rows: where a fate is counted.
  const tracing = await openTracing(options.tracing ?? null, { version: options.version, logger });
  const collector = new MetricsCollector({
    journal: combineSinks(journal, tracing?.spans.shares),
    metrics,
    pools: () => upstreams.states(),
    maxClientIds: config.maxClientIds,
    onClientIdCapReached: (max) =>
      logger.warn(
        { max_client_ids: max },
        'MAX_CLIENT_IDS reached: later worker names are counted under client_id="other" (stratum_client_ids_capped is 1); raise MAX_CLIENT_IDS to see them apart',
      ),
    submitTimeoutMs: config.submitTimeoutMs,
    shareAudit: config.shareAudit,
    ...(options.maxPendingPerConnection !== undefined ? { maxPendingPerConnection: options.maxPendingPerConnection } : {}),
  });
  const traceStore =
    options.traceStore ??
    new TraceStore({ linesPerDirection: 0, maxBytes: 0, keepClosedMs: config.traceKeepClosedMs, details: detailsFromCollector(() => collector) });
  // Before the collector: on connection.closed the store reads the collector's state once more.
  traceStore.attach(server.events);
  collector.attach(server.events);
  // After the collector: a close reaches the spans once the collector settled its submits.
  tracing?.spans.attach(server.events);
  const processView = new ProcessView(collector, traceStore, registry);

  let closing = false;
  const readiness = (): Readiness => {
    if (closing) return { ready: false, reason: 'closing' };
    let listening = false;
    try {
      listening = server.listening;
    } catch {
      listening = false;
    }
    if (!listening) return { ready: false, reason: 'not listening' };
    if (upstreams.anyUp()) return { ready: true };
    // Ready means a miner connecting now gets a pool: not before one answered a probe.
    const pools = upstreams.states();
    if (pools.every((p) => p.up === null)) return { ready: false, reason: 'no pool has answered a probe yet' };
    const why = pools.map((p) => `${p.name}: ${p.up === null ? 'not probed yet' : (p.lastError ?? 'down')}`).join('; ');
    return { ready: false, reason: `no pool is up (${why})` };
  };

  const status = (): Record<string, unknown> => ({
    ...buildStatus({
      version: options.version,
      startedAt,
      now: Date.now(),
      config: options.currentConfig?.() ?? config,
      pools: upstreams.states(),
      connections: collector.connectionStatuses(),
    }),
    ...(options.statusExtras?.() ?? {}),
  });

  let http: MetricsHttpServer | null = null;
  let sampler: FarmSampler | null = null;
  if (options.http ?? true) {
    sampler = new FarmSampler(() => Promise.resolve(registry));
    sampler.start();
    const ui = new LocalUiSource({ view: processView, store: traceStore, sampler, version: options.version, config: () => options.currentConfig?.() ?? config });
    try {
      http = await startHttpServer({
        host: config.metricsHost,
        port: config.metricsPort,
        registry,
        readiness,
        ...(options.metricsToken !== undefined ? { token: options.metricsToken } : {}),
        status,
        logger,
        ui,
      });
    } catch (err) {
      sampler.stop();
      traceStore.detach();
      collector.detach();
      await journal?.close(0);
      await tracing?.close();
      throw err;
    }
    logger.info({ metrics_address: http.address(), metrics_token: options.metricsToken?.() != null }, 'metrics HTTP server listening');
  }

  let closed = false;
  return {
    metrics,
    collector,
    traceStore,
    processView,
    markClosing() {
      closing = true;
    },
    httpAddress() {
      return closed || http === null ? null : http.address();
    },
    readiness,
    status,
    async close() {
      if (closed) return;
      closed = true;
      closing = true;
      await http?.close();
      sampler?.stop();
      traceStore.detach();
      collector.detach();
      // Every connection has closed by now (the service drained them first): their shares are
      // queued, and are written before the process exits.
      await journal?.close(JOURNAL_CLOSE_DEADLINE_MS);
      await tracing?.close();
    },
  };
}
