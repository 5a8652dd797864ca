import { TRACE_DIRECTIONS, type TraceDirection, type TraceQuery } from './trace-ring';

/** `GET /api/traces` answers at most this many lines (the whole default ring). */
export const MAX_TRACE_LIMIT = 10_000;
/** Lines answered when the request names no limit. */
export const DEFAULT_TRACE_LIMIT = 100;
/** Longer than any Stratum method; a longer filter is a mistake, not a method. */
const MAX_METHOD_LENGTH = 128;
const TRACE_PARAMS = ['session', 'method', 'direction', 'limit', 'since'] as const;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

/** A session id as the pool numbers them: a decimal integer from 0. */
export function parseSessionId(raw: string): Parsed<number> {
  if (!/^\d{1,10}$/.test(raw)) return fail(`session must be a session number (0, 1, 2...), got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n > 2 ** 31 - 1) return fail(`session must be a session number (0, 1, 2...), got ${JSON.stringify(raw)}`);
  return { ok: true, value: n };
}

function parseCount(name: string, raw: string, min: number, max: number): Parsed<number> {
  if (!/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    return fail(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return { ok: true, value: Number(raw) };
}

/**
 * The query of `GET /api/traces?session=S&method=M&direction=D&limit=N&since=SEQ`. Every
 * parameter is optional; an unknown or repeated one is an error rather than ignored, so a
 * typo (`sesion=3`) cannot silently answer every session's lines.
 */
export function parseTraceQuery(params: URLSearchParams): Parsed<TraceQuery> {
  for (const key of new Set(params.keys())) {
    if (!(TRACE_PARAMS as readonly string[]).includes(key)) {
      return fail(`unknown query parameter ${JSON.stringify(key)}; known: ${TRACE_PARAMS.join(', ')}`);
    }
    if (params.getAll(key).length > 1) return fail(`query parameter ${JSON.stringify(key)} given more than once`);
  }
  const query: { session?: number; method?: string; direction?: TraceDirection; since?: number; limit: number } = {
    limit: DEFAULT_TRACE_LIMIT,
  };
  const session = params.get('session');
  if (session !== null) {
    const p = parseSessionId(session);
    if (!p.ok) return p;
    query.session = p.value;
  }
  const method = params.get('method');
  if (method !== null) {
    if (method.length === 0 || method.length > MAX_METHOD_LENGTH) {
      return fail(`method must be 1 to ${MAX_METHOD_LENGTH} characters, got ${method.length}`);
    }
    query.method = method;
  }
  const direction = params.get('direction');
  if (direction !== null) {
    if (!(TRACE_DIRECTIONS as readonly string[]).includes(direction)) {
      return fail(`direction must be one of ${TRACE_DIRECTIONS.join(', ')}, got ${JSON.stringify(direction)}`);
    }
    query.direction = direction as TraceDirection;
  }
  const limit = params.get('limit');
  if (limit !== null) {
    const p = parseCount('limit', limit, 1, MAX_TRACE_LIMIT);
    if (!p.ok) return p;
    query.limit = p.value;
  }
  const since = params.get('since');
  if (since !== null) {
    const p = parseCount('since', since, 0, Number.MAX_SAFE_INTEGER);
    if (!p.ok) return p;
    query.since = p.value;
  }
  return { ok: true, value: query };
}
