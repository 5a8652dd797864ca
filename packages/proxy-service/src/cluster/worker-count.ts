import { availableParallelism } from 'node:os';
import type { Config } from '@stratum-relay/config';

/**
 * How many relay processes WORKERS asks for: the number given, or one per core the process may
 * use for `auto` (os.availableParallelism(): CPU affinity and cgroup-less containers included).
 * Decided once, when the program starts.
 */
export function resolveWorkerCount(workers: Config['workers'], cores: number = availableParallelism()): number {
  if (workers === 'auto') return Math.max(1, Math.floor(cores));
  return workers;
}
