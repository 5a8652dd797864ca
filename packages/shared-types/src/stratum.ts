/**
 * Stratum V1 wire types. Stratum is JSON-RPC 1.0-ish over newline-delimited TCP:
 * requests carry `id` + `method` + `params`, responses carry `id` + `result` + `error`,
 * notifications are requests whose `id` is null (or absent, as some pools send them).
 */

/** JSON-RPC ids seen in the wild: numbers (most miners), strings (some ASIC firmware), null. */
export type JsonRpcId = number | string | null;

/** The methods seen in the wild; anything else is still relayed and observed as `other`. */
export const STRATUM_METHODS = [
  'mining.subscribe',
  'mining.authorize',
  'mining.configure',
  'mining.extranonce.subscribe',
  'mining.suggest_difficulty',
  'mining.submit',
  'mining.notify',
  'mining.set_difficulty',
  'mining.set_extranonce',
  'mining.set_version_mask',
  'client.reconnect',
  'client.show_message',
  'client.get_version',
] as const;

export type StratumMethod = (typeof STRATUM_METHODS)[number];

const KNOWN_METHODS: ReadonlySet<string> = new Set(STRATUM_METHODS);

/** Hand-written guard: cheap enough for the hot path. */
export function isKnownMethod(method: string): method is StratumMethod {
  return KNOWN_METHODS.has(method);
}

/**
 * Stratum's error codes (slush's draft spec, followed by most pools):
 * 20 other / malformed, 21 job not found (stale), 22 duplicate share, 23 low difficulty,
 * 24 unauthorized worker, 25 not subscribed.
 */
export const STRATUM_ERROR_CODES = {
  OTHER: 20,
  JOB_NOT_FOUND: 21,
  DUPLICATE_SHARE: 22,
  LOW_DIFFICULTY: 23,
  UNAUTHORIZED: 24,
  NOT_SUBSCRIBED: 25,
} as const;

export type StratumErrorCode = (typeof STRATUM_ERROR_CODES)[keyof typeof STRATUM_ERROR_CODES];

/** Stratum errors are `[code, message, traceback]`; some pools send `{code, message}` or a bare string. */
export type StratumErrorValue = [number, string, unknown?] | { code?: number; message?: string } | string | null;

export interface StratumRequest {
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params: readonly unknown[];
}

export interface StratumNotification {
  readonly id: null;
  readonly method: string;
  readonly params: readonly unknown[];
}

export interface StratumResponse {
  readonly id: JsonRpcId;
  readonly result: unknown;
  readonly error: unknown;
}

export type StratumMessage = StratumRequest | StratumNotification | StratumResponse;

/** Typed params of the messages the proxy interprets (positions per the Stratum V1 spec). */
export type SubmitParams = [
  workerName: string,
  jobId: string,
  extranonce2: string,
  ntime: string,
  nonce: string,
  versionBits?: string,
];

/** mining.notify params. */
export type NotifyParams = [
  jobId: string,
  prevhash: string,
  coinb1: string,
  coinb2: string,
  merkleBranch: string[],
  version: string,
  nbits: string,
  ntime: string,
  cleanJobs: boolean,
];
