export { configSchema, LOG_LEVELS, LOG_FORMATS } from './schema';
export type { Config, ConfigKey } from './schema';
export { OPTIONS, CONFIG_FILE_FLAG, CONFIG_FILE_ENV, optionSources } from './options';
export type { OptionMeta, OptionKind } from './options';
export { loadConfig, wantsHelp } from './load-config';
export type { LoadConfigInput } from './load-config';
export { helpText } from './help-text';
export { ConfigError } from './errors';
export type { ConfigErrorCode } from './errors';
