/** Test-only: a collector on a fresh registry, driven by an EventScript, with a scrape helper. */
import { Registry } from 'prom-client';
import { createMetrics } from '@stratum-relay/metrics';
import type { StratumMetrics } from '@stratum-relay/metrics';
import { MetricsCollector } from '../../src/metrics-collector';
import type { MetricsCollectorOptions } from '../../src/metrics-collector';
import { EventScript } from './metrics-events';
import { parseExposition } from './metrics-exposition';
import type { Exposition } from './metrics-exposition';

export interface CollectorFixture {
  registry: Registry;
  metrics: StratumMetrics;
  collector: MetricsCollector;
  script: EventScript;
  scrape(): Promise<Exposition>;
}

export function collectorFixture(overrides: Partial<MetricsCollectorOptions> = {}): CollectorFixture {
  const registry = new Registry();
  const metrics = createMetrics(registry, { collectDefault: false });
  // The script owns the clocks; the collector reads them through closures.
  let script: EventScript | null = null;
  const collector = new MetricsCollector({
    metrics,
    maxClientIds: 500,
    submitTimeoutMs: 30_000,
    shareAudit: true,
    now: () => (script as EventScript).t,
    wallNow: () => (script as EventScript).wall,
    ...overrides,
  });
  script = new EventScript((e) => collector.handle(e));
  return {
    registry,
    metrics,
    collector,
    script,
    scrape: async () => parseExposition(await registry.metrics()),
  };
}
