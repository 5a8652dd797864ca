/**
 * Helpers for the service and program tests: a scripted loopback pool, a line-oriented miner
 * client, and a runner for the BUILT bin (`node packages/proxy-service/bin/stratum-proxy.js`).
 * Everything created is tracked and released by `cleanupAll()` (call it from afterEach).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';

export const PACKAGE_DIR = join(__dirname, '..');
export const BIN = join(PACKAGE_DIR, 'bin', 'stratum-proxy.js');
const DIST_MAIN = join(PACKAGE_DIR, 'dist', 'main.js');

/** Child-process tests run the built program: say how to build it instead of failing obscurely. */
export function assertBuilt(): void {
  if (!existsSync(DIST_MAIN)) {
    throw new Error(`${DIST_MAIN} is missing: run \`npx tsc -b packages/proxy-service\` (or \`pnpm build\`) before these tests`);
  }
}

const cleanups: Array<() => Promise<void> | void> = [];

/** Run `cleanup` at the next cleanupAll() (after the test), after what was registered later. */
export function cleanupLater(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

export async function cleanupAll(): Promise<void> {
  const pending = cleanups.splice(0).reverse();
  for (const cleanup of pending) await cleanup();
}

/** Wait for `check` to return a value, polling; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Splits a socket's bytes into lines (test code only; the product does this zero-copy). */
class LineReader {
  readonly lines: string[] = [];
  private tail = '';
  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (this.tail + chunk).split('\n');
      this.tail = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    stream.on('end', () => {
      if (this.tail !== '') this.lines.push(this.tail);
      this.tail = '';
    });
  }
}

/**
 * A tiny pool: answers mining.subscribe, mining.authorize and mining.submit, and sends a
 * set_difficulty after subscribe. Enough traffic for the proxy to relay and observe.
 */
export async function startLoopbackPool(): Promise<{ port: number; sockets: Set<net.Socket>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
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
        let message: { id?: unknown; method?: unknown };
        try {
          message = JSON.parse(line) as { id?: unknown; method?: unknown };
        } catch {
          continue;
        }
        if (message.method === 'mining.subscribe') {
          socket.write(`${JSON.stringify({ id: message.id, result: [[['mining.notify', 'ae6812eb4cd7735a302a8a9dd95cf71f']], '08000002', 4], error: null })}\n`);
          socket.write(`${JSON.stringify({ id: null, method: 'mining.set_difficulty', params: [1] })}\n`);
        } else if (message.method !== undefined) {
          socket.write(`${JSON.stringify({ id: message.id, result: true, error: null })}\n`);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(close);
  return { port, sockets, close };
}

export interface MinerClient {
  readonly socket: net.Socket;
  readonly lines: string[];
  readonly closed: Promise<void>;
  send(message: object): void;
  /** Wait for a response with this id. */
  response(id: number): Promise<{ id: number; result: unknown; error: unknown }>;
}

export async function connectMiner(port: number): Promise<MinerClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  cleanups.push(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const reader = new LineReader(socket);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    lines: reader.lines,
    closed,
    send(message) {
      socket.write(`${JSON.stringify(message)}\n`);
    },
    response(id) {
      return waitFor(`response ${id}`, () => {
        for (const line of reader.lines) {
          const parsed = JSON.parse(line) as { id: unknown; result: unknown; error: unknown };
          if (parsed.id === id) return parsed as { id: number; result: unknown; error: unknown };
        }
        return undefined;
      });
    },
  };
}

/** Resolves with the error code of a connection attempt that fails (undefined if it connects). */
export function tryConnect(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** A port that is taken (a plain TCP server on it) for the rest of the test. */
export async function occupiedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

/** A loopback port nothing listens on (bound, then released), so connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ProgramRun {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdoutLines: string[];
  readonly stderrLines: string[];
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** JSON log lines written so far. */
  logs(): Record<string, unknown>[];
  /** Wait for a JSON log line whose msg is `msg` (and matching `where`, if given). */
  waitForLog(msg: string, where?: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/**
 * Run the built program with exactly `env` (plus PATH): nothing leaks in from the test's own
 * environment. Killed at cleanup if still running.
 */
export function runProgram(args: readonly string[], env: Record<string, string>): ProgramRun {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = new LineReader(child.stdout);
  const err = new LineReader(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  cleanups.push(async () => {
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const logs = (): Record<string, unknown>[] =>
    out.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    child,
    stdoutLines: out.lines,
    stderrLines: err.lines,
    exited,
    logs,
    waitForLog(msg, where) {
      return waitFor(`log line "${msg}" (stderr so far: ${err.lines.join(' | ')})`, () =>
        logs().find((line) => line.msg === msg && (where === undefined || where(line))),
      );
    },
  };
}

/** Run the program to completion (it must exit by itself within `timeoutMs`). */
export async function runToExit(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runProgram(args, env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`program did not exit within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const { code } = await Promise.race([run.exited, timeout]);
    // 'exit' can fire before the pipes are drained.
    await Promise.all([streamEnd(run.child.stdout), streamEnd(run.child.stderr)]);
    return { code, stdout: run.stdoutLines.join('\n'), stderr: run.stderrLines.join('\n') };
  } finally {
    clearTimeout(timer);
  }
}

function streamEnd(stream: NodeJS.ReadableStream & { readableEnded?: boolean }): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', () => resolve()));
}
