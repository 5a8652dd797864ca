import { STRATUM_ERROR_CODES } from '@stratum-relay/shared-types';

export const REJECT_REASONS = ['stale', 'duplicate', 'low_difficulty', 'unauthorized', 'not_subscribed', 'other'] as const;
export type ShareRejectReason = (typeof REJECT_REASONS)[number];

/**
 * The numeric code of a Stratum error in any of the shapes pools send: `[code, msg, tb]`
 * (slush spec), `{code, message}` (some pools), or a bare string/null (no code).
 */
export function stratumErrorCode(error: unknown): number | null {
  if (Array.isArray(error)) return typeof error[0] === 'number' ? error[0] : null;
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'number' ? code : null;
  }
  return null;
}

/** Map a rejected submit's error to a reason; `result: false` with no error is `other`. */
export function rejectReasonFromError(error: unknown): ShareRejectReason {
  switch (stratumErrorCode(error)) {
    case STRATUM_ERROR_CODES.JOB_NOT_FOUND:
      return 'stale';
    case STRATUM_ERROR_CODES.DUPLICATE_SHARE:
      return 'duplicate';
    case STRATUM_ERROR_CODES.LOW_DIFFICULTY:
      return 'low_difficulty';
    case STRATUM_ERROR_CODES.UNAUTHORIZED:
      return 'unauthorized';
    case STRATUM_ERROR_CODES.NOT_SUBSCRIBED:
      return 'not_subscribed';
    default:
      return 'other';
  }
}
