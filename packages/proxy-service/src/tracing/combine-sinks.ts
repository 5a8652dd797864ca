import type { ConnectionRow, ShareRow } from '@stratum-relay/share-journal';
import type { CollectorShareSink } from '../metrics-collector';

/**
 * One sink for the collector from several (the share journal and the tracing spans): null when
 * there is none, so the collector builds no rows; the sink itself when there is one, so a single
 * consumer costs no extra call. Sinks never throw (the JournalSink contract), so each gets every row.
 */
export function combineSinks(...sinks: ReadonlyArray<CollectorShareSink | null | undefined>): CollectorShareSink | null {
  const present = sinks.filter((s): s is CollectorShareSink => s !== null && s !== undefined);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0] as CollectorShareSink;
  // A connection's rows are built when any sink wants them (the journal: every connection's).
  const readers = present.map((s) => s.wantsSharesOf?.bind(s));
  const all = readers.some((r) => r === undefined);
  return {
    ...(all ? {} : { wantsSharesOf: (id: number) => readers.some((r) => r?.(id) === true) }),
    share(row: ShareRow): void {
      for (const s of present) s.share(row);
    },
    connection(row: ConnectionRow): void {
      for (const s of present) s.connection(row);
    },
  };
}
