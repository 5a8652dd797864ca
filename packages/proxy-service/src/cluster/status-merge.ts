import type { WorkerState } from '@stratum-relay/metrics';
import { redactConfig, type StatusConnection, type StatusPool } from '../status';
import type { WorkerStatus } from './messages';

/** One worker as the primary knows it, with its answer to the status request. */
export interface WorkerStatusInput {
  /** node:cluster's worker id: unique for the life of the primary, never reused. */
  readonly id: number;
  /** The place the worker holds, 1 … WORKERS; its replacement takes the same slot. */
  readonly slot: number;
  readonly generation: number;
  readonly pid: number | undefined;
  readonly state: WorkerState;
  /** Wall-clock ms of the fork. */
  readonly startedAt: number;
  /** Its answer, or null when it did not answer in time. */
  readonly reply: WorkerStatus | null;
}

export interface ClusterStatusInput {
  readonly version: string;
  /** Wall-clock ms when the primary started. */
  readonly startedAt: number;
  readonly now: number;
  /** The primary's config in force. */
  readonly config: object;
  readonly workers: readonly WorkerStatusInput[];
  /** Workers restarted after an unexpected exit, since the primary started. */
  readonly restarts: number;
  /** The primary's own reloads (SIGHUP). */
  readonly reload: { readonly count: number; readonly lastSuccessAt: string | null };
}

/** A pool as merged over the workers: one entry per pool name, miners summed. */
export interface MergedPool extends StatusPool {
  /** Each worker's view: its state, since when, its miners on this pool. */
  readonly workers: ReadonlyArray<{ workerId: number; state: StatusPool['state']; since: string | null; miners: number }>;
}

/** A connection of one worker, with the id of the worker relaying it now (an upgrade moves it, under the same connection id). */
export type MergedConnection = StatusConnection & { readonly workerId: number };

export interface ClusterStatusBody {
  version: string;
  uptimeSeconds: number;
  config: Record<string, unknown>;
  workers: Array<Record<string, unknown>>;
  pools: MergedPool[];
  connections: MergedConnection[];
  maxConnections: { configured: number | null; effective: number };
  restarts: number;
  reload: { count: number; lastSuccessAt: string | null };
}

function arrayOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** ISO times compare as strings; null (never) is the oldest. */
function later(a: string | null, b: string | null): boolean {
  if (a === null) return false;
  return b === null || a > b;
}

/**
 * The primary's /status: the workers' documents merged. Connections are concatenated, each with
 * the id of the worker that holds it; pools are merged by name with miners summed, the state
 * (and its `since`) from the worker that saw the latest change, the last error from the worker
 * that saw the latest error. Pure.
 */
export function mergeStatus(input: ClusterStatusInput): ClusterStatusBody {
  const pools = new Map<string, { merged: StatusPool; workers: MergedPool['workers'][number][] }>();
  const connections: MergedConnection[] = [];
  let configured: number | null = null;
  let effective = 0;
  const workers: Array<Record<string, unknown>> = [];

  for (const worker of input.workers) {
    const doc = worker.reply?.status;
    const readiness = worker.reply?.readiness;
    const limits = doc?.maxConnections as { configured?: number; effective?: number } | undefined;
    if (typeof limits?.configured === 'number') configured = limits.configured;
    if (typeof limits?.effective === 'number') effective += limits.effective;
    const own = arrayOf<StatusConnection>(doc?.connections);
    for (const c of own) connections.push({ ...c, workerId: worker.id });
    workers.push({
      workerId: worker.id,
      slot: worker.slot,
      generation: worker.generation,
      pid: worker.pid ?? null,
      state: worker.state,
      startedAt: new Date(worker.startedAt).toISOString(),
      answered: worker.reply !== null,
      ready: readiness === undefined ? null : readiness.ready,
      ...(readiness !== undefined && !readiness.ready ? { reason: readiness.reason } : {}),
      connections: doc === undefined ? null : own.length,
      maxConnections: limits ?? null,
      listeners: doc?.listeners ?? null,
      reload: doc?.reload ?? null,
      // A retiring worker (worker-runtime.ts RetiringStatus): its handover's progress, and the
      // connections it kept and drains until they close or DRAIN_TIMEOUT_MS.
      retiring: doc?.retiring ?? null,
    });

    for (const pool of arrayOf<StatusPool>(doc?.pools)) {
      const view = { workerId: worker.id, state: pool.state, since: pool.since, miners: pool.miners };
      const seen = pools.get(pool.name);
      if (seen === undefined) {
        pools.set(pool.name, { merged: { ...pool }, workers: [view] });
        continue;
      }
      const m = seen.merged;
      seen.workers.push(view);
      m.miners += pool.miners;
      if (later(pool.since, m.since)) {
        m.state = pool.state;
        m.since = pool.since;
      }
      if (later(pool.lastErrorAt, m.lastErrorAt)) {
        m.lastError = pool.lastError;
        m.lastErrorAt = pool.lastErrorAt;
      }
    }
  }

  return {
    version: input.version,
    uptimeSeconds: Math.max(0, Math.round((input.now - input.startedAt) / 1000)),
    config: redactConfig(input.config),
    workers,
    pools: [...pools.values()].sort((a, b) => a.merged.priority - b.merged.priority).map(({ merged, workers: views }) => ({ ...merged, workers: views })),
    connections,
    maxConnections: { configured, effective },
    restarts: input.restarts,
    reload: { ...input.reload },
  };
}
