import { collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * prom-client names three gauges `*_total`, which `promtool check metrics` rejects (only
 * counters may end in _total). The same numbers remain as nodejs_active_{handles,requests,
 * resources}{type}: sum() over them gives the totals.
 */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Families prom-client's default metrics register: one OS process each, whatever else the registry holds. */
export const PROCESS_METRIC_PREFIXES: readonly string[] = ['process_', 'nodejs_'];

/** prom-client's process metrics (CPU, memory, descriptors, event-loop lag, GC) on `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
}

/** Whether a family describes one process (prom-client's default metrics) rather than the relay. */
export function isProcessMetric(name: string): boolean {
  return PROCESS_METRIC_PREFIXES.some((prefix) => name.startsWith(prefix));
}
