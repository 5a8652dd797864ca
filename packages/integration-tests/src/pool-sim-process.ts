import { existsSync } from 'node:fs';
import { HttpError, NotBuiltError, ProcessStartError } from './errors';
import { getJson, httpRequest } from './http-get';
import { BINS, BUILT_MAINS, REPO_ROOT } from './paths';
import { spawnNode, type ExitStatus, type TrackedProcess } from './tracked-process';
import { waitFor } from './wait-for';

export interface PoolSimProcess {
  /** Stratum port on 127.0.0.1. */
  readonly port: number;
  /** Control HTTP port on 127.0.0.1 (GET /stats is the ground truth). */
  readonly controlPort: number;
  readonly process: TrackedProcess;
  logs(): string;
  /** GET /stats. The shape is pool-sim's PoolStats. */
  stats<T = unknown>(): Promise<T>;
  /** POST a control action (e.g. `/advance-tip`). */
  control(path: string): Promise<void>;
  stop(): Promise<ExitStatus>;
}

const LISTENING = /pool-sim listening on [^\s]+:(\d+) \(control on http:\/\/[^\s]+:(\d+)\)/;

export interface PoolSimProcessOptions {
  /** How long the "listening" line may take (default 30 s). */
  readonly startTimeoutMs?: number;
  /**
   * The Stratum port (default 0 = ephemeral). A failover test restarts a pool it stopped on the
   * port the proxy was configured with; a listening port has no TIME_WAIT, so it is free at once.
   */
  readonly port?: number;
}

/**
 * Runs pool-sim through its CLI (`node packages/pool-sim/bin/pool-sim.js`) on loopback ports
 * (ephemeral unless `opts.port` is given; the ports are read from its "listening" line), so a big
 * test can spread its file descriptors over processes. `args` are more CLI flags (profile, difficulty, …).
 */
export async function startPoolSimProcess(args: readonly string[] = [], opts: PoolSimProcessOptions = {}): Promise<PoolSimProcess> {
  if (!existsSync(BUILT_MAINS.poolSim)) throw new NotBuiltError(BUILT_MAINS.poolSim);
  const proc = spawnNode(BINS.poolSim, ['--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--control-port', '0', '--log-level', 'warn', ...args], {
    cwd: REPO_ROOT,
  });
  let ports: { port: number; controlPort: number };
  try {
    ports = await waitFor(
      () => {
        if (proc.exitStatus() !== null) throw new ProcessStartError(`pool-sim exited during start-up\n${proc.logs()}`);
        const m = LISTENING.exec(proc.logs());
        return m === null ? undefined : { port: Number(m[1]), controlPort: Number(m[2]) };
      },
      { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 50, what: 'pool-sim to listen', context: proc.logs },
    );
  } catch (error) {
    await proc.stop({ signal: 'SIGKILL' });
    throw new ProcessStartError(`pool-sim did not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const { port, controlPort } = ports;
  return {
    port,
    controlPort,
    process: proc,
    logs: proc.logs,
    stats: <T>() => getJson<T>(controlPort, '/stats', { timeoutMs: 10_000 }),
    async control(path: string) {
      const res = await httpRequest(controlPort, path, { method: 'POST' });
      if (res.status !== 200) throw new HttpError(`pool-sim POST ${path} answered ${res.status}: ${res.body}`);
    },
    stop: () => proc.stop(),
  };
}
