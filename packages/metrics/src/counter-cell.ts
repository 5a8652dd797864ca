import type { Counter } from 'prom-client';

/**
 * A counter child for the hot path. prom-client's `counter.labels(...).inc()` hashes the label
 * object and validates it on every call; the relay emits one `bytes` event per chunk and one
 * message event per line, and every share moves several per-worker counters. Those counters
 * accumulate into a plain number here instead; the real counter is rebuilt from its cells when
 * it is scraped (its `collect()`).
 *
 * The cell holds the running total, not a delta: the scrape sets each series to exactly that
 * number, so the value on /metrics is the same sequence of additions prom-client's `inc` would
 * have done, whenever and however often it is scraped (adding deltas would regroup the float
 * sums of stratum_accepted_difficulty_total).
 */
export class CounterCell {
  /** Total since the cell was created. */
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  /** HOT PATH: a number add, no hashing, no allocation. `n` must be finite and >= 0 (callers check). */
  add(n: number): void {
    this.value += n;
  }
}

/**
 * The cells of one counter, one per label set (bounded by the label cap). A counter with cells
 * is written only through them: its `collect()` must call `publish()`, which replaces whatever
 * else was counted on it.
 */
export class CounterCells<L extends string> {
  private readonly cells = new Map<string, CounterCell>();

  constructor(
    private readonly counter: () => Counter<L>,
    private readonly labelNames: readonly L[],
  ) {}

  /**
   * The cell of a label set, created once and visible at 0 from then on, as a labelled child
   * after `inc(0)` would be. Call when the labels become known, not per event.
   */
  cell(labels: Readonly<Record<L, string>>): CounterCell {
    const key = labelKey(this.labelNames, labels);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      cell = new CounterCell(Object.freeze(own));
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** Sets the counter to the cells' totals; called from the counter's `collect()`. */
  publish(): void {
    const counter = this.counter();
    counter.reset();
    for (const cell of this.cells.values()) {
      // A broken value must not fail the whole scrape (prom-client throws on Infinity).
      if (Number.isFinite(cell.value)) counter.inc(cell.labels as Record<L, string>, cell.value);
    }
  }
}

/**
 * Map key of a label set, in label-name order. Unambiguous for any values (worker names are
 * user-controlled: "a,b"/"c" and "a"/"b,c" stay apart). Once per label set, never per event.
 */
export function labelKey(labelNames: readonly string[], labels: Readonly<Record<string, string>>): string {
  const values: string[] = [];
  for (const name of labelNames) {
    const v = labels[name];
    if (typeof v !== 'string') throw new TypeError(`label "${name}": expected a string value`);
    values.push(v);
  }
  for (const name of Object.keys(labels)) {
    if (!labelNames.includes(name)) throw new TypeError(`label "${name}" is not one of ${labelNames.join(', ')}`);
  }
  return JSON.stringify(values);
}
