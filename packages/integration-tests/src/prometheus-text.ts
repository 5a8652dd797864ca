import { MetricsParseError } from './errors';

/** One sample of a scrape: `name{labels} value`. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type LabelFilter = Readonly<Record<string, string>>;

function matches(labels: Readonly<Record<string, string>>, filter: LabelFilter | undefined): boolean {
  if (filter === undefined) return true;
  for (const key of Object.keys(filter)) {
    if (labels[key] !== filter[key]) return false;
  }
  return true;
}

function sameLabels(a: Readonly<Record<string, string>>, b: LabelFilter): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The samples of one scrape, with the look-ups the tests need. */
export class MetricSamples {
  constructor(readonly samples: readonly MetricSample[]) {}

  /** Samples of `name` whose labels include every pair of `filter`. */
  all(name: string, filter?: LabelFilter): MetricSample[] {
    return this.samples.filter((s) => s.name === name && matches(s.labels, filter));
  }

  /** Sum of the samples of `name` matching `filter` (0 when there are none). */
  sum(name: string, filter?: LabelFilter): number {
    let total = 0;
    for (const s of this.samples) if (s.name === name && matches(s.labels, filter)) total += s.value;
    return total;
  }

  /** The value of the one sample of `name` with exactly these labels, or undefined. */
  get(name: string, labels: LabelFilter = {}): number | undefined {
    return this.samples.find((s) => s.name === name && sameLabels(s.labels, labels))?.value;
  }

  /** Distinct values of `label` among the samples of `name`. */
  labelValues(name: string, label: string): string[] {
    const out = new Set<string>();
    for (const s of this.samples) {
      const v = s.name === name ? s.labels[label] : undefined;
      if (v !== undefined) out.add(v);
    }
    return [...out];
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string, lineNo: number): number {
  // Go's ParseFloat (what Prometheus uses) takes NaN and Inf in any case; prom-client writes "Nan".
  switch (text.toLowerCase()) {
    case '+inf':
    case 'inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
      return NaN;
  }
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new MetricsParseError(`line ${lineNo}: bad sample value ${JSON.stringify(text)}`);
  return n;
}

/** Parses `{a="x",b="y\"z"}` starting at `line[start] === '{'`; returns the labels and the index after `}`. */
function parseLabels(line: string, start: number, lineNo: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = start + 1;
  const fail = (why: string): never => {
    throw new MetricsParseError(`line ${lineNo}: ${why} at column ${i + 1}: ${line}`);
  };
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const m = LABEL_NAME.exec(line.slice(i));
    if (m === null) fail('expected a label name');
    const key = (m as RegExpExecArray)[0];
    i += key.length;
    if (line[i] !== '=' || line[i + 1] !== '"') fail('expected ="');
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) fail('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next ?? ''}`;
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    i++; // closing quote
    labels[key] = value;
    while (line[i] === ' ') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') fail('expected , or }');
  }
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4): `# HELP` / `# TYPE` and other
 * comments are skipped, every sample line becomes `{name, labels, value}` (an optional timestamp
 * is ignored). Throws MetricsParseError (SRL_ERR_IT_METRICS_PARSE) on a malformed line.
 */
export function parsePrometheusText(text: string): MetricSamples {
  const samples: MetricSample[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = NAME.exec(line);
    if (m === null) throw new MetricsParseError(`line ${n + 1}: expected a metric name: ${line}`);
    const name = m[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i, n + 1);
      labels = { ...parsed.labels };
      i = parsed.end;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    if (rest.length < 1 || rest.length > 2) throw new MetricsParseError(`line ${n + 1}: expected "value [timestamp]": ${line}`);
    samples.push({ name, labels, value: parseValue(rest[0] as string, n + 1) });
  }
  return new MetricSamples(samples);
}
