import type { UpstreamFailureReason } from '@stratum-relay/shared-types';

/**
 * Maps the errno code of a failed upstream connect to the bounded set of reasons that metrics
 * may use as a label. Our own connect timer is reported as `timeout` by the caller.
 */
export function upstreamFailureReason(code: string | undefined): UpstreamFailureReason {
  if (code !== undefined && isTlsErrorCode(code)) return 'tls';
  switch (code) {
    // The proxy's own limits, not the pool's fault (measured: EMFILE under the 20,000-descriptor
    // cap flapped stratum_pool_up): never mark a pool down for these.
    case 'EMFILE':
    case 'ENFILE':
    case 'EADDRNOTAVAIL':
    case 'ENOBUFS':
    case 'ENOMEM':
      return 'local_resources';
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

/** Certificate verification and handshake failures reported by node:tls / OpenSSL. */
const TLS_CERT_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
]);

function isTlsErrorCode(code: string): boolean {
  return TLS_CERT_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code === 'EPROTO';
}
