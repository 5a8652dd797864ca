import { STRATUM_ERROR_CODES } from '@stratum-relay/shared-types';

/**
 * Why a share was rejected. These names are the proxy's metric labels, so they must stay
 * exactly these six strings.
 */
export type RejectReason = 'stale' | 'duplicate' | 'low_difficulty' | 'unauthorized' | 'not_subscribed' | 'other';

export const REJECT_REASONS: readonly RejectReason[] = [
  'stale',
  'duplicate',
  'low_difficulty',
  'unauthorized',
  'not_subscribed',
  'other',
];

/** The Stratum wire code sent for each reason (slush's draft: 20 other … 25 not subscribed). */
export const REJECT_CODES: Readonly<Record<RejectReason, number>> = {
  other: STRATUM_ERROR_CODES.OTHER,
  stale: STRATUM_ERROR_CODES.JOB_NOT_FOUND,
  duplicate: STRATUM_ERROR_CODES.DUPLICATE_SHARE,
  low_difficulty: STRATUM_ERROR_CODES.LOW_DIFFICULTY,
  unauthorized: STRATUM_ERROR_CODES.UNAUTHORIZED,
  not_subscribed: STRATUM_ERROR_CODES.NOT_SUBSCRIBED,
};

/** Map a wire code back to its reason; any unknown code is `other`, like the proxy does. */
export function rejectReasonForCode(code: number): RejectReason {
  switch (code) {
    case 21:
      return 'stale';
    case 22:
      return 'duplicate';
    case 23:
      return 'low_difficulty';
    case 24:
      return 'unauthorized';
    case 25:
      return 'not_subscribed';
    default:
      return 'other';
  }
}
