import type { JsonRpcId } from '@stratum-relay/shared-types';

/** What one decoded line turned out to be. */
export type StratumMessageKind = 'request' | 'notification' | 'response' | 'not_stratum';

/**
 * Output slot of {@link classifyStratumMessage}. The caller owns one and reuses it for every line,
 * so classifying allocates nothing. Only the fields of the returned kind are meaningful.
 */
export interface ClassifiedMessage {
  /** Any JSON value for requests and responses: ids are relayed as seen, however odd. */
  id: JsonRpcId;
  method: string;
  params: readonly unknown[];
  result: unknown;
  error: unknown;
}

/** `params` absent: an empty, shared, frozen array rather than a new one per message. */
export const EMPTY_PARAMS: readonly unknown[] = Object.freeze([]);

export function createClassifiedMessage(): ClassifiedMessage {
  return { id: null, method: '', params: EMPTY_PARAMS, result: undefined, error: undefined };
}

const hasOwn = Object.hasOwn;

/**
 * Hand-written guard (per STYLE.md: no schema parse per message).
 *
 * - An object with a string `method` is a request when `id` is neither null nor absent, else a
 *   notification (pools send `mining.notify` with `"id": null`, some omit `id`). `params` must be
 *   an array; absent means `[]`.
 * - Otherwise an object with an `id` key and a `result` or `error` key is a response; `id` may be
 *   anything (null answers a request the pool could not parse) and `error` has any shape
 *   (`[code, msg, tb]`, `{code, message}`, a string).
 * - Anything else is not Stratum.
 *
 * Only own properties count: a `"__proto__"` key must not make a message out of inherited fields,
 * whichever JSON decoder built the object.
 */
export function classifyStratumMessage(value: unknown, out: ClassifiedMessage): StratumMessageKind {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not_stratum';
  const o = value as Record<string, unknown>;
  const method = hasOwn(o, 'method') ? o.method : undefined;
  const hasId = hasOwn(o, 'id');
  const id = hasId ? o.id : undefined;
  if (typeof method === 'string') {
    let params: unknown = hasOwn(o, 'params') ? o.params : undefined;
    if (params === undefined) params = EMPTY_PARAMS;
    else if (!Array.isArray(params)) return 'not_stratum';
    out.method = method;
    out.params = params as readonly unknown[];
    if (id === undefined || id === null) return 'notification';
    out.id = id as JsonRpcId;
    return 'request';
  }
  if (hasId && (hasOwn(o, 'result') || hasOwn(o, 'error'))) {
    out.id = id as JsonRpcId;
    out.result = hasOwn(o, 'result') ? o.result : undefined;
    out.error = hasOwn(o, 'error') ? o.error : undefined;
    return 'response';
  }
  return 'not_stratum';
}
