export type IntegrationErrorCode =
  | 'SRL_ERR_IT_TIMEOUT'
  | 'SRL_ERR_IT_NOT_BUILT'
  | 'SRL_ERR_IT_PROCESS_START'
  | 'SRL_ERR_IT_HTTP'
  | 'SRL_ERR_IT_METRICS_PARSE'
  | 'SRL_ERR_IT_PROMETHEUS_API'
  | 'SRL_ERR_IT_SOCKET';

/** Base error of the integration harness: tests assert on `.code`, never on message text. */
export class IntegrationError extends Error {
  readonly code: IntegrationErrorCode;
  constructor(code: IntegrationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IntegrationError';
    this.code = code;
  }
}

/** A bounded wait (waitFor, a process start, a socket read) ran out of time. */
export class WaitTimeoutError extends IntegrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SRL_ERR_IT_TIMEOUT', message, options);
    this.name = 'WaitTimeoutError';
  }
}

/** A program under test did not come up (exited early, never became healthy). */
export class ProcessStartError extends IntegrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SRL_ERR_IT_PROCESS_START', message, options);
    this.name = 'ProcessStartError';
  }
}

/** A program's compiled output is missing: the tests run the real bin, which needs `tsc -b`. */
export class NotBuiltError extends IntegrationError {
  constructor(path: string) {
    super('SRL_ERR_IT_NOT_BUILT', `${path} is missing: build first (\`npx tsc -b\` at the repo root; the root test command does it)`);
    this.name = 'NotBuiltError';
  }
}

/** An HTTP request to a program's control or metrics port failed or answered non-2xx. */
export class HttpError extends IntegrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SRL_ERR_IT_HTTP', message, options);
    this.name = 'HttpError';
  }
}

/** A /metrics body is not valid Prometheus text exposition format. */
export class MetricsParseError extends IntegrationError {
  constructor(message: string) {
    super('SRL_ERR_IT_METRICS_PARSE', message);
    this.name = 'MetricsParseError';
  }
}

/** The Prometheus HTTP API answered `status: "error"` (bad PromQL, a timeout) or a result of another type than asked for. */
export class PrometheusApiError extends IntegrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SRL_ERR_IT_PROMETHEUS_API', message, options);
    this.name = 'PrometheusApiError';
  }
}
