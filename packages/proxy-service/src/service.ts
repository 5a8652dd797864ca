import { RESTART_ONLY_KEYS, optionSources, type Config, type ConfigKey } from '@stratum-relay/config';
import type { Logger } from '@stratum-relay/logger';
import { ProxyServer, type DrainOptions, type DrainResult, type ProxyServerOptions } from '@stratum-relay/proxy-core';
import type { Registry } from 'prom-client';
import { ConnectionLogger } from './connection-logger';
import { buildEdgeSettings, effectiveMaxConnections, kernelSomaxconn, openFilesLimit, type EdgeSettings } from './edge-settings';
import { ProxyServiceError } from './errors';
import type { Readiness } from './http-server';
import type { MetricsCollector } from './metrics-collector';
import { startObservability, type Observability, type ObservabilityOptions } from './observability';
import { SummaryLogger } from './summary-logger';
import { detailsFromCollector } from './trace/connection-details';
import { TraceStore } from './trace/trace-store';
import { readTracingSettings, type TracingSettings } from './tracing/tracing-settings';
import { readFarmTotals } from './ui/farm-summary';
import type { ProcessView } from './ui/process-view';
import { VERSION } from './version';

export interface ProxyServiceOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly version?: string;
  /** Tests swap these; the program uses the real ProxyServer and observability. */
  readonly createServer?: (options: ProxyServerOptions) => ProxyServer;
  readonly startObservability?: (options: ObservabilityOptions) => Promise<Observability>;
  /** RLIMIT_NOFILE as seen by the process (tests inject one); default: read from /proc. */
  readonly openFilesLimit?: number | null;
  /**
   * Serve the HTTP endpoints on METRICS_HOST:METRICS_PORT (default true). False in a worker of
   * several (WORKERS): the primary serves them from what the worker reports over IPC.
   */
  readonly http?: boolean;
  /**
   * Connection ids of this process start above this (ProxyServerOptions.connectionIdBase). A
   * worker of several gets its own range, so that a connection keeps a unique id when it is
   * handed to another worker (an upgrade). Default: ids from 1.
   */
  readonly connectionIdBase?: number;
  /**
   * OpenTelemetry tracing; default: as the standard OTEL_* variables of this process say (off
   * without OTEL_EXPORTER_OTLP_ENDPOINT). Each process traces its own connections, so every
   * worker of several exports its own spans.
   */
  readonly tracing?: TracingSettings | null;
}

/** The outcome of a SIGHUP reload. */
export interface ReloadResult {
  readonly ok: boolean;
  /** Keys whose new value was applied to new connections and requests. */
  readonly applied: readonly ConfigKey[];
  /** Keys that changed but need a restart (ports, hosts): the running value stays. */
  readonly ignored: readonly ConfigKey[];
  /** Why the reload was rejected (ok false): the running config stays. */
  readonly errors: readonly string[];
}

export interface ServiceAddresses {
  readonly proxy: { host: string; port: number };
  /** null when observability has no HTTP server. */
  readonly metrics: { host: string; port: number } | null;
}

export interface ShutdownResult extends DrainResult {
  readonly signal: string;
  /** A second shutdown request cut the drain short and closed every connection at once. */
  readonly aborted: boolean;
  /** False when something failed while closing (it was logged). */
  readonly ok: boolean;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The running program: a ProxyServer built from the config, its observability (metrics and
 * HTTP endpoints) and connection logging, and the shutdown order
 * mark closing (readiness 503) → stop accepting and drain with a deadline → close observability.
 */
export class ProxyService {
  private state: State = 'new';
  private server: ProxyServer | undefined;
  private observability: Observability | undefined;
  private readonly connectionLog: ConnectionLogger;
  /** The LOG_SUMMARY_INTERVAL_MS line; undefined when it is off or before start(). */
  private summary: SummaryLogger | undefined;
  private shutdownPromise: Promise<ShutdownResult> | undefined;
  private aborted = false;
  /** The config in force (replaced by reloads) and what its edge options became at run time. */
  private current: Config;
  private edges: EdgeSettings | undefined;
  private lastReloadAt: number | null = null;
  private reloads = 0;
  /** MAX_CONNECTIONS as lowered by the open-files limit (start and each reload). */
  private effectiveMaxConnections = 0;

  constructor(private readonly options: ProxyServiceOptions) {
    this.connectionLog = new ConnectionLogger(options.logger);
    this.current = options.config;
  }

  /** The config in force (the start config, or the latest reload that was accepted). */
  get config(): Config {
    return this.current;
  }

  /** The ProxyServer once start() has created it. */
  get proxyServer(): ProxyServer | undefined {
    return this.server;
  }

  /** The registry every metric of this process is on, once start() has created it. */
  get metricsRegistry(): Registry | undefined {
    return this.observability?.metrics.registry;
  }

  /** The message trace and the UI's view of this process, once start() has created them. */
  get traceStore(): TraceStore | undefined {
    return this.observability?.traceStore;
  }

  get processView(): ProcessView | undefined {
    return this.observability?.processView;
  }

  /** The metrics collector once start() has created it (a handover moves a connection's state with it). */
  get collector(): MetricsCollector | undefined {
    return this.observability?.collector;
  }

  /** What /readyz answers for this process (not ready before start() has set observability up). */
  readiness(): Readiness {
    return this.observability?.readiness() ?? { ready: false, reason: `the service is ${this.state}` };
  }

  /** This process's /status document, or null before start() has set observability up. */
  statusDocument(): Record<string, unknown> | null {
    return this.observability?.status() ?? null;
  }

  /**
   * Start observability (collector subscribed, HTTP up), then listen for miners. On failure
   * nothing is left open.
   * @throws ProxyServiceError SRL_ERR_ADDRESS_IN_USE (message names the option to change),
   * SRL_ERR_TRACING_CONFIG (an OTEL_* variable the relay cannot honour) or SRL_ERR_START.
   */
  async start(): Promise<ServiceAddresses> {
    if (this.state !== 'new') throw new ProxyServiceError('SRL_ERR_SERVICE_STATE', `cannot start a service that is ${this.state}`);
    this.state = 'starting';
    const { config, logger } = this.options;
    const version = this.options.version ?? VERSION;
    let edges: EdgeSettings;
    let tracing: TracingSettings | null;
    try {
      edges = buildEdgeSettings(config);
      // The OTEL_* variables are the OpenTelemetry SDK's own (it reads the export settings
      // itself); read here only to decide whether to load it and to refuse what it would ignore.
      tracing = this.options.tracing !== undefined ? this.options.tracing : readTracingSettings(process.env);
    } catch (error) {
      this.state = 'stopped';
      if (error instanceof ProxyServiceError) throw error;
      throw new ProxyServiceError('SRL_ERR_START', error instanceof Error ? error.message : String(error), { cause: error });
    }
    this.edges = edges;
    if (config.poolTlsInsecure && config.pools.some((p) => p.scheme === 'tls')) {
      logger.warn({ pools: config.pools.filter((p) => p.scheme === 'tls').map((p) => p.name) }, 'POOL_TLS_INSECURE: pool certificates are NOT verified');
    }
    const limits = this.connectionLimit(config);
    const somaxconn = kernelSomaxconn();
    if (somaxconn !== null && somaxconn < config.listenBacklog) {
      logger.warn(
        { listen_backlog: config.listenBacklog, somaxconn },
        'LISTEN_BACKLOG is capped by the kernel (net.core.somaxconn): a reconnect storm may overflow the listen queue; raise it with sysctl',
      );
    }
    const createServer = this.options.createServer ?? ((o: ProxyServerOptions) => new ProxyServer(o));
    // The trace is the relay's line tap, so it exists before the server; TRACE_LINES=0: no tap at all.
    const traceStore = new TraceStore({
      linesPerDirection: config.traceLines,
      maxBytes: config.traceMaxBytes,
      keepClosedMs: config.traceKeepClosedMs,
      details: detailsFromCollector(() => this.observability?.collector),
    });
    const server = createServer({
      listenHost: config.proxyHost,
      listenPort: config.proxyPort,
      pools: config.pools,
      poolProbeIntervalMs: config.poolProbeIntervalMs,
      failbackDelayMs: config.failbackDelayMs,
      failbackRate: config.failbackRate,
      userAgent: `stratum-relay/${version} probe`,
      poolTls: edges.poolTls,
      tls: edges.tlsContext === null ? null : { host: config.tlsHost ?? config.proxyHost, port: config.tlsPort ?? 0, context: edges.tlsContext },
      admission: edges.admission,
      authorizeTimeoutMs: edges.authorizeTimeoutMs,
      listenBacklog: config.listenBacklog,
      maxConnections: limits.max,
      idleTimeoutMs: config.idleTimeoutMs,
      upstreamConnectTimeoutMs: config.upstreamConnectTimeoutMs,
      maxLineBytes: config.maxLineBytes,
      preConnectBufferBytes: config.preConnectBufferBytes,
      ...(this.options.connectionIdBase !== undefined ? { connectionIdBase: this.options.connectionIdBase } : {}),
      ...(traceStore.enabled ? { lineTap: traceStore } : {}),
    });
    this.server = server;
    // Attached before listen() so even the first connection gets its "opened" line.
    this.connectionLog.attach(server.events);

    // Observability first: miners reconnect the moment the port opens (a restart under load), and
    // a connection accepted before the collector subscribed would never be counted. /readyz is
    // 503 until the proxy listens.
    let observability: Observability;
    try {
      const start = this.options.startObservability ?? startObservability;
      observability = await start({
        config,
        currentConfig: () => this.current,
        server,
        logger,
        version,
        tracing,
        http: this.options.http ?? true,
        metricsToken: () => this.edges?.metricsToken ?? null,
        traceStore,
        statusExtras: () => ({
          maxConnections: { configured: this.current.maxConnections, effective: this.effectiveMaxConnections },
          listeners: { plain: server.listening, tls: server.tlsAddress() },
          reload: { count: this.reloads, lastSuccessAt: this.lastReloadAt === null ? null : new Date(this.lastReloadAt).toISOString() },
        }),
      });
    } catch (error) {
      this.connectionLog.detach();
      this.state = 'stopped';
      // Already an operator's message (the share journal could not be opened); else the HTTP port.
      throw error instanceof ProxyServiceError ? error : listenError(error, config.metricsHost, config.metricsPort, 'metricsPort');
    }
    this.observability = observability;
    observability.metrics.maxConnections.set(limits.max);
    // Pool health from the first second: /readyz and stratum_pool_up need no miner to learn it.
    server.startHealth();

    let proxy: { host: string; port: number };
    try {
      proxy = await server.listen();
    } catch (error) {
      server.stopHealth();
      this.connectionLog.detach();
      await observability.close().catch(() => undefined);
      this.state = 'stopped';
      const tlsClash = (error as { message?: unknown } | null)?.message;
      const onTls = config.tlsPort !== null && typeof tlsClash === 'string' && tlsClash.includes(`:${config.tlsPort} `);
      throw onTls
        ? listenError(error, config.tlsHost ?? config.proxyHost, config.tlsPort ?? 0, 'tlsPort')
        : listenError(error, config.proxyHost, config.proxyPort, 'proxyPort');
    }
    logger.info(
      { version, proxy_address: proxy, pools: config.pools.map((p) => `${p.name} (${p.scheme}://${p.host}:${p.port})`) },
      'proxy listening',
    );
    if (config.logSummaryIntervalMs !== null && config.logSummaryIntervalMs > 0) {
      const registry = observability.metrics.registry;
      this.summary = new SummaryLogger({ logger, intervalMs: config.logSummaryIntervalMs, read: (now) => readFarmTotals(registry, now) });
      this.summary.start();
    }

    this.state = 'running';
    return { proxy, metrics: observability.httpAddress() };
  }

  /**
   * SIGHUP: apply a freshly loaded config to new connections and requests — pool list, pool TLS,
   * admission limits, allow-list, PROXY protocol sources, TLS certificates, metrics token, log
   * level. Established connections are untouched. Keys that need a restart are reported and
   * ignored. A config that fails (here: files that cannot be read, a bad certificate) is
   * rejected and the running one stays. Never throws.
   */
  reload(next: Config): ReloadResult {
    const server = this.server;
    const logger = this.options.logger;
    if (this.state !== 'running' || server === undefined) return { ok: false, applied: [], ignored: [], errors: [`the service is ${this.state}`] };
    const previous = this.current;
    const changed = (Object.keys(next) as ConfigKey[]).filter((key) => JSON.stringify(next[key]) !== JSON.stringify(previous[key]));
    const ignored = changed.filter((key) => RESTART_ONLY_KEYS.has(key));
    // Restart-only keys keep their running values; everything else applies from now on.
    const merged = { ...next } as Record<string, unknown>;
    for (const key of ignored) merged[key] = previous[key];
    const config = Object.freeze(merged) as Config;
    let edges: EdgeSettings;
    try {
      edges = buildEdgeSettings(config);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.observability?.metrics.configReloadsTotal.inc({ result: 'failure' });
      logger.error({ errors: [message] }, 'config reload rejected: the running config stays');
      return { ok: false, applied: [], ignored: [], errors: [message] };
    }
    this.current = config;
    this.edges = edges;
    server.upstreams.replace(config.pools);
    server.upstreams.setTls(edges.poolTls);
    server.setAdmission(edges.admission, edges.authorizeTimeoutMs);
    if (edges.tlsContext !== null) server.setTlsContext(edges.tlsContext);
    server.setConnectionSettings({
      idleTimeoutMs: config.idleTimeoutMs,
      upstreamConnectTimeoutMs: config.upstreamConnectTimeoutMs,
      maxLineBytes: config.maxLineBytes,
      preConnectBufferBytes: config.preConnectBufferBytes,
    });
    server.setPoolHealthSettings(config.poolProbeIntervalMs, config.failbackDelayMs, config.failbackRate);
    // A pool new to the list must not wait a probe interval to be known up.
    server.probeNow();
    const limits = this.connectionLimit(config);
    server.setMaxConnections(limits.max);
    this.observability?.metrics.maxConnections.set(limits.max);
    logger.level = config.logLevel;
    this.reloads++;
    this.lastReloadAt = Date.now();
    this.observability?.metrics.configReloadsTotal.inc({ result: 'success' });
    const applied = changed.filter((key) => !RESTART_ONLY_KEYS.has(key));
    if (ignored.length > 0) {
      logger.warn({ keys: ignored, sources: ignored.map(optionSources) }, 'config reload: these settings need a restart and keep their running values');
    }
    logger.info({ applied }, 'config reloaded: new connections use it; established ones are untouched');
    return { ok: true, applied, ignored, errors: [] };
  }

  /** MAX_CONNECTIONS lowered to what the open-files limit allows, warned about when it is. */
  private connectionLimit(config: Config): { max: number; lowered: boolean } {
    const nofile = this.options.openFilesLimit !== undefined ? this.options.openFilesLimit : openFilesLimit();
    const limits = effectiveMaxConnections(config.maxConnections, nofile);
    if (limits.lowered) {
      this.options.logger.warn(
        { max_connections: config.maxConnections, effective_max_connections: limits.max, open_files_limit: nofile },
        'MAX_CONNECTIONS is above what the open-files limit allows (2 descriptors per miner plus a reserve): refusing miners past the lower limit; raise ulimit -n / LimitNOFILE',
      );
    }
    this.effectiveMaxConnections = limits.max;
    return limits;
  }

  /** A reload whose config did not load (validation failed): counted and logged, nothing changes. */
  rejectReload(errors: readonly string[]): void {
    this.observability?.metrics.configReloadsTotal.inc({ result: 'failure' });
    this.options.logger.error({ errors }, 'config reload rejected: the running config stays');
  }

  /**
   * The first step of an upgrade's retirement (WORKERS > 1): readiness turns 503 and the listeners
   * close (the successor listens on the same ports), while every open connection relays on until
   * it is handed over or drained by shutdown(). Does nothing unless running.
   */
  async stopAccepting(): Promise<void> {
    if (this.state !== 'running' || this.server === undefined) return;
    this.observability?.markClosing();
    await this.server.stopAccepting();
  }

  /**
   * Shut down in a fixed order: log → observability.markClosing() → server.drain(drainTimeoutMs)
   * (stop accepting, let open connections finish until the deadline, then close them) →
   * observability.close(). Calling it again while draining (a second signal) closes every
   * connection at once; the same promise is returned. Never rejects: failures are logged.
   */
  shutdown(signal = 'shutdown'): Promise<ShutdownResult> {
    if (this.shutdownPromise) {
      if (this.state === 'stopping' && !this.aborted) {
        this.aborted = true;
        this.options.logger.warn(
          { signal, open_connections: this.server?.connectionCount ?? 0 },
          'second shutdown request: closing every connection now',
        );
        this.server?.close().catch((error: unknown) => this.options.logger.error({ err: error }, 'closing connections failed'));
      }
      return this.shutdownPromise;
    }
    this.shutdownPromise = this.runShutdown(signal);
    return this.shutdownPromise;
  }

  private async runShutdown(signal: string): Promise<ShutdownResult> {
    const { logger } = this.options;
    // The config in force: a reload may have changed DRAIN_TIMEOUT_MS.
    const config = this.current;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    let ok = true;
    let result: DrainResult = { drained: 0, forced: 0 };
    if (wasRunning && this.server) {
      const reconnect = drainReconnect(config);
      logger.info(
        { signal, open_connections: this.server.connectionCount, drain_timeout_ms: config.drainTimeoutMs, drain_reconnect: reconnect !== undefined },
        'shutting down: no new connections, draining open ones',
      );
      this.observability?.markClosing();
      try {
        result = await this.server.drain(config.drainTimeoutMs, reconnect === undefined ? {} : { reconnect });
      } catch (error) {
        ok = false;
        logger.error({ err: error }, 'draining connections failed');
        await this.server.close().catch(() => undefined);
      }
      const told = result.reconnects;
      logger.info(
        {
          drained: result.drained,
          forced: result.forced,
          aborted: this.aborted,
          ...(told !== undefined ? { reconnects: { sent: told.sent, after_line: told.afterLine, skipped: told.skipped } } : {}),
        },
        'connections closed',
      );
    }
    // The last interval's line (the drain's shares and rejects), while the registry is still there.
    this.summary?.stop();
    await this.summary?.logNow();
    try {
      await this.observability?.close();
    } catch (error) {
      ok = false;
      logger.error({ err: error }, 'closing the metrics server failed');
    }
    this.connectionLog.detach();
    this.state = 'stopped';
    if (wasRunning) logger.info({ signal }, 'shutdown complete');
    return { signal, ...result, aborted: this.aborted, ok };
  }
}

/**
 * DRAIN_RECONNECT: every miner told within the first half of the drain at the latest, so that the
 * last one still has the second half to leave before the deadline. Without a drain window
 * nobody has time to leave.
 */
function drainReconnect(config: Config): DrainOptions['reconnect'] {
  if (!config.drainReconnect || config.drainTimeoutMs === 0) return undefined;
  const { drainReconnectHost: host, drainReconnectPort: port } = config;
  return { target: host !== null && port !== null ? { host, port } : null, withinMs: Math.floor(config.drainTimeoutMs / 2) };
}

/** Turn a listen failure into one line an operator can act on. */
export function listenError(error: unknown, host: string, port: number, key: 'proxyPort' | 'metricsPort' | 'tlsPort'): ProxyServiceError {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${host}:${port}`;
  if (code === 'SRL_ERR_ADDRESS_IN_USE' || code === 'SRL_ERR_METRICS_ADDRESS_IN_USE' || code === 'EADDRINUSE') {
    return new ProxyServiceError('SRL_ERR_ADDRESS_IN_USE', `cannot listen on ${where}: address already in use (${optionSources(key)})`, {
      cause: error,
    });
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  const what = key === 'proxyPort' ? 'the proxy' : key === 'tlsPort' ? 'the TLS listener' : 'the metrics server';
  return new ProxyServiceError('SRL_ERR_START', `cannot start ${what} on ${where}: ${detail}`, { cause: error });
}
