export type ProxyCoreErrorCode =
  | 'SRL_ERR_LISTEN'
  | 'SRL_ERR_ADDRESS_IN_USE'
  | 'SRL_ERR_NOT_LISTENING';

/** Base error of proxy-core: tests assert on `.code`, never on message text. */
export class ProxyCoreError extends Error {
  readonly code: ProxyCoreErrorCode;
  constructor(code: ProxyCoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyCoreError';
    this.code = code;
  }
}
