import type { ConnectionDetails } from '../trace/connection-details';
import type { TraceStore } from '../trace/trace-store';
import type { ProcessView, TraceAnswer } from '../ui/process-view';
import { TraceBatcher } from '../ui/ui-source';
import { CLUSTER_PROTOCOL, MAX_WATCHED_CONNECTIONS, type TraceLinesMessage, type WorkerReplies, type WorkerRequestArgs } from './messages';

export interface WorkerUiOptions {
  /** The service's view of its connections and traces; undefined until it started. */
  readonly view: () => ProcessView | undefined;
  /** The service's trace store; undefined until it started. */
  readonly store: () => TraceStore | undefined;
  /** To the primary. */
  readonly send: (message: TraceLinesMessage) => void;
  /** How long a followed connection's lines are batched before they go (default TraceBatcher's 200 ms). */
  readonly batchMs?: number;
}

/**
 * One worker's part of /api/* and /ui (WORKERS > 1): the primary asks every worker and merges
 * (primary-ui-source.ts). Answers come from this process's ProcessView as a single process's
 * would; followed connections (`watch`) push their new lines to the primary in batches, bounded
 * per batch (TRACE_BATCH_MAX_LINES) and in number (MAX_WATCHED_CONNECTIONS).
 */
export class WorkerUi {
  /** Followed connection id → unsubscribe from the trace store. */
  private readonly followed = new Map<number, () => void>();
  private readonly batcher: TraceBatcher;

  constructor(private readonly options: WorkerUiOptions) {
    this.batcher = new TraceBatcher(
      (connectionId, entries, skipped = 0) => options.send({ v: CLUSTER_PROTOCOL, type: 'trace-lines', connectionId, entries, skipped }),
      options.batchMs,
    );
  }

  /** Open connections, then the recently closed ones; none before the service started. */
  connections(): ConnectionDetails[] {
    return this.options.view()?.connections() ?? [];
  }

  trace(args: WorkerRequestArgs['trace']): TraceAnswer {
    return this.options.view()?.traceOf(args.connectionIds, args.limit) ?? { connections: [], entries: [], traceLines: 0 };
  }

  bundle(args: WorkerRequestArgs['bundle']): WorkerReplies['bundle'] {
    return { part: this.options.view()?.ownPart(args.connectionId) ?? null };
  }

  /**
   * Follow exactly these connections (the first MAX_WATCHED_CONNECTIONS): the ones no longer
   * asked for are let go, new ones followed. A connection not (yet) here is followed all the
   * same: its lines flow if it arrives (adopted in an upgrade).
   */
  watch(args: WorkerRequestArgs['watch']): WorkerReplies['watch'] {
    const store = this.options.store();
    const wanted = new Set(store === undefined ? [] : args.connectionIds.slice(0, MAX_WATCHED_CONNECTIONS));
    for (const [id, stop] of this.followed) {
      if (wanted.has(id)) continue;
      stop();
      this.followed.delete(id);
    }
    if (store !== undefined) {
      for (const id of wanted) if (!this.followed.has(id)) this.followed.set(id, store.watch(id, (connectionId, entry) => this.batcher.add(connectionId, entry)));
    }
    return { following: this.followed.size };
  }

  /** Follow nothing more; lines still batched are dropped. */
  close(): void {
    for (const stop of this.followed.values()) stop();
    this.followed.clear();
    this.batcher.close();
  }
}
