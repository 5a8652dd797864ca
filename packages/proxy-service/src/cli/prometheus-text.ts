/** One sample of the Prometheus text exposition format: `name{label="value",…} 12.5`. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/**
 * The samples of a /metrics body (text format 0.0.4), for `stratum-proxy status`. Comments,
 * blank lines and lines it cannot read are skipped (a CLI summary should not fail on a series
 * it does not use); label values are unescaped (`\\`, `\"`, `\n`).
 */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample !== undefined) samples.push(sample);
  }
  return samples;
}

function parseLine(line: string): PromSample | undefined {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') break;
      const label = NAME.exec(line.slice(i))?.[0];
      if (label === undefined || line[i + label.length] !== '=' || line[i + label.length + 1] !== '"') return undefined;
      i += label.length + 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined;
        i++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i++];
          value += e === 'n' ? '\n' : (e ?? '');
        } else value += c;
      }
      labels[label] = value;
    }
    i++;
  }
  const value = parseSampleValue(line.slice(i).trim().split(/\s+/)[0] ?? '');
  return value === undefined ? undefined : { name, labels, value };
}

function parseSampleValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return text === '' || Number.isNaN(n) ? undefined : n;
}

/** The sum of every sample of `name` (0 when there is none). */
export function sumOf(samples: readonly PromSample[], name: string): number {
  let total = 0;
  for (const s of samples) if (s.name === name && Number.isFinite(s.value)) total += s.value;
  return total;
}

/** The samples of `name` summed per value of `label`. */
export function sumBy(samples: readonly PromSample[], name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value)) continue;
    const key = s.labels[label] ?? '';
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}
