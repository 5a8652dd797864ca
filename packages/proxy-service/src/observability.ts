import type { Config } from '@stratum-relay/config';
import type { ProxyServer } from '@stratum-relay/proxy-core';
import { createMetrics } from '@stratum-relay/metrics';
import { Registry } from 'prom-client';
import { startHttpServer } from './http-server';
import type { Readiness } from './http-server';
import { MetricsCollector } from './metrics-collector';
import { PoolProbe } from './pool-probe';
import { buildStatus } from './status';

/**
 * Metrics collector + HTTP endpoints attached to a ProxyServer. The service starts it before
 * the proxy listens (so the first miner is counted) and closes it last.
 */
export interface Observability {
  /** Shutdown began: /readyz turns 503 from now on. */
  markClosing(): void;
  /** Address of the HTTP server (null when not listening). */
  httpAddress(): { host: string; port: number } | null;
  /** Stop the HTTP server and detach the collector. */
  close(): Promise<void>;
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
  /** While the latest pool connect failed, probe the pool this often (default 5000 ms). */
  poolProbeIntervalMs?: number;
}

const DEFAULT_POOL_PROBE_INTERVAL_MS = 5_000;

/**
 * Creates the registry, the metrics and the collector (subscribed to `server.events`), then
 * serves /metrics, /healthz, /readyz and /status on config.metricsHost:metricsPort. Rejects with
 * ObservabilityError SRL_ERR_METRICS_ADDRESS_IN_USE when the port is taken (nothing is left attached).
 */
export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  const { config, server, logger } = options;
  const startedAt = Date.now();
  const registry = new Registry();
  const metrics = createMetrics(registry, { collectDefault: options.collectDefaultMetrics ?? true });
  metrics.maxConnections.set(config.maxConnections);
  const collector = new MetricsCollector({
    metrics,
    poolHost: config.poolHost,
    poolPort: config.poolPort,
    maxClientIds: config.maxClientIds,
    submitTimeoutMs: config.submitTimeoutMs,
    shareAudit: config.shareAudit,
    ...(options.maxPendingPerConnection !== undefined ? { maxPendingPerConnection: options.maxPendingPerConnection } : {}),
  });
  collector.attach(server.events);

  // While the pool is marked down, find out by ourselves when it is back (see PoolProbe).
  const probe = new PoolProbe({ host: config.poolHost, port: config.poolPort, timeoutMs: config.upstreamConnectTimeoutMs });
  const probeTimer = setInterval(() => {
    if (collector.poolStatus().up !== false) return;
    probe.probe((result) => {
      collector.recordPoolProbe(result.ok, result.ok ? null : result.error);
      if (result.ok) logger.info({ pool: `${config.poolHost}:${config.poolPort}` }, 'pool reachable again');
    });
  }, options.poolProbeIntervalMs ?? DEFAULT_POOL_PROBE_INTERVAL_MS);
  probeTimer.unref();
  const stopProbing = (): void => {
    clearInterval(probeTimer);
    probe.close();
  };

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
    const pool = collector.poolStatus();
    // No attempt yet: nothing says the pool is down, so assume it is up.
    if (pool.up === false) return { ready: false, reason: `pool down: ${pool.lastError ?? 'unknown error'}` };
    return { ready: true };
  };

  let http;
  try {
    http = await startHttpServer({
      host: config.metricsHost,
      port: config.metricsPort,
      registry,
      readiness,
      status: () =>
        buildStatus({
          version: options.version,
          startedAt,
          now: Date.now(),
          config,
          pool: collector.poolStatus(),
          connections: collector.connectionStatuses(),
        }),
      logger,
    });
  } catch (err) {
    stopProbing();
    collector.detach();
    throw err;
  }
  const address = http.address();
  logger.info({ metricsAddress: address }, 'metrics HTTP server listening');

  let closed = false;
  return {
    markClosing() {
      closing = true;
    },
    httpAddress() {
      return closed ? null : http.address();
    },
    async close() {
      if (closed) return;
      closed = true;
      closing = true;
      stopProbing();
      await http.close();
      collector.detach();
    },
  };
}
