export type ProxyServiceErrorCode =
  /** The proxy or metrics port is taken; the message names the option to change. */
  | 'SRL_ERR_ADDRESS_IN_USE'
  /** Any other failure to start (cannot listen, observability failed). */
  | 'SRL_ERR_START'
  /** start() called twice, or after shutdown. */
  | 'SRL_ERR_SERVICE_STATE'
  /** An OTEL_* variable asks for tracing the relay cannot do (a sampler, protocol or exporter it lacks). */
  | 'SRL_ERR_TRACING_CONFIG';

/**
 * Base error of the service. Messages are written for the operator (main prints them as they
 * are, on one line); tests assert on `.code`. The underlying failure is the `cause`.
 */
export class ProxyServiceError extends Error {
  readonly code: ProxyServiceErrorCode;
  constructor(code: ProxyServiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyServiceError';
    this.code = code;
  }
}

export type ObservabilityErrorCode = 'SRL_ERR_METRICS_ADDRESS_IN_USE' | 'SRL_ERR_METRICS_LISTEN';

/** The metrics HTTP server could not start; `service.ts` turns the port case into an operator message. */
export class ObservabilityError extends Error {
  readonly code: ObservabilityErrorCode;
  constructor(code: ObservabilityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObservabilityError';
    this.code = code;
  }
}
