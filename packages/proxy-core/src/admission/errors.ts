// Admission's own coded errors. They follow ProxyCoreError (../errors.ts) but live here so this
// module can be written without touching the shared file; the lead may fold them into it.

export type AdmissionErrorCode =
  /** A CIDR string given to `CidrList` is not `address/prefix` with a prefix in range. */
  | 'SRL_ERR_ADMISSION_CIDR'
  /** An admission limit is not a positive number (a zero rate would never refill). */
  | 'SRL_ERR_ADMISSION_OPTIONS';

/** Base error of the admission step: tests assert on `.code`, never on message text. */
export class AdmissionError extends Error {
  readonly code: AdmissionErrorCode;
  constructor(code: AdmissionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdmissionError';
    this.code = code;
  }
}
