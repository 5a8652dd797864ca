import type * as net from 'node:net';
import type { Config } from '@stratum-relay/config';
import { ConfigError } from '@stratum-relay/config';
import type { Logger } from '@stratum-relay/logger';
import { snapshotRegistry } from '@stratum-relay/metrics';
import { EXIT_CODES } from '../cli';
import { ProxyServiceError } from '../errors';
import type { ProxyService, ShutdownResult } from '../service';
import { HandoverReceiver } from './handover-receiver';
import { HandoverSender, type HandoverProgress } from './handover-sender';
import { WorkerUi } from './worker-ui';
import {
  CLUSTER_PROTOCOL,
  isPrimaryMessage,
  looksLikeClusterMessage,
  type HandoverPlan,
  type HandoverSummary,
  type MetricsSnapshot,
  type RequestKind,
  type RequestMessage,
  type RetireMode,
  type WorkerMessage,
  type WorkerReplies,
} from './messages';

/** The IPC channel to the primary: `process` in a cluster worker. */
export interface PrimaryChannel {
  /** `handle`: a socket handed over (an upgrade), sent with `keepOpen`. */
  send(message: WorkerMessage, handle?: net.Socket, options?: { keepOpen?: boolean }, callback?: (error: Error | null) => void): boolean;
  /** `handle`: a socket to adopt, with an `adopt` message. */
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
  readonly connected: boolean;
}

/** A retiring worker on /status: how far its handover is, and what it still relays. */
export interface RetiringStatus {
  readonly mode: RetireMode;
  /** handing_over: connections are moving to the successor; draining: what was kept relays on until it closes or DRAIN_TIMEOUT_MS. */
  readonly phase: 'handing_over' | 'draining';
  /** Connections this worker still relays. */
  readonly connections: number;
  readonly handover: HandoverProgress | null;
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
 * answers the primary's requests (scrape, status, readiness, reload, and the /api questions:
 * connections, trace, bundle, watch — worker-ui.ts), drains when told to
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
  /** How this worker leaves, once told to. */
  private retireMode: RetireMode | null = null;
  private phase: RetiringStatus['phase'] = 'draining';
  /** This worker's handover to its successor (it retires in an upgrade). */
  private sender: HandoverSender | null = null;
  /** Connections handed to this worker by its predecessor. */
  private readonly receiver: HandoverReceiver;
  /** This worker's part of /api/* and /ui. */
  private readonly ui: WorkerUi;

  constructor(private readonly options: WorkerRuntimeOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.receiver = new HandoverReceiver({
      server: () => options.service.proxyServer,
      collector: () => options.service.collector,
      send: (message) => this.send(message),
      logger: options.logger,
    });
    this.ui = new WorkerUi({ view: () => options.service.processView, store: () => options.service.traceStore, send: (message) => this.send(message) });
    options.channel.on('message', (message, handle) => this.onMessage(message, handle));
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
   * Leave: with a handover plan (an upgrade), stop accepting and hand every connection that can
   * move to the successor first; then drain (service.shutdown), send the final metrics, exit 0
   * (1 when the drain failed). Idempotent: later calls return the same promise; `force()` cuts
   * the handover and the drain short.
   */
  retire(mode: RetireMode, handover?: HandoverPlan): Promise<void> {
    if (this.retiring !== undefined) return this.retiring;
    this.retireMode = mode;
    this.retiring = this.runRetire(mode, handover);
    return this.retiring;
  }

  /** Close every connection now (a second signal to the primary). */
  force(): void {
    this.forced = true;
    this.sender?.stop();
    if (this.retiring === undefined) void this.retire('drain');
    else if (this.draining) void this.options.service.shutdown('force');
  }

  /** What /status says of this worker's retirement; null while it is not retiring. */
  retiringStatus(): RetiringStatus | null {
    if (this.retireMode === null) return null;
    return {
      mode: this.retireMode,
      phase: this.phase,
      connections: this.options.service.proxyServer?.connectionCount ?? 0,
      handover: this.sender?.progress() ?? null,
    };
  }

  private async runRetire(mode: RetireMode, handover: HandoverPlan | undefined): Promise<void> {
    const { service, logger } = this.options;
    // A retire before the listeners are up waits for them (the service cannot stop halfway).
    await this.started?.catch(() => undefined);
    if (handover !== undefined && !this.forced) await this.handOver(handover);
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

  /**
   * Upgrade: readiness 503 and the listeners closed (the successor listens on the same ports),
   * then every connection that can move goes to the successor; the primary hears how it went.
   */
  private async handOver(plan: HandoverPlan): Promise<void> {
    const { service, logger, channel } = this.options;
    const server = service.proxyServer;
    if (server === undefined) return;
    this.phase = 'handing_over';
    await service.stopAccepting();
    logger.info({ handover_id: plan.handoverId, successor: plan.successor, connections: server.connectionCount }, 'handing connections over to the successor');
    const sender = new HandoverSender({ server, collector: service.collector, channel, logger, plan });
    this.sender = sender;
    if (this.forced) sender.stop();
    let summary: HandoverSummary;
    try {
      summary = await sender.run();
    } catch (error) {
      // Whatever went wrong, the worker still drains and leaves: what it holds relays on here.
      logger.error({ err: error }, 'handover failed: draining what is left');
      summary = { ...sender.progress(), closed: 0, durationMs: 0 };
    }
    this.send({ v: CLUSTER_PROTOCOL, type: 'handover-done', handoverId: plan.handoverId, summary });
    logger.info({ handover_id: plan.handoverId, successor: plan.successor, ...summary }, 'handover done: draining what was kept');
    this.phase = 'draining';
  }

  private onMessage(message: unknown, handle: unknown): void {
    if (!isPrimaryMessage(message)) {
      // A socket nobody here will relay: close this process's copy (the connection lives on
      // wherever another copy is).
      destroyHandle(handle);
      if (looksLikeClusterMessage(message)) {
        this.options.logger.warn({ message_version: (message as { v?: unknown }).v, message_type: (message as { type?: unknown }).type }, 'dropped a primary message this worker does not understand');
      }
      return;
    }
    if (message.type !== 'adopt') destroyHandle(handle);
    switch (message.type) {
      case 'request':
        this.answer(message);
        break;
      case 'retire':
        void this.retire(message.mode, message.handover);
        break;
      case 'force':
        this.force();
        break;
      case 'adopt':
        // Synchronously: the socket must stop reading before the event loop polls it.
        this.receiver.onAdopt(message, handle);
        break;
      case 'handover-outcome':
        this.sender?.onOutcome(message);
        break;
    }
  }

  private answer(request: RequestMessage): void {
    const { requestId, kind } = request;
    this.reply(request).then(
      (body) => this.send({ v: CLUSTER_PROTOCOL, type: 'reply', requestId, kind, body } as WorkerMessage),
      (error: unknown) =>
        this.send({ v: CLUSTER_PROTOCOL, type: 'reply-failed', requestId, kind, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  private async reply(request: RequestMessage): Promise<WorkerReplies[RequestKind]> {
    const service = this.options.service;
    switch (request.kind) {
      case 'connections':
        return this.ui.connections();
      case 'trace':
        return this.ui.trace(request.args);
      case 'bundle':
        return this.ui.bundle(request.args);
      case 'watch':
        // Its trace store exists once the service started.
        await this.started?.catch(() => undefined);
        return this.ui.watch(request.args);
      case 'scrape':
        return this.snapshot();
      case 'status':
        return { readiness: service.readiness(), status: { ...(service.statusDocument() ?? {}), retiring: this.retiringStatus() } };
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
      this.options.channel.send(message, undefined, undefined, () => after());
    } catch {
      after();
    }
  }
}

function destroyHandle(handle: unknown): void {
  if (typeof handle === 'object' && handle !== null && typeof (handle as { destroy?: unknown }).destroy === 'function') (handle as { destroy(): void }).destroy();
}
