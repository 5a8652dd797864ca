import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@stratum-relay/logger';
import { holdReceivedSocket, type ConnectionExport, type ProxyServer } from '@stratum-relay/proxy-core';
import type { CollectorConnectionExport } from '../connection-state';
import type { MetricsCollector } from '../metrics-collector';
import { CLUSTER_PROTOCOL, type AdoptMessage, type AdoptResult, type WorkerMessage } from './messages';

export interface HandoverReceiverOptions {
  /** The relay that adopts, once started; undefined before (every adoption is then refused). */
  readonly server: () => ProxyServer | undefined;
  readonly collector: () => MetricsCollector | undefined;
  /** To the primary. */
  readonly send: (message: WorkerMessage) => void;
  readonly logger: Logger;
  /** How long one socket of a connection waits for the other (default 10 s): then both are closed here. */
  readonly pairTimeoutMs?: number;
}

/** One connection's sockets as they arrive, the miner's (with the states) and the pool's. */
interface Pair {
  readonly handoverId: number;
  readonly connectionId: number;
  miner: net.Socket | null;
  pool: net.Socket | null;
  state: ConnectionExport | null;
  collected: CollectorConnectionExport | null;
  /** A socket arrived unusable (no descriptor to stop, or bytes already read): never relayed, never returned. */
  unusable: string | null;
  timer: NodeJS.Timeout | undefined;
}

function ignoreError(): void {}

/**
 * The successor's side of an upgrade's handover: the two sockets of each connection arrive in
 * two `adopt` messages; each is stopped from reading the moment it arrives (nothing of this
 * process touches the connection before it relays it), and once both are here the connection's
 * collector state is imported first, then the ProxyServer adopts it. The primary is told how it
 * went (`adopt-result`).
 */
export class HandoverReceiver {
  private readonly pairs = new Map<string, Pair>();

  constructor(private readonly options: HandoverReceiverOptions) {}

  /** Sockets waiting for the other socket of their connection. */
  get waiting(): number {
    return this.pairs.size;
  }

  /**
   * One `adopt` message and its handle. Call it synchronously from the 'message' listener: the
   * socket Node built for the handle reads from the next poll of the event loop on.
   */
  onAdopt(message: AdoptMessage, handle: unknown): void {
    const key = `${message.handoverId}:${message.connectionId}`;
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      pair = { handoverId: message.handoverId, connectionId: message.connectionId, miner: null, pool: null, state: null, collected: null, unusable: null, timer: undefined };
      this.pairs.set(key, pair);
    }
    if (!(handle instanceof net.Socket)) {
      pair.unusable = 'no_handle';
    } else {
      // At once: a reset before the relay owns the socket must not crash the process.
      handle.on('error', ignoreError);
      const unread = holdReceivedSocket(handle);
      if (unread === null) pair.unusable = 'no_handle';
      else if (unread.bytes.length > 0 || unread.eof) pair.unusable = 'read_before_adopt';
      if (message.part === 'miner') {
        if (pair.miner !== null) handle.destroy();
        else pair.miner = handle;
      } else if (pair.pool !== null) handle.destroy();
      else pair.pool = handle;
    }
    if (message.part === 'miner') {
      pair.state = message.state;
      pair.collected = message.collector;
    }
    const complete = pair.state !== null && (pair.miner !== null || pair.unusable !== null) && (pair.pool !== null || message.part === 'pool');
    if (complete) {
      this.finish(key, pair);
      return;
    }
    if (pair.timer === undefined) {
      const timeoutMs = this.options.pairTimeoutMs ?? 10_000;
      pair.timer = setTimeout(() => {
        this.pairs.delete(key);
        closeCopies(pair);
        this.options.logger.warn({ connection_id: pair.connectionId, handover_id: pair.handoverId, timeout_ms: timeoutMs }, 'handover: one socket of a connection never came, closed here');
        this.reply(pair, 'closed', 'incomplete');
      }, timeoutMs);
      pair.timer.unref();
    }
  }

  /** Both parts are in (or one came without a usable socket): adopt, or say why not. */
  private finish(key: string, pair: Pair): void {
    clearTimeout(pair.timer);
    this.pairs.delete(key);
    const { miner, pool, state } = pair;
    if (pair.unusable !== null || miner === null || pool === null || state === null) {
      closeCopies(pair);
      this.reply(pair, 'closed', pair.unusable ?? 'incomplete');
      return;
    }
    const server = this.options.server();
    if (server === undefined || !server.listening) {
      // Not relaying (starting, or retiring itself): untouched, the sender relays it again.
      closeCopies(pair);
      this.reply(pair, 'refused', 'not_running');
      return;
    }
    // Collector first: an answer among the connection's first bytes here must find its request.
    const collector = this.options.collector();
    const imported = pair.collected !== null && collector?.importConnection(pair.collected) === true;
    try {
      server.adoptConnection(state, miner, pool);
    } catch (error) {
      // adoptConnection touches no socket when it throws: the sender may relay it again.
      if (imported) collector?.exportConnection(state.connectionId);
      closeCopies(pair);
      const code = (error as { code?: unknown } | null)?.code;
      this.options.logger.warn({ connection_id: state.connectionId, err: error }, 'handover: could not adopt a connection, sent back');
      this.reply(pair, 'refused', typeof code === 'string' ? code : 'adopt_failed');
      return;
    }
    // `pausedAt` is the retiring worker's wall clock (performance.timeOrigin + now), comparable with this one's.
    this.reply(pair, 'adopted', null, Math.max(0, performance.timeOrigin + performance.now() - state.pausedAt));
  }

  private reply(pair: Pair, result: AdoptResult, error: string | null, pausedMs: number | null = null): void {
    this.options.send({ v: CLUSTER_PROTOCOL, type: 'adopt-result', handoverId: pair.handoverId, connectionId: pair.connectionId, result, error, pausedMs });
  }
}

/** This process's copies only (no shutdown): the connection lives on where another copy is. */
function closeCopies(pair: Pair): void {
  pair.miner?.destroy();
  pair.pool?.destroy();
}
