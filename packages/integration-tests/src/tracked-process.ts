import { spawn, type ChildProcess } from 'node:child_process';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnTrackedOptions {
  /** The child's whole environment (nothing is inherited unless passed: tests must not leak config). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Keep the last this many characters of stdout+stderr (default 64 KiB). */
  readonly logChars?: number;
}

/** Options of spawnNode: the same as spawnTracked's. */
export type SpawnNodeOptions = SpawnTrackedOptions;

/** A child program with its recent output kept, for failure messages. */
export interface TrackedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Recent stdout+stderr. */
  logs(): string;
  /** Null while running. */
  exitStatus(): ExitStatus | null;
  readonly exited: Promise<ExitStatus>;
  /** Send `signal` (default SIGTERM) and wait for the exit; SIGKILL after `graceMs` (default 20 s). */
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitStatus>;
}

/** Every child still running, killed when the test process exits whatever happened. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: a failed test that skipped its afterAll must not leave programs running.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Runs `node script ...args` with piped output; the child is tracked until it exits. */
export function spawnNode(script: string, args: readonly string[], opts: SpawnNodeOptions = {}): TrackedProcess {
  return spawnTracked(process.execPath, [script, ...args], opts);
}

/**
 * Runs `command ...args` (a path, or a name looked up on the PATH passed on) with piped output;
 * the child is tracked until it exits and killed if the test process exits first. A command that
 * cannot be spawned (ENOENT) shows up as an exit with `{code: null, signal: null}` and its error in logs().
 */
export function spawnTracked(command: string, args: readonly string[], opts: SpawnTrackedOptions = {}): TrackedProcess {
  installExitHook();
  const logChars = opts.logChars ?? 64 * 1024;
  const child = spawn(command, args, {
    env: { PATH: process.env['PATH'] ?? '', ...opts.env },
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  const keep = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    if (out.length > logChars * 2) out = out.slice(-logChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let status: ExitStatus | null = null;
  const exited = new Promise<ExitStatus>((resolve) => {
    // 'close' (not 'exit'): the output pipes are drained by then, so logs() is complete.
    child.once('close', (code, signal) => {
      live.delete(child);
      status = { code, signal };
      resolve(status);
    });
    child.once('error', (err) => {
      keep(Buffer.from(`spawn error: ${err.message}\n`));
      live.delete(child);
      status = { code: null, signal: null };
      resolve(status);
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    logs: () => out.slice(-logChars),
    exitStatus: () => status,
    exited,
    async stop({ signal = 'SIGTERM', graceMs = 20_000 } = {}) {
      if (status !== null) return status;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      timer.unref();
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
