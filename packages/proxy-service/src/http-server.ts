import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { ObservabilityError } from './errors';
import { metricsAuth } from './metrics-auth';
import { API_ROUTES, mountUiRoutes } from './ui/api-routes';
import type { UiSource } from './ui/ui-source';

export type Readiness = { ready: true } | { ready: false; reason: string };

/** What /metrics serves: a prom-client Registry, or the merge a cluster primary builds per scrape. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface HttpServerOptions {
  host: string;
  /** 0 = ephemeral (tests). */
  port: number;
  registry: MetricsSource;
  /** What /readyz answers (a cluster primary asks its workers, hence a promise). */
  readiness: () => Readiness | Promise<Readiness>;
  /** What /healthz answers; absent = 200 whenever the process can answer at all. */
  health?: () => Readiness | Promise<Readiness>;
  /** The /status document, or a promise of it (may throw or reject: answered 500). */
  status: () => unknown;
  /** The metrics token in force (METRICS_TOKEN), read per request; null or absent = open. */
  token?: () => string | null;
  logger?: { error(obj: object, msg?: string): void };
  /** /api/* (connections, trace, debug bundle, events) and the /ui page; absent = not served. */
  ui?: UiSource;
}

export interface MetricsHttpServer {
  address(): { host: string; port: number } | null;
  close(): Promise<void>;
}

const ROUTES = ['/metrics', '/healthz', '/readyz', '/status'] as const;

/** The express app alone (no socket): routes, 404/405 and the JSON error handler. */
export function createHttpApp(opts: Omit<HttpServerOptions, 'host' | 'port'>): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (opts.token !== undefined) app.use(metricsAuth(opts.token));

  app.get('/metrics', async (_req, res) => {
    const body = await opts.registry.metrics();
    res.set('Content-Type', opts.registry.contentType).send(body);
  });
  // Express 5 hands a rejected handler promise to the error handler below (500 JSON).
  app.get('/healthz', async (_req, res) => {
    const h = opts.health === undefined ? { ready: true as const } : await opts.health();
    if (h.ready) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unhealthy', reason: h.reason });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await opts.readiness();
    if (r.ready) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not_ready', reason: r.reason });
  });
  app.get('/status', async (_req, res) => {
    res.json(await opts.status());
  });
  if (opts.ui !== undefined) mountUiRoutes(app, opts.ui);
  // GET (and HEAD, which express derives from GET) only.
  for (const path of opts.ui === undefined ? ROUTES : [...ROUTES, ...API_ROUTES]) {
    app.all(path, (req, res) => {
      res.set('Allow', 'GET, HEAD').status(405).json({ error: 'method_not_allowed', method: req.method, path });
    });
  }
  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', path: req.path });
  });
  // Express recognises error handlers by arity: the 4 parameters must stay.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    opts.logger?.error({ err, path: req.path }, 'http handler failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(500).json({ error: 'internal_error' });
  });
  return app;
}

/**
 * Starts the metrics/health HTTP server on its own host:port (never the Stratum port). Rejects
 * with ObservabilityError SRL_ERR_METRICS_ADDRESS_IN_USE / SRL_ERR_METRICS_LISTEN.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<MetricsHttpServer> {
  const server = http.createServer(createHttpApp(opts));
  // Scrapes are tiny; a stuck client must not hold a socket forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(
          new ObservabilityError(
            'SRL_ERR_METRICS_ADDRESS_IN_USE',
            `metrics HTTP address ${opts.host}:${opts.port} is already in use (choose another metricsPort)`,
            { cause: err },
          ),
        );
      } else {
        reject(new ObservabilityError('SRL_ERR_METRICS_LISTEN', `cannot listen for metrics HTTP on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }));
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      // Later socket errors (EMFILE on accept …) are logged; the relay carries on.
      server.on('error', (err) => opts.logger?.error({ err }, 'metrics HTTP server error'));
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts.port, opts.host);
  });

  let closed: Promise<void> | null = null;
  return {
    address() {
      const a = server.address() as AddressInfo | null;
      return a === null || typeof a === 'string' ? null : { host: a.address, port: a.port };
    },
    close() {
      if (closed === null) {
        closed = new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive scrapers would otherwise hold close() open.
          server.closeAllConnections();
        });
      }
      return closed;
    },
  };
}
