import type { LogDestination } from '@stratum-relay/logger';

/** A destination that keeps every line written, for assertions. */
export function captureDestination(): LogDestination & { lines: string[]; text(): string; json(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    text() {
      return lines.join('');
    },
    json() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}
