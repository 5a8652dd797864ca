import * as net from 'node:net';
import type { Logger } from '@stratum-relay/logger';
import { holdReceivedSocket } from '@stratum-relay/proxy-core';
import {
  CLUSTER_PROTOCOL,
  type AdoptResultMessage,
  type HandoverMessage,
  type HandoverOutcome,
  type HandoverSummary,
  type PrimaryMessage,
} from './messages';

/** How the relay reaches the workers (WorkerPool). */
export interface RelayPeers {
  /**
   * Send to a worker; a handle goes with `keepOpen` (the copy here stays open until this class
   * closes it). The callback runs once the message is written, or failed. Returns false, and
   * never calls back, when the worker is gone or its channel closed (not Node's backpressure hint).
   */
  send(workerId: number, message: PrimaryMessage, handle?: net.Socket, callback?: (error: Error | null) => void): boolean;
}

export interface HandoverRelayOptions {
  readonly peers: RelayPeers;
  readonly logger: Logger;
  /** After the pool socket was written to the successor, how long its answer may take (default 10 s); then `lost`. */
  readonly replyTimeoutMs?: number;
}

interface Route {
  readonly from: number;
  readonly to: number;
  /** The successor exited: nothing more is forwarded, everything sent from now on goes back. */
  successorGone: boolean;
  readonly outcomes: Record<HandoverOutcome, number>;
  /** Each adopted connection's pause (adopt-result pausedMs), for the log. */
  readonly pauses: number[];
  done: HandoverSummary | null;
  readonly waiters: Array<(summary: HandoverSummary | null) => void>;
}

/** One connection on its way through the primary. */
interface Transit {
  readonly handoverId: number;
  readonly connectionId: number;
  readonly route: Route;
  /** This process's copies not yet written to the successor (each closed once written or given up). */
  readonly held: Set<net.Socket>;
  /** The pool socket, the second of the two, was written to the successor: it may have adopted the connection. */
  committed: boolean;
  /** The retiring worker's pool part has arrived (the transit is forgotten once settled and this is true). */
  poolArrived: boolean;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
}

function ignoreError(): void {}

/**
 * The primary's part of an upgrade's handover: it forwards the sockets a retiring worker hands
 * over to the successor and tells the retiring worker what became of each connection.
 *
 * The outcome follows from one fact: the successor relays a connection only once it has both
 * sockets, and the pool socket is sent second. So while the pool socket has not been written to
 * the successor, the connection can safely go back to the retiring worker (`returned`: it still
 * holds both sockets, no one else read a byte). Once it has, only the successor's answer tells;
 * if the successor dies (or stays silent) first, the connection is `lost`: every copy is closed
 * and the miner sees its connection end — never a connection that nobody relays and nobody closes.
 */
export class HandoverRelay {
  private readonly routes = new Map<number, Route>();
  private readonly transits = new Map<string, Transit>();

  constructor(private readonly options: HandoverRelayOptions) {}

  /** A handover starts: connections of `handoverId` come from worker `from` and go to worker `to`. */
  begin(handoverId: number, from: number, to: number): void {
    this.routes.set(handoverId, { from, to, successorGone: false, outcomes: { adopted: 0, returned: 0, lost: 0 }, pauses: [], done: null, waiters: [] });
  }

  /** Connections on their way through the primary now. */
  get inTransit(): number {
    return this.transits.size;
  }

  /**
   * A `handover` message from worker `from` and its handle. Call it synchronously from the
   * 'message' listener (the socket Node built for the handle reads from the next poll on).
   */
  onHandover(from: number, message: HandoverMessage, handle: unknown): void {
    const socket = handle instanceof net.Socket ? handle : null;
    // Why this socket cannot be passed on, if it cannot.
    let unusable: string | null = socket === null ? 'no_handle' : null;
    if (socket !== null) {
      socket.on('error', ignoreError);
      const unread = holdReceivedSocket(socket);
      if (unread === null) unusable = 'no_handle';
      else if (unread.bytes.length > 0 || unread.eof) unusable = 'read_in_primary';
    }
    const route = this.routes.get(message.handoverId);
    const key = `${message.handoverId}:${message.connectionId}`;
    let transit = this.transits.get(key);
    if (route === undefined || route.from !== from) {
      // Not a handover this primary runs: its copy is closed; the sender times out and closes its own.
      socket?.destroy();
      return;
    }
    if (message.part === 'miner') {
      if (transit !== undefined) {
        socket?.destroy();
        return;
      }
      transit = { handoverId: message.handoverId, connectionId: message.connectionId, route, held: new Set(), committed: false, poolArrived: false, settled: false, timer: undefined };
      this.transits.set(key, transit);
    } else {
      if (transit === undefined) {
        // Its miner part never came (it failed to send): the sender relays it again already.
        socket?.destroy();
        return;
      }
      transit.poolArrived = true;
    }
    if (socket !== null) transit.held.add(socket);
    if (transit.settled) {
      this.release(transit, socket);
      this.forgetIfDone(transit);
      return;
    }
    if (unusable !== null) {
      // A byte read here is a byte no relay will see: that connection cannot go on anywhere. A
      // socket that did not come is only a connection the successor cannot have complete.
      this.settle(transit, unusable === 'read_in_primary' || transit.committed ? 'lost' : 'returned', unusable);
      return;
    }
    if (route.successorGone) {
      this.settle(transit, 'returned', 'successor_gone');
      return;
    }
    const s = socket as net.Socket;
    const forwarded: PrimaryMessage =
      message.part === 'miner'
        ? { v: CLUSTER_PROTOCOL, type: 'adopt', handoverId: message.handoverId, connectionId: message.connectionId, part: 'miner', state: message.state, collector: message.collector }
        : { v: CLUSTER_PROTOCOL, type: 'adopt', handoverId: message.handoverId, connectionId: message.connectionId, part: 'pool' };
    const sent = this.options.peers.send(route.to, forwarded, s, (error) => {
      // Written (or failed): the copy here is no longer needed either way.
      this.release(transit, s);
      if (transit.settled) return;
      if (error !== null) {
        this.settle(transit, 'returned', 'send_failed');
        return;
      }
      if (message.part === 'pool') {
        transit.committed = true;
        const timeoutMs = this.options.replyTimeoutMs ?? 10_000;
        transit.timer = setTimeout(() => this.settle(transit, 'lost', 'timeout'), timeoutMs);
        transit.timer.unref();
      }
    });
    if (!sent && !transit.settled && !transit.committed) this.settle(transit, 'returned', 'successor_gone');
  }

  /** The successor's `adopt-result`. */
  onAdoptResult(to: number, message: AdoptResultMessage): void {
    const transit = this.transits.get(`${message.handoverId}:${message.connectionId}`);
    if (transit === undefined || transit.route.to !== to || transit.settled) return;
    const outcome: HandoverOutcome = message.result === 'adopted' ? 'adopted' : message.result === 'refused' ? 'returned' : 'lost';
    if (message.pausedMs !== null) transit.route.pauses.push(message.pausedMs);
    this.settle(transit, outcome, message.result === 'adopted' ? 'adopted' : (message.error ?? message.result));
  }

  /** The retiring worker's `handover-done`: resolves whenDone(). */
  onDone(from: number, handoverId: number, summary: HandoverSummary): void {
    const route = this.routes.get(handoverId);
    if (route === undefined || route.from !== from) return;
    route.done = summary;
    this.options.logger.info(
      { handover_id: handoverId, from_worker: route.from, to_worker: route.to, ...summary, primary_outcomes: { ...route.outcomes }, paused_ms: pauseStats(route.pauses) },
      'handover finished: the retiring worker drains what it kept',
    );
    for (const wake of route.waiters.splice(0)) wake(summary);
  }

  /** Resolves with the retiring worker's summary, or null when it left without one. */
  whenDone(handoverId: number): Promise<HandoverSummary | null> {
    const route = this.routes.get(handoverId);
    if (route === undefined) return Promise.resolve(null);
    if (route.done !== null) return Promise.resolve(route.done);
    return new Promise((resolve) => route.waiters.push(resolve));
  }

  /**
   * A worker exited. As a successor: what it may have adopted is `lost`, what it cannot have is
   * `returned`, and nothing more goes to it. As a retiring worker: its copies died with it; the
   * primary's are closed and its handover is over.
   */
  workerGone(workerId: number): void {
    for (const [handoverId, route] of this.routes) {
      if (route.to === workerId) route.successorGone = true;
      if (route.from === workerId) {
        for (const wake of route.waiters.splice(0)) wake(route.done);
        this.routes.delete(handoverId);
      }
    }
    for (const transit of [...this.transits.values()]) {
      if (transit.route.from === workerId) {
        this.release(transit, null);
        this.forget(transit);
      } else if (transit.route.to === workerId && !transit.settled) {
        this.settle(transit, transit.committed ? 'lost' : 'returned', 'successor_gone');
      }
    }
  }

  private settle(transit: Transit, outcome: HandoverOutcome, reason: string): void {
    if (transit.settled) return;
    transit.settled = true;
    clearTimeout(transit.timer);
    // What was not written stays here: closed (the sender relays the connection again, or closes it too).
    this.release(transit, null);
    transit.route.outcomes[outcome]++;
    if (outcome !== 'adopted') {
      this.options.logger.warn({ handover_id: transit.handoverId, connection_id: transit.connectionId, outcome, reason }, 'handover: connection not adopted');
    }
    this.options.peers.send(transit.route.from, {
      v: CLUSTER_PROTOCOL,
      type: 'handover-outcome',
      handoverId: transit.handoverId,
      connectionId: transit.connectionId,
      outcome,
      reason,
    });
    this.forgetIfDone(transit);
  }

  /** Close the copy `socket` here, or every copy still held when null. */
  private release(transit: Transit, socket: net.Socket | null): void {
    if (socket !== null) {
      if (transit.held.delete(socket)) socket.destroy();
      return;
    }
    for (const s of transit.held) s.destroy();
    transit.held.clear();
  }

  private forgetIfDone(transit: Transit): void {
    if (transit.settled && transit.poolArrived) this.forget(transit);
  }

  private forget(transit: Transit): void {
    clearTimeout(transit.timer);
    this.transits.delete(`${transit.handoverId}:${transit.connectionId}`);
  }
}

/** p50 / p99 / max of the adopted connections' pauses, ms (rounded to 0.1 ms); null without any. */
function pauseStats(pauses: number[]): { samples: number; p50: number; p99: number; max: number } | null {
  if (pauses.length === 0) return null;
  const sorted = [...pauses].sort((a, b) => a - b);
  const at = (q: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) * 10) / 10;
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}
