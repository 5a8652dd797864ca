import cluster from 'node:cluster';
import { RESTART_ONLY_KEYS, readSecretFiles, type Config, type ConfigKey } from '@stratum-relay/config';
import type { Logger } from '@stratum-relay/logger';
import { createClusterMetrics, labelProcessMetrics, snapshotRegistry, type ClusterMetrics } from '@stratum-relay/metrics';
import { Registry } from 'prom-client';
import { ProxyServiceError } from '../errors';
import { startHttpServer, type MetricsHttpServer, type Readiness } from '../http-server';
import { listenError, type ShutdownResult } from '../service';
import { FARM_FAMILIES } from '../ui/farm-summary';
import { MetricsStore } from './metrics-store';
import { PrimaryUiSource } from './primary-ui-source';
import type { RestartBackoffOptions } from './restart-backoff';
import { mergeStatus, type ClusterStatusBody } from './status-merge';
import { WorkerPool, type ClusterWorker, type WorkerView } from './worker-pool';

export interface ClusterPrimaryOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly version: string;
  /** WORKERS, resolved (`auto` already turned into a number). */
  readonly workers: number;
  /** How often every worker's metrics are fetched, so a crash loses at most this much (default 5 s). */
  readonly scrapeIntervalMs?: number;
  /** How long /metrics and /status wait for a worker (default 2 s): a stuck worker does not hold the scrape. */
  readonly requestTimeoutMs?: number;
  readonly backoff?: RestartBackoffOptions;
  /** Tests: fork something else than node:cluster workers. */
  readonly fork?: () => ClusterWorker;
  /** Register the primary's own process metrics (default true). */
  readonly collectDefaultMetrics?: boolean;
}

/** How long a reload waits for the workers' answers (each reads files and rebuilds TLS contexts). */
const RELOAD_TIMEOUT_MS = 15_000;
/** /readyz is probed often and must answer fast. */
const READINESS_TIMEOUT_MS = 1_000;
/** Beyond DRAIN_TIMEOUT_MS, what a worker gets to close its last sockets and report before it is killed. */
const EXIT_GRACE_MS = 5_000;

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** The outcome of a SIGHUP across the workers. */
export interface ClusterReloadResult {
  readonly ok: boolean;
  /** Workers that applied it / were asked. */
  readonly applied: number;
  readonly workers: number;
}

/**
 * The primary of several worker processes (WORKERS > 1). It relays no miner itself: node:cluster
 * shares the listening sockets with the workers, each a whole relay. It owns the HTTP port —
 * /metrics merged over the workers (and what retired workers counted), /status merged,
 * /readyz (a worker is ready and the primary is not draining), /healthz (a worker is alive),
 * /api/* and /ui merged over the workers (primary-ui-source.ts) —
 * and the workers' lives: fork, restart after a crash, drain on SIGTERM, reload on SIGHUP,
 * replace one by one on SIGUSR2, handing their connections over (handover-relay.ts).
 */
export class ClusterPrimary {
  readonly pool: WorkerPool;
  private readonly metrics: ClusterMetrics;
  private readonly store = new MetricsStore();
  /** /api/* and /ui over every worker. */
  private readonly ui: PrimaryUiSource;
  private state: State = 'new';
  private current: Config;
  private token: string | null = null;
  private http: MetricsHttpServer | null = null;
  private scrapeTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private reloads = 0;
  private lastReloadAt: number | null = null;
  private shutdownPromise: Promise<ShutdownResult> | undefined;
  private aborted = false;

  constructor(private readonly options: ClusterPrimaryOptions) {
    this.current = options.config;
    this.metrics = createClusterMetrics(new Registry(), { collectDefault: options.collectDefaultMetrics ?? true });
    this.pool = new WorkerPool({
      count: options.workers,
      logger: options.logger,
      store: this.store,
      onRestart: () => this.metrics.workerRestartsTotal.inc(),
      onListening: (workerId) => this.ui.workerListening(workerId),
      onTraceLines: (workerId, message) => this.ui.onTraceLines(workerId, message),
      ...(options.fork !== undefined ? { fork: options.fork } : {}),
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    });
    this.metrics.setWorkerStateProvider(() => this.pool.counts());
    const farmFamilies: ReadonlySet<string> = new Set(FARM_FAMILIES);
    this.ui = new PrimaryUiSource({
      workers: this.pool,
      farmRegistry: () => this.store.aggregate([], farmFamilies),
      metricsText: () => this.metricsText(),
      version: options.version,
      config: () => this.current,
      requestTimeoutMs: this.requestTimeoutMs,
      logger: options.logger,
    });
  }

  /** The config in force (the start config, or the latest reload every worker accepted). */
  get config(): Config {
    return this.current;
  }

  /**
   * HTTP first (a scrape during start-up is answered), then every worker, each listening.
   * @throws ProxyServiceError SRL_ERR_ADDRESS_IN_USE / SRL_ERR_START, as the single process would.
   */
  async start(): Promise<{ metrics: { host: string; port: number } | null; workers: readonly WorkerView[] }> {
    if (this.state !== 'new') throw new ProxyServiceError('SRL_ERR_SERVICE_STATE', `cannot start a primary that is ${this.state}`);
    this.state = 'starting';
    const { config, logger } = this.options;
    try {
      this.token = metricsTokenOf(config);
    } catch (error) {
      this.state = 'stopped';
      throw new ProxyServiceError('SRL_ERR_START', error instanceof Error ? error.message : String(error), { cause: error });
    }
    try {
      this.http = await startHttpServer({
        host: config.metricsHost,
        port: config.metricsPort,
        registry: { contentType: this.metrics.registry.contentType, metrics: () => this.metricsText() },
        readiness: () => this.readiness(),
        health: () => this.health(),
        status: () => this.status(),
        token: () => this.token,
        logger,
        ui: this.ui,
      });
    } catch (error) {
      this.state = 'stopped';
      throw listenError(error, config.metricsHost, config.metricsPort, 'metricsPort');
    }
    logger.info({ metrics_address: this.http.address(), metrics_token: this.token !== null, workers: this.options.workers }, 'metrics HTTP server listening');

    // Structured clone over the channel: metric values may be NaN or Infinity, which JSON loses.
    if (this.options.fork === undefined) cluster.setupPrimary({ serialization: 'advanced' });
    let workers: readonly WorkerView[];
    try {
      workers = await this.pool.start();
    } catch (error) {
      await this.http.close().catch(() => undefined);
      this.state = 'stopped';
      throw error;
    }
    logger.info(
      { workers: workers.length, proxy_address: workers[0]?.listening?.proxy ?? null, tls_address: workers[0]?.listening?.tls ?? null },
      'relay workers listening',
    );
    this.scrapeTimer = setInterval(() => void this.pool.callAll('scrape', this.requestTimeoutMs), this.options.scrapeIntervalMs ?? 5_000);
    this.scrapeTimer.unref();
    this.ui.start();
    this.state = 'running';
    return { metrics: this.http.address(), workers };
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 2_000;
  }

  /**
   * /metrics: ask every worker for its registry now (each answer is stored before it is used,
   * so what is served stays counted if the worker dies), then merge the workers, the primary's
   * own metrics and the retired workers' totals. A worker that does not answer in time
   * contributes its previous snapshot.
   */
  async metricsText(): Promise<string> {
    await this.pool.callAll('scrape', this.requestTimeoutMs);
    const own = labelProcessMetrics(await snapshotRegistry(this.metrics.registry), 'primary');
    return this.store.aggregate(own).metrics();
  }

  /** /readyz: not while draining; else ready when at least one running worker is (it listens, a pool is up). */
  async readiness(): Promise<Readiness> {
    if (this.state === 'stopping' || this.state === 'stopped') return { ready: false, reason: 'closing' };
    const answers = await this.pool.callAll('readiness', READINESS_TIMEOUT_MS, ['running']);
    if (answers.length === 0) return { ready: false, reason: this.state === 'starting' ? 'no worker is listening yet' : 'no worker is running' };
    if (answers.some((a) => a.reply?.ready === true)) return { ready: true };
    const why = answers.map((a) => `worker ${a.view.id}: ${a.reply === null ? 'did not answer' : a.reply.ready ? 'ready' : a.reply.reason}`);
    return { ready: false, reason: why.join('; ') };
  }

  /** /healthz: the primary answers, and at least one worker process is alive. */
  health(): Readiness {
    return this.pool.alive > 0 ? { ready: true } : { ready: false, reason: 'no worker process is alive' };
  }

  /** /status: every worker's document merged (status-merge.ts). */
  async status(): Promise<ClusterStatusBody> {
    const answers = await this.pool.callAll('status', this.requestTimeoutMs);
    return mergeStatus({
      version: this.options.version,
      startedAt: this.startedAt,
      now: Date.now(),
      config: this.current,
      workers: answers.map(({ view, reply }) => ({ ...view, reply })),
      restarts: this.pool.restarts,
      reload: { count: this.reloads, lastSuccessAt: this.lastReloadAt === null ? null : new Date(this.lastReloadAt).toISOString() },
    });
  }

  /**
   * SIGHUP: every worker that is not draining loads its config again and applies it as the
   * single process does (its own lines in the log, its own stratum_config_reloads_total). The
   * primary then applies its own part — metrics token, log level — only when every worker
   * accepted the reload, so the program runs one config. `next` is the primary's own load of
   * the config, or the problems that kept it from loading. Never throws.
   */
  async reload(next: { readonly config: Config } | { readonly errors: readonly string[] }): Promise<ClusterReloadResult> {
    const logger = this.options.logger;
    if (this.state !== 'running') return { ok: false, applied: 0, workers: 0 };
    const answers = await this.pool.callAll('reload', RELOAD_TIMEOUT_MS, ['starting', 'running']);
    const refused = answers.filter((a) => a.reply === null || !a.reply.ok);
    const result = { applied: answers.length - refused.length, workers: answers.length };
    if ('errors' in next) {
      logger.error({ errors: next.errors }, 'config reload rejected: the running config stays');
      return { ok: false, ...result };
    }
    if (refused.length > 0) {
      logger.error(
        { workers: refused.map((a) => ({ worker_id: a.view.id, errors: a.reply?.errors ?? ['did not answer'] })) },
        'config reload rejected by a worker: the primary keeps its running config',
      );
      return { ok: false, ...result };
    }
    const previous = this.current;
    const merged = { ...next.config } as Record<string, unknown>;
    for (const key of Object.keys(next.config) as ConfigKey[]) if (RESTART_ONLY_KEYS.has(key)) merged[key] = previous[key];
    const config = Object.freeze(merged) as Config;
    let token: string | null;
    try {
      token = metricsTokenOf(config);
    } catch (error) {
      logger.error({ errors: [error instanceof Error ? error.message : String(error)] }, 'config reload rejected: the primary keeps its running config');
      return { ok: false, ...result };
    }
    this.current = config;
    this.token = token;
    logger.level = config.logLevel;
    this.reloads++;
    this.lastReloadAt = Date.now();
    logger.info({ workers: answers.length }, 'config reloaded in every worker and the primary');
    return { ok: true, ...result };
  }

  /**
   * SIGUSR2: replace the workers one by one with workers forked from the code on disk
   * (WorkerPool.upgrade); each retiring worker hands its plain-TCP connections to its successor
   * through this process, so no established miner is closed.
   */
  upgrade(): Promise<void> {
    this.options.logger.info({ signal: 'SIGUSR2' }, 'upgrade requested');
    if (this.state !== 'running') {
      this.options.logger.warn({ state: this.state }, 'upgrade ignored: the primary is not running');
      return Promise.resolve();
    }
    return this.pool.upgrade();
  }

  /**
   * SIGTERM/SIGINT: /readyz turns 503, every worker drains (stops accepting, lets its miners
   * finish until DRAIN_TIMEOUT_MS, closes the rest, reports), then the HTTP server closes.
   * Called again while draining (a second signal), every worker closes its connections now;
   * the same promise is returned. Never rejects.
   */
  shutdown(signal = 'shutdown'): Promise<ShutdownResult> {
    if (this.shutdownPromise !== undefined) {
      if (this.state === 'stopping' && !this.aborted) {
        this.aborted = true;
        this.options.logger.warn({ signal, workers: this.pool.alive }, 'second shutdown request: closing every connection now');
        this.pool.force();
      }
      return this.shutdownPromise;
    }
    this.shutdownPromise = this.runShutdown(signal);
    return this.shutdownPromise;
  }

  private async runShutdown(signal: string): Promise<ShutdownResult> {
    const { logger } = this.options;
    const config = this.current;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    clearInterval(this.scrapeTimer);
    this.ui.stop();
    logger.info({ signal, workers: this.pool.alive, drain_timeout_ms: config.drainTimeoutMs }, 'shutting down: no new connections, draining open ones');
    const pool = await this.pool.shutdown(config.drainTimeoutMs + EXIT_GRACE_MS);
    logger.info({ drained: pool.drained, forced: pool.forced, aborted: this.aborted }, 'connections closed');
    let ok = pool.ok;
    try {
      await this.http?.close();
    } catch (error) {
      ok = false;
      logger.error({ err: error }, 'closing the metrics server failed');
    }
    this.state = 'stopped';
    if (wasRunning) logger.info({ signal }, 'shutdown complete');
    return { signal, drained: pool.drained, forced: pool.forced, aborted: this.aborted, ok };
  }
}

/** The metrics token the config names (METRICS_TOKEN, or METRICS_TOKEN_FILE read now). @throws ConfigError */
function metricsTokenOf(config: Config): string | null {
  return readSecretFiles({
    tlsPort: null,
    tlsCertFile: null,
    tlsKeyFile: null,
    poolCaFile: null,
    metricsToken: config.metricsToken,
    metricsTokenFile: config.metricsTokenFile,
  }).metricsToken;
}
