import type { Request, Response } from 'express';
import type { UiSource } from './ui-source';

/** How often /api/events sends the farm summary. */
export const FARM_PUSH_MS = 2_000;
/** A comment line this often keeps proxies and browsers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export interface EventStreamOptions {
  /** Also send this connection's new trace lines (`trace` events). */
  readonly watch: number | null;
  readonly farmEveryMs: number;
}

/**
 * /api/events: Server-Sent Events — `farm` (the farm summary, at once and every farmEveryMs) and,
 * with ?connection=ID, `trace` ({connectionId, entries, skipped}) as that connection's lines pass
 * (`skipped`: older lines of a batch left out, see TRACE_BATCH_MAX_LINES). The
 * stream carries no `id`: a client that reconnects reads the current state from /api/connections
 * and /api/trace and follows on from there (the page does). Behind METRICS_TOKEN like the rest of
 * /api: a browser's EventSource cannot send an Authorization header, so the page reads the
 * stream with fetch() and a Bearer header instead.
 */
export function openEventStream(req: Request, res: Response, source: UiSource, options: EventStreamOptions): void {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx and friends: do not buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  let closed = false;
  const send = (event: string, data: unknown): void => {
    if (closed) return;
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const pushFarm = (): void => {
    source.farm().then(
      (farm) => send('farm', farm),
      () => undefined,
    );
  };
  send('hello', { t: Date.now(), watch: options.watch });
  pushFarm();
  const farmTimer = setInterval(pushFarm, options.farmEveryMs);
  const keepalive = setInterval(() => {
    if (!closed) res.write(': keepalive\n\n');
  }, KEEPALIVE_MS);
  const unwatch = options.watch === null ? null : source.watch(options.watch, (connectionId, entries, skipped = 0) => send('trace', { connectionId, entries, skipped }));
  const stop = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(farmTimer);
    clearInterval(keepalive);
    unwatch?.();
  };
  req.on('close', stop);
  res.on('close', stop);
  res.on('error', stop);
}
