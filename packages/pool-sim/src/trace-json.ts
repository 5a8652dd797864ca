import type { TraceRecord } from './trace-ring';

/** A trace line as the control API answers it: the record plus its ISO time and the parsed JSON. */
export interface TraceEntryJson extends TraceRecord {
  readonly time: string;
  /** The line's JSON (masked like the line), or null when it is not JSON. */
  readonly parsed: unknown;
}

/**
 * Parsed on the way out, not when recorded: the ring keeps one string per line, and only the
 * lines someone asks for pay for a parse.
 */
export function traceEntryJson(r: TraceRecord): TraceEntryJson {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(r.line);
  } catch {
    // Not JSON (a malformed line): `line` still shows it.
  }
  return { ...r, time: new Date(r.t).toISOString(), parsed };
}
