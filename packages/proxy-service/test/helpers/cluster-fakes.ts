/**
 * Test-only stand-ins for node:cluster workers: in-process objects that speak the IPC protocol
 * of cluster/messages.ts with a real metrics registry each, so the primary's bookkeeping
 * (restarts, retirements, upgrades, merged metrics and status) is tested without processes.
 */
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import type { Logger } from '@stratum-relay/logger';
import { createMetrics, snapshotRegistry, type StratumMetrics } from '@stratum-relay/metrics';
import { CLUSTER_PROTOCOL, type PrimaryMessage, type RetireResult, type WorkerMessage, type WorkerReplies } from '../../src/cluster/messages';
import type { ClusterWorker } from '../../src/cluster/worker-pool';
import type { Readiness } from '../../src/http-server';

export interface FakeWorkerBehaviour {
  /** Announce `listening` on the next tick (default), or fail to start with this message. */
  readonly startFails?: string;
  /** Stay silent instead of listening (start timeout). */
  readonly neverListens?: boolean;
  /** Answers per request kind; absent kinds get a default, `null` = never answer. */
  readiness?: Readiness | null;
  status?: Record<string, unknown> | null;
  reload?: WorkerReplies['reload'] | null;
  /** Do not answer scrapes (a stuck worker). */
  silentScrapes?: boolean;
  /** On retire: how the drain went (default ok), and whether to exit at all. */
  readonly retireResult?: RetireResult;
  readonly ignoresRetire?: boolean;
  /** On retire, the exit is reported before the final metrics are read (then the channel closes). */
  readonly exitBeforeFinalMessage?: boolean;
}

let nextId = 1;
let nextPid = 50_000;

export class FakeWorker extends EventEmitter implements ClusterWorker {
  readonly id = nextId++;
  readonly metrics: StratumMetrics = createMetrics(new Registry(), { collectDefault: false });
  readonly received: PrimaryMessage[] = [];
  private connected = true;
  private seq = 0;
  private exitedWith: { code: number | null; signal: string | null } | null = null;
  readonly process = {
    pid: nextPid++ as number | undefined,
    kill: (signal?: NodeJS.Signals | number): boolean => {
      this.exit(null, typeof signal === 'string' ? signal : 'SIGTERM');
      return true;
    },
  };

  constructor(public behaviour: FakeWorkerBehaviour = {}) {
    super();
    setImmediate(() => {
      if (this.exitedWith !== null || behaviour.neverListens === true) return;
      if (behaviour.startFails !== undefined) {
        this.reply({ v: CLUSTER_PROTOCOL, type: 'start-failed', code: 'SRL_ERR_ADDRESS_IN_USE', message: behaviour.startFails, exitCode: 1 });
        setImmediate(() => this.exit(1, null));
        return;
      }
      this.reply({ v: CLUSTER_PROTOCOL, type: 'listening', proxy: { host: '127.0.0.1', port: 3333 }, tls: null });
    });
  }

  get exited(): boolean {
    return this.exitedWith !== null;
  }

  isConnected(): boolean {
    return this.connected;
  }

  send(message: PrimaryMessage): boolean {
    if (!this.connected) throw new Error('channel closed');
    this.received.push(message);
    setImmediate(() => void this.handle(message));
    return true;
  }

  /** The process ends (a crash when nobody asked). */
  exit(code: number | null, signal: string | null): void {
    if (this.exitedWith !== null) return;
    this.exitedWith = { code, signal };
    this.connected = false;
    this.emit('exit', code, signal);
  }

  /** A message from this worker to the primary. */
  reply(message: WorkerMessage): void {
    if (this.connected) this.emit('message', message);
  }

  private async snapshot(): Promise<WorkerReplies['scrape']> {
    return { seq: ++this.seq, families: await snapshotRegistry(this.metrics.registry) };
  }

  private async handle(message: PrimaryMessage): Promise<void> {
    const b = this.behaviour;
    if (message.type === 'retire') {
      if (b.ignoresRetire === true) return;
      const result = b.retireResult ?? { drained: 1, forced: 0, aborted: false, ok: true };
      if (b.exitBeforeFinalMessage === true) {
        const metrics = await this.snapshot();
        this.exitedWith = { code: 0, signal: null };
        this.emit('exit', 0, null);
        this.reply({ v: CLUSTER_PROTOCOL, type: 'retired', mode: message.mode, result, metrics });
        this.connected = false;
        this.emit('disconnect');
        return;
      }
      this.reply({ v: CLUSTER_PROTOCOL, type: 'retired', mode: message.mode, result, metrics: await this.snapshot() });
      setImmediate(() => this.exit(result.ok ? 0 : 1, null));
      return;
    }
    if (message.type !== 'request') return;
    const { requestId, kind } = message;
    switch (kind) {
      case 'scrape':
        if (b.silentScrapes !== true) this.reply({ v: CLUSTER_PROTOCOL, type: 'reply', requestId, kind, body: await this.snapshot() });
        return;
      case 'readiness':
        if (b.readiness !== null) this.reply({ v: CLUSTER_PROTOCOL, type: 'reply', requestId, kind, body: b.readiness ?? { ready: true } });
        return;
      case 'status':
        if (b.status !== null) {
          this.reply({ v: CLUSTER_PROTOCOL, type: 'reply', requestId, kind, body: { readiness: b.readiness ?? { ready: true }, status: b.status ?? {} } });
        }
        return;
      case 'reload':
        if (b.reload !== null) this.reply({ v: CLUSTER_PROTOCOL, type: 'reply', requestId, kind, body: b.reload ?? { ok: true, applied: [], ignored: [], errors: [] } });
        return;
    }
  }
}

/** A fork function handing out FakeWorkers (behaviour per fork, in order; the last one repeats). */
export function fakeFork(...behaviours: FakeWorkerBehaviour[]): { fork: () => ClusterWorker; forked: FakeWorker[] } {
  const forked: FakeWorker[] = [];
  return {
    forked,
    fork: () => {
      const behaviour = behaviours[Math.min(forked.length, behaviours.length - 1)] ?? {};
      const worker = new FakeWorker({ ...behaviour });
      forked.push(worker);
      return worker;
    },
  };
}

/** A logger that keeps its lines: `{ level, msg, ...fields }`. */
export function memoryLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, msg, ...obj });
    };
  const logger = { level: 'info', fatal: at('fatal'), error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace') };
  return { logger: logger as unknown as Logger, lines };
}

/** Let pending setImmediate callbacks and promise jobs run (a few rounds). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
