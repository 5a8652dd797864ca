export type PoolSimErrorCode =
  | 'SRL_ERR_POOL_SIM_OPTIONS'
  | 'SRL_ERR_POOL_SIM_CLI'
  | 'SRL_ERR_POOL_SIM_LISTEN'
  | 'SRL_ERR_POOL_SIM_NOT_LISTENING'
  | 'SRL_ERR_POOL_SIM_UNKNOWN_PROFILE';

/** Base error of pool-sim: tests assert on `.code`, never on message text. */
export class PoolSimError extends Error {
  readonly code: PoolSimErrorCode;
  constructor(code: PoolSimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoolSimError';
    this.code = code;
  }
}

/** An option passed to the constructor is out of range or of the wrong type. */
export class InvalidOptionError extends PoolSimError {
  constructor(message: string) {
    super('SRL_ERR_POOL_SIM_OPTIONS', message);
    this.name = 'InvalidOptionError';
  }
}

/** A command-line flag is unknown or its value is invalid (the CLI exits 2 on it). */
export class CliUsageError extends PoolSimError {
  constructor(message: string) {
    super('SRL_ERR_POOL_SIM_CLI', message);
    this.name = 'CliUsageError';
  }
}

export class ListenError extends PoolSimError {
  constructor(message: string, cause: unknown) {
    super('SRL_ERR_POOL_SIM_LISTEN', message, { cause });
    this.name = 'ListenError';
  }
}

/** A profile switch named no profile; `known` lists the names that exist. */
export class UnknownProfileError extends PoolSimError {
  constructor(
    readonly requested: string,
    readonly known: readonly string[],
  ) {
    super('SRL_ERR_POOL_SIM_UNKNOWN_PROFILE', `unknown profile ${JSON.stringify(requested)}; known: ${known.join(', ')}`);
    this.name = 'UnknownProfileError';
  }
}
