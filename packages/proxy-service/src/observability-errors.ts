/**
 * Errors of the observability side (HTTP endpoints). Kept apart from the service's `errors.ts`
 * (owned elsewhere); the lead may fold this class into it. Tests assert on `.code`.
 */
export type ObservabilityErrorCode = 'SRL_ERR_METRICS_ADDRESS_IN_USE' | 'SRL_ERR_METRICS_LISTEN';

export class ObservabilityError extends Error {
  readonly code: ObservabilityErrorCode;
  constructor(code: ObservabilityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObservabilityError';
    this.code = code;
  }
}
