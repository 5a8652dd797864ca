import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSessionId, parseTraceQuery } from './control-query';
import { buildDebugBundle } from './debug-bundle';
import { ListenError, UnknownProfileError } from './errors';
import type { PoolSimOptions } from './options';
import type { PoolState, SessionReport } from './pool-sim';
import { PROFILES } from './profiles';
import type { PoolStats } from './stats-book';
import { traceEntryJson } from './trace-json';
import type { TraceRing } from './trace-ring';
import { loadUiAssets, type UiAsset } from './ui-assets';

/** What the control port can do to a pool. */
export interface ControlTarget {
  readonly options: Readonly<PoolSimOptions>;
  readonly trace: TraceRing | null;
  stats(): PoolStats;
  state(): PoolState;
  sessionReport(id: number): SessionReport | null;
  setProfile(name: string): Readonly<PoolSimOptions>;
  advanceTip(): void;
  rotateJob(): void;
  setDifficulty(worker: string | undefined, difficulty: number): void;
  killSessions(): number;
  setBlackhole(on: boolean): void;
  setPauseReading(on: boolean): void;
}

/** Stable codes of the control API's error answers (`{ error, code }`); clients test the code. */
export const CONTROL_ERROR_CODES = Object.freeze({
  badRequest: 'SRL_ERR_POOL_SIM_BAD_REQUEST',
  notFound: 'SRL_ERR_POOL_SIM_NOT_FOUND',
  methodNotAllowed: 'SRL_ERR_POOL_SIM_METHOD_NOT_ALLOWED',
  unknownSession: 'SRL_ERR_POOL_SIM_UNKNOWN_SESSION',
  unknownProfile: 'SRL_ERR_POOL_SIM_UNKNOWN_PROFILE',
  internal: 'SRL_ERR_POOL_SIM_INTERNAL',
} as const);

type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[keyof typeof CONTROL_ERROR_CODES];

const PATHS = [
  '/healthz',
  '/stats',
  '/advance-tip',
  '/rotate-job',
  '/difficulty',
  '/sessions/kill',
  '/blackhole',
  '/pause-reading',
  '/profile',
  '/api/state',
  '/api/traces',
];
const BUNDLE_PREFIX = '/api/debug/bundle/';

/**
 * Served with every page file: scripts and styles only from this port, no inline code, so a
 * traced line that looks like markup can never run even if some code path mishandled it.
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

export interface ControlServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function fail(res: ServerResponse, status: number, code: ControlErrorCode, error: string, extra: Record<string, unknown> = {}): void {
  send(res, status, { error, code, ...extra });
}

function sendAsset(res: ServerResponse, asset: UiAsset): void {
  res.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, ...PAGE_HEADERS });
  res.end(asset.body);
}

/** The `on` query switch of a fault route: exactly `true` or `false`, else null. */
function onOff(url: URL): boolean | null {
  const raw = url.searchParams.get('on');
  return raw === 'true' ? true : raw === 'false' ? false : null;
}

function badSwitch(res: ServerResponse, url: URL): void {
  const raw = url.searchParams.get('on');
  fail(res, 400, CONTROL_ERROR_CODES.badRequest, `query "on" must be true or false, got ${raw === null ? 'nothing' : JSON.stringify(raw)}`);
}

function traces(target: ControlTarget, res: ServerResponse, url: URL): void {
  const q = parseTraceQuery(url.searchParams);
  if (!q.ok) return fail(res, 400, CONTROL_ERROR_CODES.badRequest, q.message);
  const ring = target.trace;
  if (ring === null) return send(res, 200, { enabled: false, capacity: 0, size: 0, lastSeq: 0, traces: [] });
  // lastSeq is the ring's newest seq, matching or not: a poller continues from it with `since`.
  const lastSeq = ring.recorded;
  const traces = ring.query(q.value).map(traceEntryJson);
  return send(res, 200, { enabled: true, capacity: ring.capacity, size: ring.size, lastSeq, traces });
}

function bundle(target: ControlTarget, res: ServerResponse, rawId: string): void {
  // Digits only: a percent-encoded id is refused like any other non-number.
  const id = parseSessionId(rawId);
  if (!id.ok) return fail(res, 400, CONTROL_ERROR_CODES.badRequest, id.message);
  const report = target.sessionReport(id.value);
  if (report === null) {
    return fail(res, 404, CONTROL_ERROR_CODES.unknownSession, `no session ${id.value}: neither open nor among the last closed`);
  }
  const state = target.state();
  const doc = buildDebugBundle({ report, options: target.options, tip: state.tip, job: state.job, trace: target.trace, nowMs: Date.now() });
  return send(res, 200, doc, { 'content-disposition': `attachment; filename="pool-sim-session-${id.value}.json"` });
}

function profile(target: ControlTarget, res: ServerResponse, url: URL): void {
  const name = url.searchParams.get('name');
  if (name === null || name === '') {
    return fail(res, 400, CONTROL_ERROR_CODES.badRequest, 'query "name" must name a profile', { known: Object.keys(PROFILES) });
  }
  try {
    const o = target.setProfile(name);
    return send(res, 200, { ok: true, profile: o.profile, difficulty: o.difficulty, vardiff: o.vardiff, chaos: o.chaos !== null });
  } catch (err) {
    if (err instanceof UnknownProfileError) {
      return fail(res, 400, CONTROL_ERROR_CODES.unknownProfile, err.message, { known: err.known });
    }
    throw err;
  }
}

function route(target: ControlTarget, assets: ReadonlyMap<string, UiAsset>, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://control.invalid');
  const method = req.method ?? 'GET';
  // "/ui/" is the same page as "/ui": a browser adds the slash from a bookmark or by hand.
  const path = url.pathname === '/ui/' ? '/ui' : url.pathname;
  const asset = assets.get(path);
  if (asset !== undefined) {
    if (method !== 'GET' && method !== 'HEAD') return fail(res, 405, CONTROL_ERROR_CODES.methodNotAllowed, 'method not allowed');
    return sendAsset(res, asset);
  }
  if (path.startsWith(BUNDLE_PREFIX)) {
    if (method !== 'GET') return fail(res, 405, CONTROL_ERROR_CODES.methodNotAllowed, 'method not allowed');
    return bundle(target, res, path.slice(BUNDLE_PREFIX.length));
  }
  switch (`${method} ${path}`) {
    case 'GET /healthz':
      return send(res, 200, { ok: true });
    case 'GET /favicon.ico':
      // Browsers ask for it on every page; "nothing" is the answer, not a 404 in the console.
      res.writeHead(204, { 'cache-control': 'max-age=86400' });
      return void res.end();
    case 'GET /stats':
      return send(res, 200, target.stats());
    case 'GET /api/state':
      return send(res, 200, target.state());
    case 'GET /api/traces':
      return traces(target, res, url);
    case 'POST /profile':
      return profile(target, res, url);
    case 'POST /advance-tip':
      target.advanceTip();
      return send(res, 200, { ok: true, height: target.stats().tip.height });
    case 'POST /rotate-job':
      target.rotateJob();
      return send(res, 200, { ok: true, job: target.stats().jobs.current });
    case 'POST /difficulty': {
      const d = Number(url.searchParams.get('value'));
      if (!Number.isFinite(d) || d <= 0) return fail(res, 400, CONTROL_ERROR_CODES.badRequest, 'value must be a number > 0');
      target.setDifficulty(url.searchParams.get('worker') ?? undefined, d);
      return send(res, 200, { ok: true, difficulty: d });
    }
    case 'POST /sessions/kill':
      return send(res, 200, { ok: true, killed: target.killSessions() });
    case 'POST /blackhole': {
      const on = onOff(url);
      if (on === null) return badSwitch(res, url);
      target.setBlackhole(on);
      return send(res, 200, { ok: true, blackhole: on });
    }
    case 'POST /pause-reading': {
      const on = onOff(url);
      if (on === null) return badSwitch(res, url);
      target.setPauseReading(on);
      return send(res, 200, { ok: true, pausedReading: on });
    }
    default: {
      if (PATHS.includes(path)) return fail(res, 405, CONTROL_ERROR_CODES.methodNotAllowed, 'method not allowed');
      return fail(res, 404, CONTROL_ERROR_CODES.notFound, 'not found');
    }
  }
}

/**
 * The control HTTP API of the simulator: `GET /stats`, `GET /healthz`, `POST /advance-tip`,
 * `POST /rotate-job`, `POST /difficulty?value=D[&worker=W]`, the failover faults
 * `POST /sessions/kill`, `POST /blackhole?on=true|false`, `POST /pause-reading?on=true|false`;
 * the Stratum Harness-like `GET /api/state`, `GET /api/traces?session=S&method=M&direction=D&limit=N[&since=SEQ]`,
 * `GET /api/debug/bundle/:session`, `POST /profile?name=P`; and the page `GET /ui`.
 */
export async function startControlServer(target: ControlTarget, host: string, port: number): Promise<ControlServer> {
  const assets = loadUiAssets();
  const server = createServer((req, res) => {
    // Bodies are not used; drain them so keep-alive connections stay usable.
    req.resume();
    try {
      route(target, assets, req, res);
    } catch (err) {
      fail(res, 500, CONTROL_ERROR_CODES.internal, err instanceof Error ? err.message : String(err));
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ListenError(`control server cannot listen on ${host}:${port}: ${err.message}`, err)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    address: { host: addr.address, port: addr.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
