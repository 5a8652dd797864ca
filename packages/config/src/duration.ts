import type { ConfigKey } from './schema';

/**
 * Durations for every `*_MS` option: a plain number stays milliseconds (what the option always
 * took), or a number with a unit: `500ms`, `30s`, `10m`, `1h`, fractions allowed (`1.5s`).
 * Units are lower case only (`10M` would read as months to some), one unit per value, and the
 * result must be a whole number of milliseconds.
 */
const DURATION_TEXT = /^(-?[0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** What a problem message says a duration may look like. */
export const DURATION_FORMS = 'milliseconds, or with a unit: 500ms, 30s, 10m, 1h';

/**
 * True for the options whose value is a time in milliseconds: the key ends in `Ms` (the env name
 * in `_MS`). Derived from the name so an option added later gets durations without another list.
 */
export function isDurationKey(key: ConfigKey): boolean {
  return key.endsWith('Ms');
}

/**
 * Milliseconds for `30s`-style text, or undefined when it is not a duration with a unit (plain
 * numbers are the integer parser's). A fraction that does not land on a whole millisecond
 * (`0.5ms`, `1.0001s`) is undefined rather than rounded: the operator meant something exact.
 */
export function parseDurationText(text: string): number | undefined {
  const match = DURATION_TEXT.exec(text);
  if (match === null) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  // Number('1.1') * 1000 is 1100.0000000000002: round, then accept only an exact result.
  const whole = Math.round(ms);
  if (Math.abs(ms - whole) > 1e-6 || !Number.isSafeInteger(whole)) return undefined;
  return whole === 0 ? 0 : whole;
}

/** Milliseconds for plain digits or a duration with a unit (`500`, `30s`), as a `*_MS` option reads them; undefined otherwise. */
export function parseMillisecondsText(text: string): number | undefined {
  return /^[0-9]+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : parseDurationText(text);
}

/**
 * A millisecond count in the largest unit that holds it exactly, as an operator writes it and
 * parseDurationText reads it back: `90000` -> `90s`, `3600000` -> `1h`, `1500` -> `1500ms`.
 */
export function formatDuration(ms: number): string {
  if (Number.isSafeInteger(ms) && ms > 0) {
    for (const unit of ['h', 'm', 's'] as const) {
      const size = UNIT_MS[unit] as number;
      if (ms % size === 0) return `${ms / size}${unit}`;
    }
  }
  return `${ms}ms`;
}
