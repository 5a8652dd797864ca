const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `1h`, `24h`, `7d`, `2w` (also `1h30m`) in ms, or null when the text is not such a duration. */
export function parseDuration(text: string): number | null {
  const match = /^(?:\d+[smhdw])+$/.test(text) ? text.match(/\d+[smhdw]/g) : null;
  if (match === null) return null;
  let ms = 0;
  for (const part of match) ms += Number(part.slice(0, -1)) * (UNITS[part.slice(-1)] ?? 0);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}
