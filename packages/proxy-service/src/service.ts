import { optionSources, type Config } from '@stratum-relay/config';
import type { Logger } from '@stratum-relay/logger';
import { ProxyServer, type DrainResult, type ProxyServerOptions } from '@stratum-relay/proxy-core';
import { ConnectionLogger } from './connection-logger';
import { ProxyServiceError } from './errors';
import { startObservability, type Observability, type ObservabilityOptions } from './observability';
import { VERSION } from './version';

export interface ProxyServiceOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly version?: string;
  /** Tests swap these; the program uses the real ProxyServer and observability. */
  readonly createServer?: (options: ProxyServerOptions) => ProxyServer;
  readonly startObservability?: (options: ObservabilityOptions) => Promise<Observability>;
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
  private shutdownPromise: Promise<ShutdownResult> | undefined;
  private aborted = false;

  constructor(private readonly options: ProxyServiceOptions) {
    this.connectionLog = new ConnectionLogger(options.logger);
  }

  /** The ProxyServer once start() has created it. */
  get proxyServer(): ProxyServer | undefined {
    return this.server;
  }

  /**
   * Start observability (collector subscribed, HTTP up), then listen for miners. On failure
   * nothing is left open.
   * @throws ProxyServiceError SRL_ERR_ADDRESS_IN_USE (message names the option to change) or SRL_ERR_START.
   */
  async start(): Promise<ServiceAddresses> {
    if (this.state !== 'new') throw new ProxyServiceError('SRL_ERR_SERVICE_STATE', `cannot start a service that is ${this.state}`);
    this.state = 'starting';
    const { config, logger } = this.options;
    const version = this.options.version ?? VERSION;
    const createServer = this.options.createServer ?? ((o: ProxyServerOptions) => new ProxyServer(o));
    const server = createServer({
      listenHost: config.proxyHost,
      listenPort: config.proxyPort,
      pools: config.pools,
      poolProbeIntervalMs: config.poolProbeIntervalMs,
      failbackDelayMs: config.failbackDelayMs,
      failbackRate: config.failbackRate,
      userAgent: `stratum-relay/${version} probe`,
      maxConnections: config.maxConnections,
      idleTimeoutMs: config.idleTimeoutMs,
      upstreamConnectTimeoutMs: config.upstreamConnectTimeoutMs,
      maxLineBytes: config.maxLineBytes,
      preConnectBufferBytes: config.preConnectBufferBytes,
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
      observability = await start({ config, server, logger, version });
    } catch (error) {
      this.connectionLog.detach();
      this.state = 'stopped';
      throw listenError(error, config.metricsHost, config.metricsPort, 'metricsPort');
    }
    this.observability = observability;
    // Pool health from the first second: /readyz and stratum_pool_up need no miner to learn it.
    server.startHealth();

    let proxy: { host: string; port: number };
    try {
      proxy = await server.listen();
    } catch (error) {
      this.connectionLog.detach();
      await observability.close().catch(() => undefined);
      this.state = 'stopped';
      throw listenError(error, config.proxyHost, config.proxyPort, 'proxyPort');
    }
    logger.info(
      { version, proxy_address: proxy, pools: config.pools.map((p) => `${p.name} (${p.scheme}://${p.host}:${p.port})`) },
      'proxy listening',
    );

    this.state = 'running';
    return { proxy, metrics: observability.httpAddress() };
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
    const { config, logger } = this.options;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    let ok = true;
    let result: DrainResult = { drained: 0, forced: 0 };
    if (wasRunning && this.server) {
      logger.info(
        { signal, open_connections: this.server.connectionCount, drain_timeout_ms: config.drainTimeoutMs },
        'shutting down: no new connections, draining open ones',
      );
      this.observability?.markClosing();
      try {
        result = await this.server.drain(config.drainTimeoutMs);
      } catch (error) {
        ok = false;
        logger.error({ err: error }, 'draining connections failed');
        await this.server.close().catch(() => undefined);
      }
      logger.info({ drained: result.drained, forced: result.forced, aborted: this.aborted }, 'connections closed');
    }
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

/** Turn a listen failure into one line an operator can act on. */
function listenError(error: unknown, host: string, port: number, key: 'proxyPort' | 'metricsPort'): ProxyServiceError {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${host}:${port}`;
  if (code === 'SRL_ERR_ADDRESS_IN_USE' || code === 'SRL_ERR_METRICS_ADDRESS_IN_USE' || code === 'EADDRINUSE') {
    return new ProxyServiceError('SRL_ERR_ADDRESS_IN_USE', `cannot listen on ${where}: address already in use (${optionSources(key)})`, {
      cause: error,
    });
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  const what = key === 'proxyPort' ? 'the proxy' : 'the metrics server';
  return new ProxyServiceError('SRL_ERR_START', `cannot start ${what} on ${where}: ${detail}`, { cause: error });
}
