/**
 * Helpers for the secure-edges tests (metrics token, SIGHUP reload, SIGUSR1, limits): an
 * in-process ProxyService built from `loadConfig` like the program builds it, a pool that tags
 * its answers so a test can tell which pool a miner landed on, a config file in a temp dir,
 * HTTP with and without credentials, and a check for a Node inspector listening on a port.
 * Everything created is released by `cleanupEdges()` (call it from afterEach).
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '@stratum-relay/config';
import { createLogger, type LogDestination } from '@stratum-relay/logger';
import { ProxyService } from '@stratum-relay/proxy-service';
import { parseExposition, sampleValue, sumSamples, type Exposition } from './metrics-exposition';

const cleanups: Array<() => Promise<void> | void> = [];

/** Run `cleanup` at the next cleanupEdges(), in reverse order of registration. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

export async function cleanupEdges(): Promise<void> {
  const pending = cleanups.splice(0).reverse();
  for (const cleanup of pending) await cleanup();
}

/** Every HTTP request of these tests gives up after this long (the machine is shared). */
const HTTP_TIMEOUT_MS = 5_000;

/** Log lines written by a logger, kept as text (to search for secrets) and as JSON. */
export interface CapturedLog extends LogDestination {
  readonly lines: string[];
  json(): Record<string, unknown>[];
  /** The first line whose msg starts with `prefix` (undefined when none yet). */
  find(prefix: string): Record<string, unknown> | undefined;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const json = (): Record<string, unknown>[] => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    json,
    find: (prefix) => json().find((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix)),
  };
}

/** A JSON config file in its own temp dir, removed at cleanup. */
export interface ConfigFile {
  readonly path: string;
  readonly dir: string;
  write(values: Record<string, unknown>): void;
}

export function tempConfigFile(): ConfigFile {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-edges-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.json');
  return {
    path,
    dir,
    write(values) {
      writeFileSync(path, `${JSON.stringify(values, null, 2)}\n`);
    },
  };
}

/** A file holding `text` in a fresh temp dir (token files), removed at cleanup. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-edges-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * A scripted loopback pool that says who it is: mining.subscribe is answered with `extranonce1`
 * (distinct per pool), every other request with `result: true` and an extra `"pool": tag`
 * member, which the relay forwards untouched. The relay's health probes (user agent ending in
 * "probe") are answered too but not counted as miners.
 */
export interface TaggedPool {
  readonly tag: string;
  readonly extranonce1: string;
  readonly port: number;
  /** Miner sessions (not probes) that sent mining.subscribe. */
  minerSessions(): number;
  close(): Promise<void>;
}

export async function startTaggedPool(tag: string, extranonce1: string): Promise<TaggedPool> {
  const sockets = new Set<net.Socket>();
  let minerSessions = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let tail = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (tail + chunk).split('\n');
      tail = parts.pop() ?? '';
      for (const line of parts) {
        let message: { id?: unknown; method?: unknown; params?: unknown };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          continue;
        }
        if (message.method === 'mining.subscribe') {
          const agent = Array.isArray(message.params) ? message.params[0] : undefined;
          if (!(typeof agent === 'string' && agent.endsWith('probe'))) minerSessions++;
          socket.write(`${JSON.stringify({ id: message.id, result: [[['mining.notify', `${tag}-sub`]], extranonce1, 4], error: null })}\n`);
          socket.write(`${JSON.stringify({ id: null, method: 'mining.set_difficulty', params: [1] })}\n`);
        } else if (message.method !== undefined && message.id !== null && message.id !== undefined) {
          socket.write(`${JSON.stringify({ id: message.id, result: true, error: null, pool: tag })}\n`);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closed === null) {
      for (const socket of sockets) socket.destroy();
      closed = new Promise<void>((resolve) => server.close(() => resolve()));
    }
    return closed;
  };
  cleanups.push(close);
  return { tag, extranonce1, port, minerSessions: () => minerSessions, close };
}

/** The in-process program: a ProxyService on a config from `loadConfig`, started, shut down at cleanup. */
export interface RunningService {
  readonly service: ProxyService;
  readonly log: CapturedLog;
  readonly proxyPort: number;
  readonly metricsPort: number;
  /** The environment the config was loaded from: `reloadConfig()` loads it again (after a file changed). */
  readonly env: Readonly<Record<string, string>>;
  reloadConfig(): Config;
}

/** Loopback ports chosen by the OS, no drain wait at cleanup; `env` wins. */
const SERVICE_ENV: Readonly<Record<string, string>> = {
  PROXY_HOST: '127.0.0.1',
  PROXY_PORT: '0',
  METRICS_HOST: '127.0.0.1',
  METRICS_PORT: '0',
  DRAIN_TIMEOUT_MS: '0',
  LOG_LEVEL: 'info',
};

export interface StartServiceOptions {
  /** Injected RLIMIT_NOFILE (ProxyServiceOptions.openFilesLimit). */
  readonly openFilesLimit?: number | null;
  /**
   * Add the loopback defaults (ports 0 on 127.0.0.1, no drain wait) to `env` (default true).
   * Off for a config file that sets them itself: the environment would win over the file.
   */
  readonly defaults?: boolean;
}

export async function startService(env: Record<string, string>, options: StartServiceOptions = {}): Promise<RunningService> {
  const fullEnv = options.defaults === false ? { ...env } : { ...SERVICE_ENV, ...env };
  const config = loadConfig({ argv: [], env: fullEnv });
  const log = captureLog();
  const service = new ProxyService({
    config,
    logger: createLogger({ level: config.logLevel, format: 'json', destination: log }),
    version: '0.0.0-edges',
    ...(options.openFilesLimit !== undefined ? { openFilesLimit: options.openFilesLimit } : {}),
  });
  const addresses = await service.start();
  cleanups.push(async () => {
    await service.shutdown('test cleanup');
  });
  if (addresses.metrics === null) throw new Error('the service started without a metrics server');
  return {
    service,
    log,
    proxyPort: addresses.proxy.port,
    metricsPort: addresses.metrics.port,
    env: fullEnv,
    reloadConfig: () => loadConfig({ argv: [], env: fullEnv }),
  };
}

/** Authorization header values. */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
});

export async function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  return { status: res.status, body: await res.text() };
}

/** GET /metrics (with `headers` when the port wants a token) and parse it; throws on a non-200. */
export async function scrape(port: number, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await httpGet(port, '/metrics', headers);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${res.body}`);
  return parseExposition(res.body);
}

/** One sample's value, 0 when the series does not exist (a counter never moved). */
export function valueOf(exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  return sampleValue(exp, name, labels) ?? 0;
}

export { sumSamples };

/**
 * Connect from `localAddress` (127.0.0.2: Linux answers for all of 127/8 on lo) and say how the
 * proxy treated it: `closed` when it hung up without a byte, `open` when still open after
 * `waitMs` — bounded either way.
 */
export function connectFrom(port: number, localAddress: string, waitMs = 3_000): Promise<'closed' | 'open' | 'refused'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('open');
    }, waitMs);
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      connected = true;
      // Say something, as a miner would: an open door would now relay it.
      socket.write(`${JSON.stringify({ id: 1, method: 'mining.subscribe', params: [] })}\n`);
    });
    socket.on('data', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('open');
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(connected ? 'closed' : 'refused');
    });
  });
}

/** Resolves with the error code of a TCP connect to 127.0.0.1:`port`, or 'connected'; bounded. */
export function probePort(port: number, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? 'error');
    });
  });
}

/**
 * Inodes of TCP sockets listening on `port` (any address), from /proc/net/tcp and tcp6. With
 * `pidSockets` it tells whether one of them belongs to a given process, which a connect attempt
 * cannot: another program on the machine may hold the port.
 */
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; st 0A is LISTEN; the inode is field 9.
      if (fields.length > 9 && fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') inodes.add(fields[9] as string);
    }
  }
  return inodes;
}

/** Inodes of the sockets process `pid` has open. */
export function pidSockets(pid: number): Set<string> {
  const inodes = new Set<string>();
  const dir = `/proc/${pid}/fd`;
  for (const fd of readdirSync(dir)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(join(dir, fd)));
      if (match) inodes.add(match[1] as string);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

/** True when process `pid` holds a socket listening on TCP `port`. */
export function pidListensOn(pid: number, port: number): boolean {
  const listening = listeningInodes(port);
  if (listening.size === 0) return false;
  for (const inode of pidSockets(pid)) if (listening.has(inode)) return true;
  return false;
}
