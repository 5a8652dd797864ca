/**
 * Test-only parser of the Prometheus text exposition format (0.0.4): enough to read back every
 * sample /metrics serves and compare it with what a session should have produced.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq === -1 || text[eq + 1] !== '"') throw new Error(`bad labels in: ${line}`);
    const key = text.slice(i, eq).trim();
    let j = eq + 2;
    let value = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        const next = text[j + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        j += 2;
      } else {
        value += text[j];
        j++;
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    labels[key] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  // prom-client prints NaN as "Nan" (event-loop stats before the first sample); Prometheus parses it case-insensitively.
  if (v.toLowerCase() === 'nan') return NaN;
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`bad sample value ${v}`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const exp: Exposition = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      exp.help.set(rest.slice(0, sp), rest.slice(sp + 1));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      exp.type.set(name as string, type as string);
      continue;
    }
    if (line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    if (brace !== -1 && brace < line.indexOf(' ')) {
      const close = line.lastIndexOf('}');
      name = line.slice(0, brace);
      labels = parseLabels(line.slice(brace + 1, close), line);
      rest = line.slice(close + 1).trim();
    } else {
      const sp = line.indexOf(' ');
      name = line.slice(0, sp);
      rest = line.slice(sp + 1).trim();
    }
    exp.samples.push({ name, labels, value: parseValue(rest.split(' ')[0] as string) });
  }
  return exp;
}

function matches(sample: Sample, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(labels)) if (sample.labels[k] !== v) return false;
  return true;
}

/** Value of the one sample with exactly these labels (undefined when absent). */
export function sampleValue(exp: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.keys(labels).length;
  const found = exp.samples.filter((s) => s.name === name && Object.keys(s.labels).length === wanted && matches(s, labels));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Sum over every sample of `name` whose labels include `labels`. */
export function sumSamples(exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exp.samples.filter((s) => s.name === name && matches(s, labels)).reduce((a, s) => a + s.value, 0);
}

/** All samples of `name` as `{labels as JSON: value}`, for readable toEqual diffs. */
/** seriesOf without the series at 0: what was counted, apart from the presets. */
export function countedSeriesOf(exp: Exposition, name: string): Record<string, number> {
  return Object.fromEntries(Object.entries(seriesOf(exp, name)).filter(([, value]) => value !== 0));
}

export function seriesOf(exp: Exposition, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of exp.samples) {
    if (s.name !== name) continue;
    const keys = Object.keys(s.labels).sort();
    out[keys.map((k) => `${k}=${s.labels[k]}`).join(',')] = s.value;
  }
  return out;
}
