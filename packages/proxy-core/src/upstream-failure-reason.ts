import type { UpstreamFailureReason } from '@stratum-relay/shared-types';

/**
 * Maps the errno code of a failed upstream connect to the bounded set of reasons that metrics
 * may use as a label. Our own connect timer is reported as `timeout` by the caller.
 */
export function upstreamFailureReason(code: string | undefined): UpstreamFailureReason {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return 'dns';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'unreachable';
    case 'ECONNRESET':
      return 'reset';
    default:
      return 'error';
  }
}

/** The errno code of a socket error (`ECONNRESET`, …), or its message when it has none. */
export function errorLabel(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/** The errno code of an error, if it carries one. */
export function errorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
