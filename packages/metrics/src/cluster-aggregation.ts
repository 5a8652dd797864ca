import { AggregatorRegistry } from 'prom-client';
import type { PrometheusContentType, Registry } from 'prom-client';
import { isProcessMetric } from './process-metrics';

/** How prom-client's AggregatorRegistry merges one family across registries. */
export type Aggregator = 'sum' | 'max' | 'min' | 'average' | 'first' | 'omit';

/** One sample as Registry.getMetricsAsJSON gives it. */
export interface SampleSnapshot {
  readonly value: number;
  /** Every label of the sample, `le` of a histogram bucket included. */
  readonly labels: Readonly<Record<string, string | number>>;
  /** The sample's own name where it is not the family's: `_bucket`, `_sum`, `_count`. */
  readonly metricName?: string;
}

/**
 * One metric family of one registry at one moment, as plain data: what a worker sends its
 * primary over IPC and what AggregatorRegistry.aggregate() takes.
 */
export interface FamilySnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: Aggregator;
  readonly values: readonly SampleSnapshot[];
}

/** A registry's families as plain data (no collect functions, no exemplars): safe to send to another process. */
export async function snapshotRegistry(registry: Registry): Promise<FamilySnapshot[]> {
  const families = (await registry.getMetricsAsJSON()) as unknown as FamilySnapshot[];
  return families.map((family) => ({
    name: family.name,
    help: family.help,
    type: String(family.type),
    aggregator: family.aggregator ?? 'sum',
    values: family.values.map((sample) =>
      sample.metricName === undefined
        ? { value: sample.value, labels: { ...sample.labels } }
        : { value: sample.value, labels: { ...sample.labels }, metricName: sample.metricName },
    ),
  }));
}

/**
 * The process metrics (`process_*`, `nodejs_*`) of one process, labelled `process="<name>"` and
 * summed (which, with the label, passes each through): they describe one OS process each — its
 * descriptors against its own limit, its event loop, its memory — and summing or averaging them
 * over processes would hide the one in trouble. The relay's own families are returned unchanged.
 */
export function labelProcessMetrics(families: readonly FamilySnapshot[], processName: string): FamilySnapshot[] {
  return families.map((family) =>
    isProcessMetric(family.name)
      ? {
          ...family,
          aggregator: 'sum',
          values: family.values.map((sample) => ({ ...sample, labels: { ...sample.labels, process: processName } })),
        }
      : family,
  );
}

/** Families whose value only grows: what a retired process leaves behind. */
function isCumulative(family: FamilySnapshot): boolean {
  return (family.type === 'counter' || family.type === 'histogram') && family.aggregator === 'sum';
}

/** Key of a sample within its family: its own name and its labels, in name order. */
function sampleKey(family: FamilySnapshot, sample: SampleSnapshot): string {
  const names = Object.keys(sample.labels).sort();
  return JSON.stringify([sample.metricName ?? family.name, ...names.map((name) => [name, String(sample.labels[name])])]);
}

interface RetiredFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: Map<string, { value: number; labels: Readonly<Record<string, string | number>>; metricName?: string }>;
}

/**
 * What processes that are gone counted: the last snapshot of each, counters and histograms only
 * (bucket, sum and count samples alike), summed per sample. Merged with the live processes it
 * keeps every counter of the whole from going backwards when a process is replaced. Gauges are
 * not kept: they describe what is, and a process that is gone holds nothing.
 */
export class RetiredTotals {
  private readonly families = new Map<string, RetiredFamily>();

  /** Adds the last snapshot of a process that is gone. Call once per process. */
  add(snapshot: readonly FamilySnapshot[]): void {
    for (const family of snapshot) {
      if (!isCumulative(family)) continue;
      let kept = this.families.get(family.name);
      if (kept === undefined) {
        kept = { name: family.name, help: family.help, type: family.type, samples: new Map() };
        this.families.set(family.name, kept);
      }
      for (const sample of family.values) {
        // A broken value must not poison the total for good (prom-client refuses to print it anyway).
        if (!Number.isFinite(sample.value)) continue;
        const key = sampleKey(family, sample);
        const previous = kept.samples.get(key);
        if (previous !== undefined) previous.value += sample.value;
        else {
          const copy: { value: number; labels: Readonly<Record<string, string | number>>; metricName?: string } = { value: sample.value, labels: { ...sample.labels } };
          if (sample.metricName !== undefined) copy.metricName = sample.metricName;
          kept.samples.set(key, copy);
        }
      }
    }
  }

  /** The kept totals in the snapshot shape, ready to be merged as one more process. */
  snapshot(): FamilySnapshot[] {
    return [...this.families.values()].map((family) => ({
      name: family.name,
      help: family.help,
      type: family.type,
      aggregator: 'sum',
      values: [...family.samples.values()].map((sample) => ({ ...sample, labels: { ...sample.labels } })),
    }));
  }

  /** Number of families kept (tests, /status). */
  get size(): number {
    return this.families.size;
  }
}

/**
 * Merge the snapshots of several processes into one registry to serve on /metrics, each family
 * by its `aggregator` (prom-client's AggregatorRegistry.aggregate). The first snapshot that has a
 * family gives its help text and aggregator: pass the workers' first.
 */
export function aggregateSnapshots(snapshots: ReadonlyArray<readonly FamilySnapshot[]>): Registry {
  return AggregatorRegistry.aggregate<PrometheusContentType>(snapshots as unknown as object[]);
}
