/** Stable codes of every error this package throws; callers branch on these, never on message text. */
export type WorkErrorCode =
  | 'SRL_ERR_BAD_HEX'
  | 'SRL_ERR_BAD_SHARE'
  | 'SRL_ERR_BAD_JOB'
  | 'SRL_ERR_BAD_DIFFICULTY'
  | 'SRL_ERR_BAD_TARGET'
  | 'SRL_ERR_BAD_NBITS'
  | 'SRL_ERR_BAD_INPUT';

/** Base error of @stratum-relay/work. */
export class WorkError extends Error {
  readonly code: WorkErrorCode;
  constructor(code: WorkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkError';
    this.code = code;
  }
}

/** A hex string was not an even number of [0-9a-fA-F] characters, or had the wrong length. */
export class BadHexError extends WorkError {
  constructor(message = 'malformed hex string', options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_HEX', message, options);
    this.name = 'BadHexError';
  }
}

/** A submitted share could not be evaluated (malformed extranonce2 / ntime / nonce / version bits). */
export class BadShareError extends WorkError {
  constructor(message = 'malformed share', options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_SHARE', message, options);
    this.name = 'BadShareError';
  }
}

/** A job (mining.notify) could not be used to build a header. */
export class BadJobError extends WorkError {
  constructor(message = 'malformed job', options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_JOB', message, options);
    this.name = 'BadJobError';
  }
}

/** A difficulty that is not a finite number > 0. */
export class BadDifficultyError extends WorkError {
  constructor(message = 'difficulty must be a finite number > 0', options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_DIFFICULTY', message, options);
    this.name = 'BadDifficultyError';
  }
}

/** A target that is not a positive 256-bit integer. */
export class BadTargetError extends WorkError {
  constructor(message = 'target must be a positive integer', options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_TARGET', message, options);
    this.name = 'BadTargetError';
  }
}

/** A compact target (nbits) that is negative or overflows 256 bits. */
export class BadNbitsError extends WorkError {
  constructor(message = 'invalid compact target (nbits)', options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_NBITS', message, options);
    this.name = 'BadNbitsError';
  }
}

/** Any other argument out of range (empty txid list, wrong buffer length, height < 0, …). */
export class BadInputError extends WorkError {
  constructor(message = 'invalid argument', options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_INPUT', message, options);
    this.name = 'BadInputError';
  }
}
