import type * as net from 'node:net';
import type { Logger } from '@stratum-relay/logger';
import type { ConnectionExport, HandoverRefusal, KeptConnection, ProxyServer } from '@stratum-relay/proxy-core';
import type { CollectorConnectionExport } from '../connection-state';
import type { MetricsCollector } from '../metrics-collector';
import {
  CLUSTER_PROTOCOL,
  type HandoverOutcome,
  type HandoverOutcomeMessage,
  type HandoverPlan,
  type HandoverSummary,
  type WorkerMessage,
} from './messages';

/** The part of the IPC channel a handover sends on (`process` in a cluster worker). */
export interface HandoverChannel {
  send(message: WorkerMessage, handle?: net.Socket, options?: { keepOpen?: boolean }, callback?: (error: Error | null) => void): boolean;
}

export interface HandoverSenderOptions {
  readonly server: ProxyServer;
  /** Undefined when the service has none (then the successor counts the connection from a bare state). */
  readonly collector: MetricsCollector | undefined;
  readonly channel: HandoverChannel;
  readonly logger: Logger;
  readonly plan: HandoverPlan;
  /**
   * Connections between their pause and their outcome at once (default 2). Each one's pause lasts
   * until the successor reads it again, and handles cross the channel one at a time (Node waits
   * for the receiver's acknowledgement of each), so a small window keeps every pause short while
   * the channel stays busy.
   */
  readonly window?: number;
  /** ProxyServer.exportConnection's flush deadline per connection (default 2 s). */
  readonly flushTimeoutMs?: number;
  /** A connection sent without an outcome after this long is closed here, as if `lost` (default 15 s). */
  readonly outcomeTimeoutMs?: number;
  /** Kept for a reason that may pass (not relaying yet, a slow flush): tried again this many times (default 3) … */
  readonly retryRounds?: number;
  /** … this long apart (default 250 ms). */
  readonly retryDelayMs?: number;
  readonly now?: () => number;
}

/** Where a retiring worker's handover is, for /status. */
export interface HandoverProgress {
  readonly successor: number;
  readonly done: boolean;
  readonly inFlight: number;
  readonly adopted: number;
  readonly returned: number;
  readonly lost: number;
  readonly kept: number;
  readonly keptByReason: Partial<Record<HandoverRefusal, number>>;
}

/** Reasons a connection is kept that may be gone a moment later. */
const RETRYABLE: ReadonlySet<HandoverRefusal> = new Set<HandoverRefusal>(['not_relaying', 'flush_timeout', 'busy']);

/** Both sockets stay open here after the send: until the outcome, this process may relay them again. */
const KEEP_OPEN = { keepOpen: true } as const;

interface InFlight {
  settle(outcome: HandoverOutcome, reason: string): void;
}

/**
 * The retiring worker's side of an upgrade's handover: every connection the ProxyServer can
 * hand over is paused, its collector state taken, and both sockets sent to the primary (which
 * forwards them to the successor), a few connections at a time; then each outcome is applied —
 * `adopted` and `lost` close this process's copies of the sockets, `returned` relays the
 * connection here again with its collector state. What the server keeps (TLS, not relaying yet,
 * half-closed, …) stays; the worker drains it afterwards.
 */
export class HandoverSender {
  private readonly inFlight = new Map<number, InFlight>();
  private kept: KeptConnection[] = [];
  private adopted = 0;
  private returned = 0;
  private lost = 0;
  private closed = 0;
  private stopped = false;
  private done = false;
  private readonly now: () => number;

  constructor(private readonly options: HandoverSenderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Hand over every open connection that can move; resolves once each has its outcome. */
  async run(): Promise<HandoverSummary> {
    const startedAt = this.now();
    await this.moveAll(this.options.server.connections().map((c) => c.connectionId));
    const rounds = this.options.retryRounds ?? 3;
    for (let round = 0; round < rounds && !this.stopped; round++) {
      const again = this.kept.filter((k) => RETRYABLE.has(k.reason)).map((k) => k.connectionId);
      if (again.length === 0) break;
      this.kept = this.kept.filter((k) => !RETRYABLE.has(k.reason));
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 250));
      await this.moveAll(again);
    }
    this.done = true;
    return { ...this.counts(), closed: this.closed, durationMs: this.now() - startedAt };
  }

  /** Send no further connection (the successor is gone, or the drain is forced); those in flight still get their outcome. */
  stop(): void {
    this.stopped = true;
  }

  /** The primary's word on a connection sent earlier. */
  onOutcome(message: HandoverOutcomeMessage): void {
    if (message.handoverId !== this.options.plan.handoverId) return;
    this.inFlight.get(message.connectionId)?.settle(message.outcome, message.reason);
    // Nothing sent from now on would reach a successor.
    if (message.reason === 'successor_gone') this.stop();
  }

  progress(): HandoverProgress {
    return { successor: this.options.plan.successor, done: this.done, inFlight: this.inFlight.size, ...this.counts() };
  }

  private counts(): Omit<HandoverSummary, 'closed' | 'durationMs'> {
    const keptByReason: Partial<Record<HandoverRefusal, number>> = {};
    for (const k of this.kept) keptByReason[k.reason] = (keptByReason[k.reason] ?? 0) + 1;
    return { adopted: this.adopted, returned: this.returned, lost: this.lost, kept: this.kept.length, keptByReason };
  }

  private async moveAll(ids: readonly number[]): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (!this.stopped && next < ids.length) await this.moveOne(ids[next++] as number);
    };
    const lanes = Math.max(1, Math.min(this.options.window ?? 2, ids.length));
    await Promise.all(Array.from({ length: lanes }, lane));
    // Stopped before every id was tried: those relay on here.
    for (; next < ids.length; next++) this.kept.push({ connectionId: ids[next] as number, reason: 'busy' });
  }

  private async moveOne(connectionId: number): Promise<void> {
    const { server, collector, logger } = this.options;
    const result = await server.exportConnection(connectionId, this.options.flushTimeoutMs !== undefined ? { flushTimeoutMs: this.options.flushTimeoutMs } : {});
    if (!('state' in result)) {
      if (result.reason === 'closed') this.closed++;
      else this.kept.push(result);
      return;
    }
    const { state, miner, pool } = result;
    // After the export: the collector has seen every byte this process relayed on it.
    const collected = collector?.exportConnection(connectionId) ?? null;
    const { outcome, reason } = await this.send(state, collected, miner, pool);
    switch (outcome) {
      case 'adopted':
        this.adopted++;
        closeCopies(miner, pool);
        return;
      case 'lost':
        this.lost++;
        logger.warn({ connection_id: connectionId, reason }, 'handover: connection lost in transit, closed here');
        closeCopies(miner, pool);
        return;
      case 'returned':
        this.resume(state, collected, miner, pool, reason);
        return;
    }
  }

  /** Both sockets to the primary, the miner's first with the states; resolves with the outcome. */
  private send(state: ConnectionExport, collected: CollectorConnectionExport | null, miner: net.Socket, pool: net.Socket): Promise<{ outcome: HandoverOutcome; reason: string }> {
    const { channel, plan } = this.options;
    const connectionId = state.connectionId;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: HandoverOutcome, reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(connectionId);
        resolve({ outcome, reason });
      };
      const timer = setTimeout(() => settle('lost', 'timeout'), this.options.outcomeTimeoutMs ?? 15_000);
      this.inFlight.set(connectionId, { settle });
      // A callback error means the message was not written (Node reports a failed asynchronous
      // write as success): the successor cannot have both sockets, so the connection is ours
      // again. A late outcome for it is ignored.
      const sent = (error: Error | null): void => {
        if (error !== null) settle('returned', 'send_failed');
      };
      const base = { v: CLUSTER_PROTOCOL, type: 'handover', handoverId: plan.handoverId, connectionId } as const;
      try {
        channel.send({ ...base, part: 'miner', state, collector: collected }, miner, KEEP_OPEN, sent);
        channel.send({ ...base, part: 'pool' }, pool, KEEP_OPEN, sent);
      } catch {
        // Thrown before anything was written (a message that cannot be serialized).
        settle('returned', 'send_failed');
      }
    });
  }

  /** `returned`: relay the connection here again, collector state first (as any adoption). */
  private resume(state: ConnectionExport, collected: CollectorConnectionExport | null, miner: net.Socket, pool: net.Socket, reason: string): void {
    const { server, collector, logger } = this.options;
    try {
      if (collected !== null) collector?.importConnection(collected);
      server.adoptConnection(state, miner, pool);
      this.returned++;
      logger.info({ connection_id: state.connectionId, reason }, 'handover: connection came back, relayed here until the drain');
    } catch (error) {
      // Its own export, just made: cannot happen; never leave the miner hanging if it does.
      this.lost++;
      logger.error({ connection_id: state.connectionId, err: error }, 'handover: a returned connection could not be relayed again, closed');
      collector?.exportConnection(state.connectionId);
      closeCopies(miner, pool);
    }
  }
}

/**
 * Closes this process's descriptors of a connection that another process may relay: destroy()
 * closes the descriptor without a shutdown, so the connection lives on wherever another copy is,
 * and ends (FIN or RST to both peers) when the last copy closes.
 */
function closeCopies(miner: net.Socket, pool: net.Socket): void {
  miner.destroy();
  pool.destroy();
}
