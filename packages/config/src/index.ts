export { configSchema, LOG_LEVELS, LOG_FORMATS } from './schema';
export type { Config, ConfigKey } from './schema';
