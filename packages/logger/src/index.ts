export { createLogger, connectionLogger } from './create-logger';
export type { Logger, LogLevel, LogFormat, LogDestination, LoggerOptions } from './create-logger';
export { redactStratumParams, redactStratumText, redactSecrets, REDACTED } from './redact';
