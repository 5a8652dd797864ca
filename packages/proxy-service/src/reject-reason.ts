import { STRATUM_ERROR_CODES } from '@stratum-relay/shared-types';
import type { ShareRejectReason } from '@stratum-relay/metrics';

const BY_CODE: ReadonlyMap<number, ShareRejectReason> = new Map<number, ShareRejectReason>([
  [STRATUM_ERROR_CODES.OTHER, 'other'],
  [STRATUM_ERROR_CODES.JOB_NOT_FOUND, 'stale'],
  [STRATUM_ERROR_CODES.DUPLICATE_SHARE, 'duplicate'],
  [STRATUM_ERROR_CODES.LOW_DIFFICULTY, 'low_difficulty'],
  [STRATUM_ERROR_CODES.UNAUTHORIZED, 'unauthorized'],
  [STRATUM_ERROR_CODES.NOT_SUBSCRIBED, 'not_subscribed'],
]);

/**
 * Message fragments pools really send when they do not use slush's codes (ckpool: "Stale",
 * "Above target"; bitcoind-derived pools: "high-hash"; NOMP: "job not found", "duplicate share",
 * "low difficulty share"; several: "Unauthorized worker", "Invalid worker"). Checked in order.
 */
const BY_MESSAGE: ReadonlyArray<readonly [string, ShareRejectReason]> = [
  ['stale', 'stale'],
  ['job not found', 'stale'],
  ['duplicate', 'duplicate'],
  ['low difficulty', 'low_difficulty'],
  ['above target', 'low_difficulty'],
  ['high-hash', 'low_difficulty'],
  ['low diff', 'low_difficulty'],
  ['unauthorized', 'unauthorized'],
  ['not authorized', 'unauthorized'],
  ['invalid worker', 'unauthorized'],
  ['not subscribed', 'not_subscribed'],
];

/**
 * Why the pool rejected a share, from the `error` of its mining.submit answer. Error shapes seen:
 * `[code, message, traceback]` (spec), `{code, message}` (some pools), a bare string. A known code
 * (20–25) wins; otherwise the message is matched case-insensitively; `false` without error is `other`.
 */
export function rejectReason(error: unknown): ShareRejectReason {
  let code: unknown;
  let message: unknown;
  if (Array.isArray(error)) {
    code = error[0];
    message = error[1];
  } else if (typeof error === 'string') {
    message = error;
  } else if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown };
    code = e.code;
    message = e.message;
  }
  if (typeof code === 'number') {
    const byCode = BY_CODE.get(code);
    if (byCode !== undefined) return byCode;
  }
  if (typeof message === 'string') {
    const lower = message.toLowerCase();
    for (const [fragment, reason] of BY_MESSAGE) {
      if (lower.includes(fragment)) return reason;
    }
  }
  return 'other';
}

/** True when a mining.submit answer means "accepted": `result === true` and no error. */
export function isAccepted(result: unknown, error: unknown): boolean {
  return result === true && (error === null || error === undefined);
}
