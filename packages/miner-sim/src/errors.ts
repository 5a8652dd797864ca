export type MinerSimErrorCode = 'SRL_ERR_BAD_URL' | 'SRL_ERR_BAD_FLAG' | 'SRL_ERR_BAD_OPTION' | 'SRL_ERR_BAD_FAULT';

/** Base error of miner-sim: tests assert on `.code`, never on message text. */
export class MinerSimError extends Error {
  readonly code: MinerSimErrorCode;
  constructor(code: MinerSimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MinerSimError';
    this.code = code;
  }
}

/** A pool address that is not `stratum+tcp://host:port` or `host:port`. */
export class BadUrlError extends MinerSimError {
  constructor(url: string, why: string) {
    super('SRL_ERR_BAD_URL', `invalid pool url ${JSON.stringify(url)}: ${why}`);
    this.name = 'BadUrlError';
  }
}

/** A `--fault` spec that names no known mode or carries a bad probability/count. */
export class BadFaultError extends MinerSimError {
  constructor(spec: string, why: string) {
    super('SRL_ERR_BAD_FAULT', `invalid fault ${JSON.stringify(spec)}: ${why}`);
    this.name = 'BadFaultError';
  }
}

/** A MinerFarm option out of range. */
export class BadOptionError extends MinerSimError {
  constructor(name: string, why: string) {
    super('SRL_ERR_BAD_OPTION', `invalid option ${name}: ${why}`);
    this.name = 'BadOptionError';
  }
}

/** A bad command-line flag; the CLI exits with status 2. */
export class UsageError extends MinerSimError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SRL_ERR_BAD_FLAG', message, options);
    this.name = 'UsageError';
  }
}
