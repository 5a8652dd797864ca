import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { registerProcessMetrics } from './process-metrics';

/** Where a worker process is in its life: forked, relaying (its listeners are up), or draining to exit. */
export const WORKER_STATES = ['starting', 'running', 'draining'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export interface CreateClusterMetricsOptions {
  /** Register prom-client's process metrics of the primary itself. Default true. */
  collectDefault?: boolean;
}

/**
 * What the primary of several worker processes counts itself (the relay metrics come from the
 * workers). Registered on the primary's own registry, which is merged with the workers'.
 */
export interface ClusterMetrics {
  readonly registry: Registry;
  readonly workers: Gauge<'state'>;
  readonly workerRestartsTotal: Counter;
  /** stratum_workers{state} is read from the primary's worker list at scrape time. */
  setWorkerStateProvider(provider: (() => Readonly<Record<WorkerState, number>>) | null): void;
}

export function createClusterMetrics(registry: Registry, opts: CreateClusterMetricsOptions = {}): ClusterMetrics {
  const registers = [registry];
  let provider: (() => Readonly<Record<WorkerState, number>>) | null = null;
  const metrics: ClusterMetrics = {
    registry,
    workers: new Gauge({
      name: 'stratum_workers',
      help: 'Worker processes by state: starting (forked, not listening yet), running (relaying miners), draining (retiring). running is how many are up.',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = provider?.();
        for (const state of WORKER_STATES) this.set({ state }, counts?.[state] ?? 0);
      },
    }),
    workerRestartsTotal: new Counter({
      name: 'stratum_worker_restarts_total',
      help: 'Worker processes that exited without being asked to (a crash, a kill) and were started again.',
      registers,
    }),
    setWorkerStateProvider(next) {
      provider = next;
    },
  };
  if (opts.collectDefault ?? true) registerProcessMetrics(registry);
  return metrics;
}
