import type { Config } from '@stratum-relay/config';
import { ConfigError } from '@stratum-relay/config';
import type { Logger } from '@stratum-relay/logger';
import { snapshotRegistry } from '@stratum-relay/metrics';
import { EXIT_CODES } from '../cli';
import { ProxyServiceError } from '../errors';
import type { ProxyService, ShutdownResult } from '../service';
import {
  CLUSTER_PROTOCOL,
  isPrimaryMessage,
  looksLikeClusterMessage,
  type MetricsSnapshot,
  type RequestKind,
  type RetireMode,
  type WorkerMessage,
  type WorkerReplies,
} from './messages';

/** The IPC channel to the primary: `process` in a cluster worker. */
export interface PrimaryChannel {
  send(message: WorkerMessage, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  readonly connected: boolean;
}

export interface WorkerRuntimeOptions {
  /** Built with `http: false`: the primary owns the HTTP port. */
  readonly service: ProxyService;
  readonly logger: Logger;
  /** Load the config again (SIGHUP relayed by the primary); throws ConfigError. */
  readonly loadConfig: () => Config;
  readonly channel: PrimaryChannel;
  /** Default process.exit. */
  readonly exit?: (code: number) => void;
}

/**
 * One worker process of several (WORKERS): a whole relay — its own ProxyServer, collector and
 * pool probes on the listening sockets node:cluster shares — without an HTTP server. It
 * answers the primary's requests (scrape, status, readiness, reload), drains when told to
 * retire, and reports its final metrics before it exits so a graceful retirement loses no count.
 * When the primary itself dies, node:cluster ends the worker at once (its channel closes): the
 * listening socket died with the primary, and whatever restarts the program takes the miners.
 */
export class WorkerRuntime {
  private started: Promise<unknown> | undefined;
  private retiring: Promise<void> | undefined;
  /** The service's drain has begun (a force now closes every connection). */
  private draining = false;
  private forced = false;
  private seq = 0;
  /** Scrapes one at a time, so each snapshot is at least as new as the one before. */
  private scrapes: Promise<unknown> = Promise.resolve();
  private readonly exit: (code: number) => void;

  constructor(private readonly options: WorkerRuntimeOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
    options.channel.on('message', (message) => this.onMessage(message));
  }

  /** Start the service; tell the primary it listens, or why it cannot (then exit). */
  start(): Promise<unknown> {
    if (this.started !== undefined) return this.started;
    const { service, logger } = this.options;
    this.started = service.start().then(
      (addresses) => {
        this.send({ v: CLUSTER_PROTOCOL, type: 'listening', proxy: addresses.proxy, tls: service.proxyServer?.tlsAddress() ?? null });
      },
      (error: unknown) => {
        const config = error instanceof ConfigError;
        const code = config ? 'SRL_ERR_CONFIG' : error instanceof ProxyServiceError ? error.code : 'SRL_ERR_START';
        const message = config ? error.problems.join('; ') : error instanceof Error ? error.message : String(error);
        const exitCode = config ? EXIT_CODES.CONFIG : EXIT_CODES.START_FAILED;
        logger.fatal({ err: error }, 'cannot start');
        this.sendThen({ v: CLUSTER_PROTOCOL, type: 'start-failed', code, message, exitCode }, () => this.exit(exitCode));
        throw error;
      },
    );
    return this.started;
  }

  /**
   * Leave: drain (service.shutdown), send the final metrics, exit 0 (1 when the drain failed).
   * Idempotent: later calls return the same promise; `force()` cuts the drain short.
   */
  retire(mode: RetireMode): Promise<void> {
    if (this.retiring !== undefined) return this.retiring;
    this.retiring = this.runRetire(mode);
    return this.retiring;
  }

  /** Close every connection now (a second signal to the primary). */
  force(): void {
    this.forced = true;
    if (this.retiring === undefined) void this.retire('drain');
    else if (this.draining) void this.options.service.shutdown('force');
  }

  private async runRetire(mode: RetireMode): Promise<void> {
    const { service, logger } = this.options;
    // A retire before the listeners are up waits for them (the service cannot stop halfway).
    await this.started?.catch(() => undefined);
    let result: ShutdownResult;
    try {
      const drain = service.shutdown(mode);
      this.draining = true;
      // A second call while draining closes every connection at once (service.ts).
      if (this.forced) void service.shutdown('force');
      result = await drain;
    } catch (error) {
      logger.error({ err: error }, 'drain failed');
      result = { signal: mode, drained: 0, forced: 0, aborted: false, ok: false };
    }
    const metrics = await this.snapshot().catch(() => ({ seq: ++this.seq, families: [] }));
    const code = result.ok ? EXIT_CODES.OK : EXIT_CODES.START_FAILED;
    this.sendThen(
      {
        v: CLUSTER_PROTOCOL,
        type: 'retired',
        mode,
        result: { drained: result.drained, forced: result.forced, aborted: result.aborted, ok: result.ok },
        metrics,
      },
      () => this.exit(code),
    );
  }

  private onMessage(message: unknown): void {
    if (!isPrimaryMessage(message)) {
      if (looksLikeClusterMessage(message)) {
        this.options.logger.warn({ message_version: (message as { v?: unknown }).v, message_type: (message as { type?: unknown }).type }, 'dropped a primary message this worker does not understand');
      }
      return;
    }
    switch (message.type) {
      case 'request':
        this.answer(message.requestId, message.kind);
        break;
      case 'retire':
        void this.retire(message.mode);
        break;
      case 'force':
        this.force();
        break;
    }
  }

  private answer(requestId: number, kind: RequestKind): void {
    this.reply(kind).then(
      (body) => this.send({ v: CLUSTER_PROTOCOL, type: 'reply', requestId, kind, body } as WorkerMessage),
      (error: unknown) =>
        this.send({ v: CLUSTER_PROTOCOL, type: 'reply-failed', requestId, kind, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  private async reply(kind: RequestKind): Promise<WorkerReplies[RequestKind]> {
    const service = this.options.service;
    switch (kind) {
      case 'scrape':
        return this.snapshot();
      case 'status':
        return { readiness: service.readiness(), status: service.statusDocument() ?? {} };
      case 'readiness':
        return service.readiness();
      case 'reload':
        return this.reload();
    }
  }

  /** SIGHUP, relayed: load the config again and apply it, as the single process does. */
  private async reload(): Promise<WorkerReplies['reload']> {
    const service = this.options.service;
    // A worker still starting applies it once it runs (it may have read the file before the change).
    await this.started?.catch(() => undefined);
    let next: Config;
    try {
      next = this.options.loadConfig();
    } catch (error) {
      const errors = error instanceof ConfigError ? [...error.problems] : [error instanceof Error ? error.message : String(error)];
      service.rejectReload(errors);
      return { ok: false, applied: [], ignored: [], errors };
    }
    const result = service.reload(next);
    return { ok: result.ok, applied: [...result.applied], ignored: [...result.ignored], errors: [...result.errors] };
  }

  private snapshot(): Promise<MetricsSnapshot> {
    const next = this.scrapes.then(async () => {
      const registry = this.options.service.metricsRegistry;
      const families = registry === undefined ? [] : await snapshotRegistry(registry);
      return { seq: ++this.seq, families };
    });
    this.scrapes = next.catch(() => undefined);
    return next;
  }

  private send(message: WorkerMessage): void {
    if (!this.options.channel.connected) return;
    try {
      this.options.channel.send(message);
    } catch (error) {
      this.options.logger.warn({ err: error, type: message.type }, 'cannot send to the primary');
    }
  }

  /** Send, then run `after` once the message is handed to the channel (or at once without one). */
  private sendThen(message: WorkerMessage, after: () => void): void {
    if (!this.options.channel.connected) {
      after();
      return;
    }
    try {
      this.options.channel.send(message, () => after());
    } catch {
      after();
    }
  }
}
