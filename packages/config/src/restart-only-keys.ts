import type { ConfigKey } from './schema';

/**
 * Options a reload (SIGHUP) cannot apply, so changing one takes a restart: listening sockets are
 * bound once (addresses, ports, backlog) and the log format is fixed when the logger is built.
 */
export const RESTART_ONLY_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>([
  'proxyHost',
  'proxyPort',
  'metricsHost',
  'metricsPort',
  'tlsHost',
  'tlsPort',
  'listenBacklog',
  'logFormat',
]);
