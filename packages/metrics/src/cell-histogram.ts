import type { Metric, Registry } from 'prom-client';
import { labelKey } from './counter-cell';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** What the registry reads from a metric (prom-client's histogram export format). */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  exemplar?: null;
}
interface ExportedMetric {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

/**
 * The bucket counts of one label set of a CellHistogram. Resolve it once when its labels are
 * known and keep it; `observe` is then a bucket search and three adds.
 */
export class HistogramCell {
  /** Observations per bucket, not cumulative: counts[i] has the values in (bounds[i-1], bounds[i]]. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** In the family's exposition list (observed since the last reset, or a histogram without labels). */
  listed = false;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
    /** The family's series in order of first observation (prom-client's order). */
    private readonly shown: HistogramCell[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  /** HOT PATH: no hashing, no label validation, no allocation. */
  observe(value: number): void {
    // Same contract as prom-client: a NaN or infinity would poison the sum for good.
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    // Above the last bound: only in +Inf, which is the count.
    if (i < bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (!this.listed) this.list();
  }

  /** Joins the exposition (first observation since the reset). */
  list(): void {
    this.listed = true;
    this.shown.push(this);
  }
}

export interface CellHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Upper bounds, ascending; +Inf is implied. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/**
 * A Prometheus histogram whose series are HistogramCells, published exactly at scrape time.
 *
 * prom-client's `Histogram.observe(labels, v)` (and its `labels()` children) validate the label
 * object, hash it into a string key and look that up on every observation; the collector
 * observes one latency per answered request and one difficulty per audited share. Here the
 * label set is resolved once (`cell(labels)`) and an observation only touches plain numbers.
 *
 * The registry reads it like a prom-client Histogram (same `getForPromString()` / `get()`
 * shapes), so the exposition is the same text: name, HELP, TYPE, `_bucket{le}` cumulative
 * counts including `+Inf`, `_sum`, `_count`, series in order of their first observation, a
 * label-less histogram visible at 0 from the start.
 */
export class CellHistogram<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
  private readonly cells = new Map<string, HistogramCell>();
  private readonly shown: HistogramCell[] = [];
  private readonly unlabelled: HistogramCell | null;

  constructor(config: CellHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = Object.freeze([...(config.labelNames ?? [])]);
    this.buckets = Object.freeze([...config.buckets]);
    if (!METRIC_NAME.test(this.name)) throw new Error(`Invalid metric name: ${this.name}`);
    for (const label of this.labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new Error(`Invalid label name: ${label}`);
      if (label === 'le') throw new Error('le is a reserved label keyword');
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (!Number.isFinite(this.buckets[i]) || (i > 0 && this.buckets[i]! <= this.buckets[i - 1]!)) {
        throw new Error(`${this.name}: buckets must be finite and strictly ascending`);
      }
    }
    // prom-client shows a histogram without labels (at 0) before any observation.
    this.unlabelled = this.labelNames.length === 0 ? this.cell({} as Record<L, string>) : null;
    this.unlabelled?.list();
    // The registry duck-types its metrics (get / getForPromString); its .d.ts lists only its own classes.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The cell of a label set (every label of the histogram, strings), created once. Not per event. */
  cell(labels: Readonly<Record<L, string>>): HistogramCell {
    const key = labelKey(this.labelNames, labels);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      cell = new HistogramCell(Object.freeze(own), this.buckets, this.shown);
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** Observe on a histogram without labels. */
  observe(value: number): void {
    if (this.unlabelled === null) throw new Error(`${this.name} has labels: observe through cell(labels)`);
    this.unlabelled.observe(value);
  }

  /** Zeroes every series (Registry.resetMetrics); labelled series disappear until observed again. */
  reset(): void {
    this.shown.length = 0;
    for (const cell of this.cells.values()) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
      cell.listed = false;
    }
    this.unlabelled?.list();
  }

  /** What Registry.metrics() prints: bucket labels apart from the series labels, as prom-client's Histogram does. */
  getForPromString(): Promise<ExportedMetric> {
    const bucketName = `${this.name}_bucket`;
    const sumName = `${this.name}_sum`;
    const countName = `${this.name}_count`;
    const values: ExportedValue[] = [];
    for (const cell of this.shown) {
      const shared = cell.labels;
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += cell.counts[i]!;
        values.push({ labels: { le: this.buckets[i]! }, sharedLabels: shared, value: acc, metricName: bucketName, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: shared, value: cell.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: shared, value: cell.sum, metricName: sumName },
        { labels: {}, sharedLabels: shared, value: cell.count, metricName: countName },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** JSON form (Registry.getMetricsAsJSON, cluster aggregation): every value carries all its labels. */
  async get(): Promise<ExportedMetric> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, value, metricName, exemplar }) => {
      const out: ExportedValue = { labels: { ...labels, ...sharedLabels }, value, metricName };
      if (exemplar !== undefined) out.exemplar = exemplar;
      return out;
    });
    return data;
  }
}
