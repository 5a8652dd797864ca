import type { ConnectionRow, JournalSink, ShareRow } from '@stratum-relay/share-journal';

/**
 * One sink for the collector from several (the share journal and the tracing spans): null when
 * there is none, so the collector builds no rows; the sink itself when there is one, so a single
 * consumer costs no extra call. Sinks never throw (the JournalSink contract), so each gets every row.
 */
export function combineSinks(...sinks: ReadonlyArray<JournalSink | null | undefined>): JournalSink | null {
  const present = sinks.filter((s): s is JournalSink => s !== null && s !== undefined);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0] as JournalSink;
  return {
    share(row: ShareRow): void {
      for (const s of present) s.share(row);
    },
    connection(row: ConnectionRow): void {
      for (const s of present) s.connection(row);
    },
  };
}
