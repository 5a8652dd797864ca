import type { ExportedMetrics } from './ops-exported-metrics';

/**
 * Metric families whose names and types are agreed for work in flight (the ordered pool list with
 * failover; secure edges) so that dashboards, rules and docs can be written before the proxy
 * exports them. While the real proxy does not export one yet, the ops checks treat it as exported
 * (a dashboard may read it, and must show it); once the proxy exports it, only its type is
 * checked against this list. Delete an entry when the proxy exports it.
 */
export const ANNOUNCED_METRICS: ReadonlyMap<string, 'counter' | 'gauge' | 'histogram'> = new Map<string, 'counter' | 'gauge' | 'histogram'>([
  // Nothing in flight: every family the dashboards read is exported. Add a [name, type] pair here
  // to write a panel for a metric before the proxy exports it.
]);

const SERIES_SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** What the proxy exports plus the announced families it does not export yet. */
export function withAnnounced(live: ExportedMetrics): ExportedMetrics {
  const families = new Map(live.families);
  const seriesNames = new Set(live.seriesNames);
  for (const [name, type] of ANNOUNCED_METRICS) {
    if (families.has(name)) continue;
    families.set(name, type);
    for (const suffix of SERIES_SUFFIXES[type] ?? ['']) seriesNames.add(name + suffix);
  }
  return { families, seriesNames };
}

/** Announced families the proxy exports with another type ("name: announced x, exported y"). */
export function announcedTypeMismatches(live: ExportedMetrics): string[] {
  return [...ANNOUNCED_METRICS]
    .filter(([name, type]) => live.families.has(name) && live.families.get(name) !== type)
    .map(([name, type]) => `${name}: announced ${type}, exported ${String(live.families.get(name))}`);
}
