import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListenError } from './errors';
import type { PoolStats } from './stats-book';

/** What the control port can do to a pool. */
export interface ControlTarget {
  stats(): PoolStats;
  advanceTip(): void;
  rotateJob(): void;
  setDifficulty(worker: string | undefined, difficulty: number): void;
  killSessions(): number;
  setBlackhole(on: boolean): void;
  setPauseReading(on: boolean): void;
}

const PATHS = ['/healthz', '/stats', '/advance-tip', '/rotate-job', '/difficulty', '/sessions/kill', '/blackhole', '/pause-reading'];

export interface ControlServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The `on` query switch of a fault route: exactly `true` or `false`, else null. */
function onOff(url: URL): boolean | null {
  const raw = url.searchParams.get('on');
  return raw === 'true' ? true : raw === 'false' ? false : null;
}

function badSwitch(res: ServerResponse, url: URL): void {
  const raw = url.searchParams.get('on');
  send(res, 400, { error: `query "on" must be true or false, got ${raw === null ? 'nothing' : JSON.stringify(raw)}` });
}

function route(target: ControlTarget, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://control.invalid');
  const key = `${req.method ?? 'GET'} ${url.pathname}`;
  switch (key) {
    case 'GET /healthz':
      return send(res, 200, { ok: true });
    case 'GET /stats':
      return send(res, 200, target.stats());
    case 'POST /advance-tip':
      target.advanceTip();
      return send(res, 200, { ok: true, height: target.stats().tip.height });
    case 'POST /rotate-job':
      target.rotateJob();
      return send(res, 200, { ok: true, job: target.stats().jobs.current });
    case 'POST /difficulty': {
      const d = Number(url.searchParams.get('value'));
      if (!Number.isFinite(d) || d <= 0) return send(res, 400, { error: 'value must be a number > 0' });
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
      const known = PATHS.includes(url.pathname);
      return send(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
    }
  }
}

/**
 * The small control HTTP API of the simulator: `GET /stats`, `GET /healthz`,
 * `POST /advance-tip`, `POST /rotate-job`, `POST /difficulty?value=D[&worker=W]`, and the
 * failover faults `POST /sessions/kill`, `POST /blackhole?on=true|false`,
 * `POST /pause-reading?on=true|false`.
 */
export async function startControlServer(target: ControlTarget, host: string, port: number): Promise<ControlServer> {
  const server = createServer((req, res) => {
    // Bodies are not used; drain them so keep-alive connections stay usable.
    req.resume();
    try {
      route(target, req, res);
    } catch (err) {
      send(res, 500, { error: err instanceof Error ? err.message : String(err) });
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
