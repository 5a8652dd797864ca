import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TRACE_VIEW_ASSETS_DIR, TRACE_VIEW_ASSET_FILES } from '@stratum-relay/trace-view';
import type { Express, Request, Response } from 'express';
import { FARM_PUSH_MS, openEventStream } from './event-stream';
import type { UiSource } from './ui-source';

/** The page's own files (packages/proxy-service/assets/ui: the same path from src/ui and dist/ui). */
export const UI_ASSETS_DIR = resolve(__dirname, '..', '..', 'assets', 'ui');

const UI_FILES: ReadonlyArray<{ url: string; dir: string; name: string; contentType: string }> = [
  { url: '/ui', dir: UI_ASSETS_DIR, name: 'index.html', contentType: 'text/html; charset=utf-8' },
  { url: '/ui/assets/app.js', dir: UI_ASSETS_DIR, name: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  { url: '/ui/assets/app.css', dir: UI_ASSETS_DIR, name: 'app.css', contentType: 'text/css; charset=utf-8' },
  ...TRACE_VIEW_ASSET_FILES.map((f) => ({ url: `/ui/assets/trace-view/${f.name}`, dir: TRACE_VIEW_ASSETS_DIR, name: f.name, contentType: f.contentType })),
];

/** Paths of the page and its assets: they hold no data, so they load without the metrics token (the API behind them needs it). */
export const UI_STATIC_PATHS: ReadonlySet<string> = new Set(UI_FILES.map((f) => f.url));

/** The API's paths with a fixed URL (the bundle's has a parameter). */
export const API_ROUTES = ['/api/connections', '/api/trace', '/api/events', ...UI_STATIC_PATHS] as const;

/** Most lines /api/trace returns at once. */
export const MAX_TRACE_LIMIT = 10_000;
const DEFAULT_TRACE_LIMIT = 400;

function badRequest(res: Response, message: string): void {
  res.status(400).json({ error: 'bad_request', message });
}

/**
 * Nothing found, but some worker process did not answer (WORKERS > 1): it may hold what was
 * asked, so this is not a 404. 503, with the workers that are missing.
 */
function notFoundOrUnavailable(res: Response, missingWorkers: readonly number[], what: string): void {
  if (missingWorkers.length > 0) {
    res.status(503).json({ error: 'workers_unavailable', message: `${what} among the workers that answered; worker ${missingWorkers.join(', ')} did not answer in time and may hold it`, missingWorkers });
    return;
  }
  res.status(404).json({ error: 'not_found', message: what, missingWorkers });
}

/** A decimal integer within [min, max] from a query or path value; null if it is anything else. */
export function parseCount(value: unknown, min: number, max: number): number | null {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= max ? n : null;
}

/**
 * /api/connections, /api/trace, /api/debug/bundle/:connectionId, /api/events (Server-Sent
 * Events) and the /ui page with its assets, on the metrics HTTP app. The assets are read once, at
 * start (a missing file fails the start, not a request).
 */
export function mountUiRoutes(app: Express, source: UiSource): void {
  for (const file of UI_FILES) {
    const body = readFileSync(join(file.dir, file.name));
    app.get(file.url, (_req, res) => {
      res.set('Content-Type', file.contentType).set('Cache-Control', 'no-cache').send(body);
    });
  }

  app.get('/api/connections', async (_req, res) => {
    const list = await source.connections();
    res.json({ generatedAt: new Date().toISOString(), connections: list.connections, missingWorkers: list.missingWorkers });
  });

  app.get('/api/trace', async (req: Request, res: Response) => {
    const { worker, connection, limit } = req.query;
    if ((worker === undefined) === (connection === undefined)) {
      badRequest(res, 'give exactly one of worker=<name> or connection=<id>');
      return;
    }
    let limitN = DEFAULT_TRACE_LIMIT;
    if (limit !== undefined) {
      const n = parseCount(limit, 1, MAX_TRACE_LIMIT);
      if (n === null) {
        badRequest(res, `limit must be an integer from 1 to ${MAX_TRACE_LIMIT}`);
        return;
      }
      limitN = n;
    }
    let answer;
    if (connection !== undefined) {
      const id = parseCount(connection, 1, Number.MAX_SAFE_INTEGER);
      if (id === null) {
        badRequest(res, 'connection must be a connection id (a positive integer)');
        return;
      }
      answer = await source.trace({ connection: id, limit: limitN });
    } else {
      if (typeof worker !== 'string' || worker.length === 0 || worker.length > 256) {
        badRequest(res, 'worker must be one non-empty name of at most 256 characters');
        return;
      }
      answer = await source.trace({ worker, limit: limitN });
    }
    if (answer.connections.length === 0) {
      notFoundOrUnavailable(res, answer.missingWorkers, connection !== undefined ? `no connection ${String(connection)} (open or recently closed)` : `no connection of worker ${String(worker)}`);
      return;
    }
    res.json(answer);
  });

  app.get('/api/debug/bundle/:connectionId', async (req, res) => {
    const id = parseCount(req.params.connectionId, 1, Number.MAX_SAFE_INTEGER);
    if (id === null) {
      badRequest(res, 'the connection id must be a positive integer');
      return;
    }
    const answer = await source.bundle(id);
    if (answer.bundle === null) {
      notFoundOrUnavailable(res, answer.missingWorkers, `no connection ${id} (open or recently closed)`);
      return;
    }
    res.set('Content-Disposition', `attachment; filename="stratum-relay-connection-${id}.json"`).json(answer.bundle);
  });

  app.get('/api/events', (req, res) => {
    const connection = req.query.connection;
    let watch: number | null = null;
    if (connection !== undefined) {
      watch = parseCount(connection, 1, Number.MAX_SAFE_INTEGER);
      if (watch === null) {
        badRequest(res, 'connection must be a connection id (a positive integer)');
        return;
      }
    }
    openEventStream(req, res, source, { watch, farmEveryMs: FARM_PUSH_MS });
  });

  app.all('/api/debug/bundle/:connectionId', (req, res) => {
    res.set('Allow', 'GET, HEAD').status(405).json({ error: 'method_not_allowed', method: req.method, path: req.path });
  });
}
