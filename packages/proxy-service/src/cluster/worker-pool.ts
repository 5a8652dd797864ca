import cluster from 'node:cluster';
import type * as net from 'node:net';
import type { Logger } from '@stratum-relay/logger';
import { WORKER_STATES, type WorkerState } from '@stratum-relay/metrics';
import { ProxyServiceError, type ProxyServiceErrorCode } from '../errors';
import { HandoverRelay } from './handover-relay';
import {
  CLUSTER_PROTOCOL,
  isWorkerMessage,
  looksLikeClusterMessage,
  type Address,
  type HandoverSummary,
  type PrimaryMessage,
  type RequestArgs,
  type RequestKind,
  type RequestMessage,
  type TraceLinesMessage,
  type RetiredMessage,
  type RetireMode,
  type RetireResult,
  type WorkerReplies,
} from './messages';
import type { MetricsStore } from './metrics-store';
import { RestartBackoff, type RestartBackoffOptions } from './restart-backoff';

/** What the pool uses of a node:cluster Worker (tests pass a fake). */
export interface ClusterWorker {
  readonly id: number;
  readonly process: { readonly pid?: number | undefined; kill(signal?: NodeJS.Signals | number): boolean };
  /** `handle`: a socket passed on in an upgrade's handover. */
  send(message: PrimaryMessage, handle?: net.Socket, options?: { keepOpen?: boolean }, callback?: (error: Error | null) => void): boolean;
  isConnected(): boolean;
  /** `handle`: a socket handed over by a retiring worker. */
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** A worker as the primary sees it. */
export interface WorkerView {
  readonly id: number;
  readonly slot: number;
  readonly generation: number;
  readonly pid: number | undefined;
  readonly state: WorkerState;
  /** Wall-clock ms of the fork. */
  readonly startedAt: number;
  /** Its listeners once up. */
  readonly listening: { readonly proxy: Address; readonly tls: Address | null } | null;
}

export interface WorkerPoolOptions {
  /** WORKERS: the slots 1 … count the pool keeps filled. */
  readonly count: number;
  readonly logger: Logger;
  /** Where every scrape answer and retired worker's final metrics go. */
  readonly store: MetricsStore;
  /** A worker is being started again after an unexpected exit (stratum_worker_restarts_total). */
  readonly onRestart?: () => void;
  /** A worker listens (first start, restart, an upgrade's successor): the UI sends it what to follow. */
  readonly onListening?: (workerId: number) => void;
  /** New lines of a connection the UI follows, from the worker relaying it. */
  readonly onTraceLines?: (workerId: number, message: TraceLinesMessage) => void;
  /** Default: node:cluster's fork (same script, argv and environment). */
  readonly fork?: () => ClusterWorker;
  readonly backoff?: RestartBackoffOptions;
  /** How long a new worker may take to listen before it is killed (default 30 s). */
  readonly startTimeoutMs?: number;
  /**
   * How long an upgrade waits for a retiring worker to hand its connections over before it
   * replaces the next slot anyway (default 120 s; each connection is bounded on its own too).
   */
  readonly handoverTimeoutMs?: number;
  readonly now?: () => number;
}

/** How the workers' drains went, summed, when the whole pool shut down. */
export interface PoolShutdownResult {
  readonly drained: number;
  readonly forced: number;
  /** Every worker exited 0 after reporting, none had to be killed. */
  readonly ok: boolean;
}

interface PendingCall {
  readonly kind: RequestKind;
  settle(body: unknown): void;
}

interface Handle {
  readonly worker: ClusterWorker;
  readonly id: number;
  readonly slot: number;
  readonly generation: number;
  readonly startedAt: number;
  state: WorkerState;
  retiring: RetireMode | null;
  /** The handover this worker retires with (an upgrade). */
  handoverId: number | null;
  listening: { proxy: Address; tls: Address | null } | null;
  retired: RetiredMessage | null;
  startError: ProxyServiceError | null;
  exitCode: number | null;
  /** Exited and its channel read to the end: nothing more will come from it. */
  gone: boolean;
  readonly calls: Map<number, PendingCall>;
  readonly exited: Promise<void>;
  markExited(): void;
  /** Settles the promise startWorker() returned. */
  started?: { resolve(view: WorkerView): void; reject(error: Error): void };
}

const PROXY_SERVICE_CODES: ReadonlySet<string> = new Set<ProxyServiceErrorCode>(['SRL_ERR_ADDRESS_IN_USE', 'SRL_ERR_START', 'SRL_ERR_SERVICE_STATE']);

/**
 * The primary's worker processes: forks them into slots 1 … WORKERS, restarts one that exits
 * unexpectedly (with a per-slot backoff), retires them (drain, or upgrade: replaced by a newer
 * generation one by one), and carries requests to them (scrape, status, readiness, reload).
 *
 * A worker is identified by node:cluster's id (never reused); its slot is the place it holds
 * and hands to its replacement; its generation says which upgrade started it. In an upgrade the
 * retiring worker hands its connections to its replacement through the primary (HandoverRelay).
 */
export class WorkerPool {
  /** The generation new workers are started with; upgrade() moves it on. */
  generation = 1;
  /** Workers started again after an unexpected exit. */
  restarts = 0;
  private readonly handles = new Map<number, Handle>();
  private readonly backoffs = new Map<number, RestartBackoff>();
  private readonly restartTimers = new Map<number, NodeJS.Timeout>();
  private readonly fork: () => ClusterWorker;
  private readonly now: () => number;
  private nextRequestId = 1;
  /** Restarts only once start() succeeded, and not while shutting down. */
  private supervising = false;
  private closing = false;
  private upgrading = false;
  private nextHandoverId = 1;
  private readonly relay: HandoverRelay;

  constructor(private readonly options: WorkerPoolOptions) {
    this.fork = options.fork ?? ((): ClusterWorker => cluster.fork());
    this.now = options.now ?? Date.now;
    this.relay = new HandoverRelay({
      logger: options.logger,
      peers: {
        send: (workerId, message, socket, callback) => {
          const handle = this.handles.get(workerId);
          if (handle === undefined || handle.gone || !handle.worker.isConnected()) return false;
          try {
            // keepOpen: Node would otherwise close the copy here only once the receiver
            // acknowledged it — or never, if the receiver dies first (its queue is not flushed):
            // a miner nobody relays and nobody closes. The relay closes its copies itself.
            if (socket === undefined) handle.worker.send(message);
            else handle.worker.send(message, socket, { keepOpen: true }, callback);
            return true;
          } catch (error) {
            this.options.logger.warn({ worker_id: workerId, err: error, type: message.type }, 'cannot send to worker');
            return false;
          }
        },
      },
    });
  }

  /**
   * Fork every slot and wait until each worker listens. When one cannot start, the others are
   * killed (none has relayed anything yet) and its error is thrown: a port in use reads as it
   * does for a single process.
   */
  async start(): Promise<readonly WorkerView[]> {
    const slots = Array.from({ length: this.options.count }, (_, i) => i + 1);
    const results = await Promise.allSettled(slots.map((slot) => this.startWorker(slot)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      this.closing = true;
      await Promise.all([...this.handles.values()].map((h) => this.kill(h)));
      throw failed.reason;
    }
    this.supervising = true;
    return this.views();
  }

  /** Fork a worker into `slot`; resolves once it listens, rejects if it fails or exits first. */
  startWorker(slot: number, generation = this.generation): Promise<WorkerView> {
    const worker = this.fork();
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const handle: Handle = {
      worker,
      id: worker.id,
      slot,
      generation,
      startedAt: this.now(),
      state: 'starting',
      retiring: null,
      handoverId: null,
      listening: null,
      retired: null,
      startError: null,
      exitCode: null,
      gone: false,
      calls: new Map(),
      exited,
      markExited,
    };
    this.handles.set(handle.id, handle);
    this.options.logger.info({ worker_id: handle.id, slot, generation, worker_pid: worker.process.pid }, 'worker started');
    const promise = new Promise<WorkerView>((resolve, reject) => {
      handle.started = { resolve, reject };
    });
    const startTimeoutMs = this.options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      if (handle.listening !== null || handle.exitCode !== null) return;
      handle.startError = new ProxyServiceError('SRL_ERR_START', `worker ${handle.id} did not listen within ${startTimeoutMs} ms`);
      void this.kill(handle);
    }, startTimeoutMs);
    timer.unref();
    void exited.then(() => clearTimeout(timer));
    worker.on('message', (message, socket) => this.onMessage(handle, message, socket));
    worker.on('exit', (code, signal) => this.onExit(handle, code, signal));
    // A send on a channel that just closed (the worker is exiting): its exit follows.
    worker.on('error', (error) => this.options.logger.warn({ worker_id: handle.id, err: error }, 'worker channel error'));
    return promise;
  }

  /**
   * Tell a worker to leave (`drain`: finish its miners until DRAIN_TIMEOUT_MS; `upgrade` with a
   * `successor`: hand its connections over to that worker first, then drain what it kept) and
   * wait until it has exited. Resolves with the result it reported, or null when it exited
   * without one (killed, crashed). A second call waits for the same exit.
   */
  async retireWorker(id: number, mode: RetireMode, successor?: number): Promise<RetireResult | null> {
    const handle = this.handles.get(id);
    if (handle === undefined) return null;
    if (handle.retiring === null) {
      handle.retiring = mode;
      handle.state = 'draining';
      let handover: { handoverId: number; successor: number } | undefined;
      if (mode === 'upgrade' && successor !== undefined && this.handles.has(successor)) {
        handover = { handoverId: this.nextHandoverId++, successor };
        handle.handoverId = handover.handoverId;
        this.relay.begin(handover.handoverId, id, successor);
      }
      this.options.logger.info({ worker_id: id, slot: handle.slot, generation: handle.generation, mode, successor: successor ?? null }, 'retiring worker');
      this.send(handle, { v: CLUSTER_PROTOCOL, type: 'retire', mode, ...(handover !== undefined ? { handover } : {}) });
    }
    await handle.exited;
    return handle.retired?.result ?? null;
  }

  /**
   * Resolves once worker `id` has handed its connections over (its `handover-done`), exited, or
   * `handoverTimeoutMs` passed: the summary, or null without one.
   */
  private async handoverOf(id: number): Promise<HandoverSummary | null> {
    const handle = this.handles.get(id);
    if (handle === undefined || handle.handoverId === null) return null;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.options.handoverTimeoutMs ?? 120_000);
      timer.unref();
    });
    try {
      return await Promise.race([this.relay.whenDone(handle.handoverId), handle.exited.then(() => null), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGUSR2: replace every worker by one of a new generation, one slot at a time — start the
   * new one, wait until it listens, then retire the old one with mode `upgrade`: it hands its
   * connections over to the new one, and once it has (its `handover-done`) the next slot is
   * replaced while it drains what it kept. A new worker that does not start stops the upgrade
   * and leaves the remaining old ones running.
   */
  async upgrade(): Promise<void> {
    const logger = this.options.logger;
    if (this.upgrading || this.closing) {
      logger.warn({ generation: this.generation }, this.closing ? 'upgrade ignored: shutting down' : 'upgrade ignored: one is under way');
      return;
    }
    this.upgrading = true;
    try {
      const generation = ++this.generation;
      const old = [...this.handles.values()].filter((h) => h.retiring === null && h.generation < generation);
      logger.info({ generation, workers: old.length }, 'upgrade: replacing the workers one by one');
      for (const previous of old) {
        // Gone meanwhile (a crash restarts its slot in the new generation) or shutting down.
        if (this.closing || !this.handles.has(previous.id) || previous.retiring !== null) continue;
        let successor: WorkerView;
        try {
          successor = await this.startWorker(previous.slot, generation);
        } catch (error) {
          logger.error({ err: error, slot: previous.slot, generation }, 'upgrade stopped: the new worker did not start; the remaining old workers keep running');
          return;
        }
        void this.retireWorker(previous.id, 'upgrade', successor.id);
        // One handover at a time: the next slot's miners keep relaying undisturbed meanwhile.
        await this.handoverOf(previous.id);
      }
      logger.info({ generation }, 'upgrade complete');
    } finally {
      this.upgrading = false;
    }
  }

  /**
   * Retire every worker (drain) and wait for them all; one still running after `deadlineMs` is
   * killed. No restart happens from now on.
   */
  async shutdown(deadlineMs: number): Promise<PoolShutdownResult> {
    this.closing = true;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    let drained = 0;
    let forced = 0;
    let ok = true;
    await Promise.all(
      [...this.handles.values()].map(async (handle) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), deadlineMs);
        });
        const outcome = await Promise.race([this.retireWorker(handle.id, 'drain'), late]);
        clearTimeout(timer);
        if (outcome === 'late') {
          this.options.logger.error({ worker_id: handle.id, worker_pid: handle.worker.process.pid, deadline_ms: deadlineMs }, 'worker did not exit after its drain: killing it');
          ok = false;
          await this.kill(handle);
          return;
        }
        if (outcome === null || !outcome.ok || handle.exitCode !== 0) ok = false;
        drained += outcome?.drained ?? 0;
        forced += outcome?.forced ?? 0;
      }),
    );
    return { drained, forced, ok };
  }

  /** A second signal: every worker closes its connections now. */
  force(): void {
    for (const handle of this.handles.values()) this.send(handle, { v: CLUSTER_PROTOCOL, type: 'force' });
  }

  /**
   * Ask one worker; resolves with its answer, or null when it is gone, fails the request or
   * does not answer within `timeoutMs`. Scrape answers are stored before this resolves.
   * `args`: the request's arguments, for the kinds that take some (messages.ts WorkerRequestArgs).
   */
  call<K extends RequestKind>(id: number, kind: K, timeoutMs: number, args?: RequestArgs<K>): Promise<WorkerReplies[K] | null> {
    const handle = this.handles.get(id);
    if (handle === undefined || !handle.worker.isConnected()) return Promise.resolve(null);
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        handle.calls.delete(requestId);
        resolve(null);
      }, timeoutMs);
      timer.unref();
      handle.calls.set(requestId, {
        kind,
        settle(body) {
          clearTimeout(timer);
          resolve(body as WorkerReplies[K] | null);
        },
      });
      const request = { v: CLUSTER_PROTOCOL, type: 'request', requestId, kind, ...(args !== undefined ? { args } : {}) } as RequestMessage;
      if (!this.send(handle, request)) {
        handle.calls.delete(requestId);
        clearTimeout(timer);
        resolve(null);
      }
    });
  }

  /** Ask every worker whose state is in `states` (default all), in parallel. */
  callAll<K extends RequestKind>(
    kind: K,
    timeoutMs: number,
    states: readonly WorkerState[] = WORKER_STATES,
    args?: RequestArgs<K>,
  ): Promise<Array<{ view: WorkerView; reply: WorkerReplies[K] | null }>> {
    const targets = this.views().filter((v) => states.includes(v.state));
    return Promise.all(targets.map(async (view) => ({ view, reply: await this.call(view.id, kind, timeoutMs, args) })));
  }

  /** Every worker alive (forked and not exited), in id order. */
  views(): WorkerView[] {
    return [...this.handles.values()].sort((a, b) => a.id - b.id).map((h) => this.view(h));
  }

  /** Workers per state (stratum_workers{state}). */
  counts(): Record<WorkerState, number> {
    const counts: Record<WorkerState, number> = { starting: 0, running: 0, draining: 0 };
    for (const handle of this.handles.values()) counts[handle.state]++;
    return counts;
  }

  /** Worker processes alive (forked, not exited). */
  get alive(): number {
    return this.handles.size;
  }

  /** The label of a worker's process metrics: its slot, so a replacement continues its series. */
  static processName(slot: number): string {
    return `worker-${slot}`;
  }

  private view(h: Handle): WorkerView {
    return { id: h.id, slot: h.slot, generation: h.generation, pid: h.worker.process.pid, state: h.state, startedAt: h.startedAt, listening: h.listening };
  }

  private send(handle: Handle, message: PrimaryMessage): boolean {
    if (!handle.worker.isConnected()) return false;
    try {
      return handle.worker.send(message);
    } catch (error) {
      this.options.logger.warn({ worker_id: handle.id, err: error, type: message.type }, 'cannot send to worker');
      return false;
    }
  }

  private async kill(handle: Handle): Promise<void> {
    if (handle.exitCode === null) handle.worker.process.kill('SIGKILL');
    await handle.exited;
  }

  private onMessage(handle: Handle, message: unknown, socket: unknown): void {
    if (isWorkerMessage(message) && message.type === 'handover' && !handle.gone) {
      // Synchronously: the socket must stop reading before the event loop polls it.
      this.relay.onHandover(handle.id, message, socket);
      return;
    }
    // A socket that goes nowhere: close the copy here (the connection lives on where another copy is).
    if (typeof socket === 'object' && socket !== null && typeof (socket as { destroy?: unknown }).destroy === 'function') (socket as { destroy(): void }).destroy();
    // Its last snapshot has joined the retired totals: a straggler must not count twice.
    if (handle.gone) return;
    if (!isWorkerMessage(message)) {
      if (looksLikeClusterMessage(message)) {
        this.options.logger.warn({ worker_id: handle.id, message_version: (message as { v?: unknown }).v, message_type: (message as { type?: unknown }).type }, 'dropped a worker message this primary does not understand');
      }
      return;
    }
    switch (message.type) {
      case 'listening': {
        handle.listening = { proxy: message.proxy, tls: message.tls };
        if (handle.retiring === null) handle.state = 'running';
        this.options.logger.info({ worker_id: handle.id, slot: handle.slot, generation: handle.generation, proxy_address: message.proxy, tls_address: message.tls }, 'worker listening');
        handle.started?.resolve(this.view(handle));
        handle.started = undefined;
        this.options.onListening?.(handle.id);
        break;
      }
      case 'trace-lines':
        this.options.onTraceLines?.(handle.id, message);
        break;
      case 'start-failed':
        handle.startError = new ProxyServiceError(PROXY_SERVICE_CODES.has(message.code) ? (message.code as ProxyServiceErrorCode) : 'SRL_ERR_START', message.message);
        break;
      case 'reply': {
        const call = handle.calls.get(message.requestId);
        if (message.kind === 'scrape') this.options.store.update(handle.id, WorkerPool.processName(handle.slot), message.body);
        if (call === undefined) break;
        handle.calls.delete(message.requestId);
        call.settle(message.body);
        break;
      }
      case 'reply-failed': {
        const call = handle.calls.get(message.requestId);
        this.options.logger.warn({ worker_id: handle.id, kind: message.kind, error: message.error }, 'worker could not answer');
        if (call === undefined) break;
        handle.calls.delete(message.requestId);
        call.settle(null);
        break;
      }
      case 'retired':
        handle.retired = message;
        this.options.store.update(handle.id, WorkerPool.processName(handle.slot), message.metrics);
        break;
      case 'handover':
        break; // handled above
      case 'adopt-result':
        this.relay.onAdoptResult(handle.id, message);
        break;
      case 'handover-done':
        this.relay.onDone(handle.id, message.handoverId, message.summary);
        break;
    }
  }

  private onExit(handle: Handle, code: number | null, signal: string | null): void {
    handle.exitCode = code ?? -1;
    // At once, not when its channel is read to the end: miners whose sockets it held wait on this.
    this.relay.workerGone(handle.id);
    // The process can be reported dead before the primary has read what it sent last (its
    // final metrics): finish once the channel is read to its end (bounded, in case it never says).
    if (!handle.worker.isConnected()) {
      this.onGone(handle, code, signal);
      return;
    }
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.onGone(handle, code, signal);
    };
    const timer = setTimeout(finish, 1_000);
    timer.unref();
    handle.worker.on('disconnect', finish);
  }

  private onGone(handle: Handle, code: number | null, signal: string | null): void {
    const logger = this.options.logger;
    handle.gone = true;
    this.handles.delete(handle.id);
    for (const call of handle.calls.values()) call.settle(null);
    handle.calls.clear();
    // What it counted stays counted: its final snapshot after a drain, else its last scrape.
    this.options.store.retire(handle.id);
    handle.markExited();
    const ranForMs = this.now() - handle.startedAt;
    if (handle.started !== undefined) {
      const reason = signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`;
      handle.started.reject(handle.startError ?? new ProxyServiceError('SRL_ERR_START', `worker ${handle.id} ${reason} before it listened`));
      handle.started = undefined;
    }
    if (handle.retiring !== null || this.closing) {
      logger.info({ worker_id: handle.id, slot: handle.slot, code, signal, mode: handle.retiring, result: handle.retired?.result ?? null }, 'worker exited');
      return;
    }
    logger.error(
      { worker_id: handle.id, slot: handle.slot, worker_pid: handle.worker.process.pid, code, signal, ran_for_ms: ranForMs, final_metrics: handle.retired !== null },
      handle.retired !== null ? 'worker left without being asked' : 'worker exited unexpectedly',
    );
    if (!this.supervising) return;
    // The slot is still held (an upgrade's new worker that failed beside the old one, or an old
    // one that crashed after its successor listened): nothing to replace.
    if ([...this.handles.values()].some((h) => h.slot === handle.slot && h.retiring === null)) return;
    let backoff = this.backoffs.get(handle.slot);
    if (backoff === undefined) {
      backoff = new RestartBackoff(this.options.backoff);
      this.backoffs.set(handle.slot, backoff);
    }
    const delayMs = backoff.next(ranForMs);
    logger.warn({ slot: handle.slot, restart_in_ms: delayMs }, 'restarting worker');
    const timer = setTimeout(() => {
      this.restartTimers.delete(handle.slot);
      if (this.closing) return;
      this.restarts++;
      this.options.onRestart?.();
      this.startWorker(handle.slot).catch((error: unknown) => logger.error({ err: error, slot: handle.slot }, 'restarted worker did not start'));
    }, delayMs);
    // The HTTP server keeps the primary alive; a pending restart alone must not.
    timer.unref();
    this.restartTimers.set(handle.slot, timer);
  }
}
