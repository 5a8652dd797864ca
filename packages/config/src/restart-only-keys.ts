import type { ConfigKey } from './schema';

/**
 * Options a reload (SIGHUP) cannot apply, so changing one takes a restart: listening sockets are
 * bound once (addresses, ports, backlog), the log format is fixed when the logger is built, and
 * the metrics collector's submit matching, worker-label cap and share audit are set up once (their
 * state would mean something else halfway through), and so is the message trace (its line tap is
 * given to the relay when it is built), and the share journal (its database is opened once), and the summary log line's timer. The number of worker processes is fixed when
 * the primary forks them.
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
  'submitTimeoutMs',
  'maxClientIds',
  'shareAudit',
  'traceLines',
  'traceKeepClosedMs',
  'traceMaxBytes',
  'shareJournal',
  'shareJournalMaxQueue',
  'shareJournalRetentionDays',
  'workers',
  'logSummaryIntervalMs',
]);
