import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { UI_STATIC_PATHS } from './ui/api-routes';

/** Paths a load balancer must reach without credentials. */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * METRICS_TOKEN: every path but /healthz, /readyz and the /ui page's static files needs `Authorization: Bearer <token>`, or
 * basic auth whose password is the token (Prometheus' `authorization` and `basic_auth` both
 * work). The token is read through `token()` on each request so a reload can rotate it.
 */
export function metricsAuth(token: () => string | null): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const expected = token();
    // The /ui page and its scripts hold no data: the browser loads them without credentials, and
    // the page then sends the token (asked once) with every /api request.
    if (expected === null || OPEN_PATHS.has(req.path) || (req.method === 'GET' && UI_STATIC_PATHS.has(req.path))) {
      next();
      return;
    }
    const given = presentedToken(req.headers.authorization);
    if (given !== null && sameSecret(given, expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer realm="stratum-relay", Basic realm="stratum-relay"').status(401).json({ error: 'unauthorized' });
  };
}

function presentedToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  if (space === -1) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? null : decoded.slice(colon + 1);
  }
  return null;
}

/** Constant-time: compare digests, so neither the content nor the length leaks through timing. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
