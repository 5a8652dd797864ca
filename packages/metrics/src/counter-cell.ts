import type { Counter } from 'prom-client';

/**
 * A counter child for the hot path. prom-client's `counter.labels(...).inc()` hashes the label
 * object on every call; the relay emits one `bytes` event per chunk and one message event per
 * line, so those counters accumulate into a plain number here and are added to the real counter
 * when it is scraped (its `collect()`). Values on /metrics are exact at scrape time.
 */
export class CounterCell {
  /** Not yet flushed into the counter. */
  pending = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  /** HOT PATH: a number add, no hashing, no allocation. */
  add(n: number): void {
    this.pending += n;
  }
}

/** The cells of one counter, one per label set (bounded by the label cap). */
export class CounterCells<L extends string> {
  private readonly cells = new Map<string, CounterCell>();

  constructor(private readonly counter: () => Counter<L>) {}

  /** The cell of a label set, created once. Call when the labels become known, not per event. */
  cell(labels: Readonly<Record<L, string>>, key: string): CounterCell {
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = new CounterCell(labels);
      this.cells.set(key, cell);
      // Make the series visible at 0 right away, as a labelled child would.
      this.counter().inc(labels as Record<L, string>, 0);
    }
    return cell;
  }

  /** Moves the accumulated values into the counter; called from the counter's `collect()`. */
  flush(): void {
    const counter = this.counter();
    for (const cell of this.cells.values()) {
      if (cell.pending !== 0) {
        const n = cell.pending;
        cell.pending = 0;
        counter.inc(cell.labels as Record<L, string>, n);
      }
    }
  }
}
