import type { Config } from '@stratum-relay/config';
import { createJournalMetrics, JournalError, openJournalBackend, parseJournalTarget, redactJournalTarget, ShareJournal } from '@stratum-relay/share-journal';
import type { Registry } from 'prom-client';
import { ProxyServiceError } from './errors';

/** pino's shape, loosely typed (as ObservabilityOptions.logger). */
interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * The share journal for SHARE_JOURNAL, its metrics on the service's registry, started (the
 * database is migrated and written in the background); null when the option is unset.
 * @throws ProxyServiceError SRL_ERR_START when the value is not a journal or a SQLite file cannot be opened.
 */
export function openServiceJournal(config: Config, registry: Registry, logger: Log): ShareJournal | null {
  if (config.shareJournal === null) return null;
  let journal: ShareJournal;
  try {
    const target = parseJournalTarget(config.shareJournal);
    const backend = openJournalBackend(target, { applicationName: 'stratum-proxy' });
    const holder: { journal: ShareJournal | null } = { journal: null };
    journal = new ShareJournal({
      backend,
      metrics: createJournalMetrics(registry, () => holder.journal?.queued ?? 0),
      log: logger,
      maxQueue: config.shareJournalMaxQueue,
      retentionDays: config.shareJournalRetentionDays,
    });
    holder.journal = journal;
  } catch (error) {
    const why = error instanceof JournalError ? error.message : String(error);
    throw new ProxyServiceError('SRL_ERR_START', `cannot open the share journal (SHARE_JOURNAL / --share-journal): ${why}`, { cause: error });
  }
  logger.info(
    { share_journal: redactJournalTarget(config.shareJournal), max_queue: config.shareJournalMaxQueue, retention_days: config.shareJournalRetentionDays },
    'share journal on',
  );
  journal.start();
  return journal;
}
