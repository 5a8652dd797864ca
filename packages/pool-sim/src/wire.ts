import type { JsonRpcId } from '@stratum-relay/shared-types';

/**
 * Serializers for what the pool writes. The id is echoed exactly as received (number,
 * string or null): cpuminer reuses one id for every submit and ASIC firmware uses strings.
 */
export function resultLine(id: JsonRpcId, result: unknown): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"result":${JSON.stringify(result)},"error":null}\n`);
}

/** `[code, message, null]` is the error form of slush's spec, which miners parse. */
export function errorLine(id: JsonRpcId, result: false | null, code: number, message: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"result":${String(result)},"error":[${code},${JSON.stringify(message)},null]}\n`);
}

export function notificationLine(method: string, params: readonly unknown[]): Buffer {
  return Buffer.from(`${JSON.stringify({ id: null, method, params })}\n`);
}

/** Precomputed: the submit answer of an accepted share never changes but for its id. */
const ACCEPT_SUFFIX = ',"result":true,"error":null}\n';

export function acceptLine(id: JsonRpcId): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)}${ACCEPT_SUFFIX}`);
}
