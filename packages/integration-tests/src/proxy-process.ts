import { existsSync } from 'node:fs';
import { NotBuiltError, ProcessStartError } from './errors';
import { freePort } from './free-port';
import { BINS, BUILT_MAINS, REPO_ROOT } from './paths';
import { waitForHttpOk } from './wait-for-http-ok';
import { spawnNode, spawnTracked, type ExitStatus, type TrackedProcess } from './tracked-process';

export interface ProxyProcessOptions {
  /** The one-pool shortcut (POOL_HOST); give it with `poolPort`, or give `pools` instead. */
  readonly poolHost?: string;
  readonly poolPort?: number;
  /**
   * POOLS: pool URLs, primary first (`stratum+tcp://[account[:password]@]host:port`). The
   * program refuses POOLS together with POOL_HOST/POOL_PORT, so this replaces them.
   */
  readonly pools?: readonly string[];
  /** More environment (SUBMIT_TIMEOUT_MS, MAX_CLIENT_IDS, LOG_LEVEL, …); wins over the defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long /healthz may take to answer (default 30 s: the machine is shared). */
  readonly startTimeoutMs?: number;
  /** Run under this open-files limit (RLIMIT_NOFILE, through util-linux's prlimit). */
  readonly openFilesLimit?: number;
}

export interface ProxyProcess {
  /** Where miners connect (127.0.0.1). */
  readonly proxyPort: number;
  /** Where /metrics, /status, /healthz, /readyz answer (127.0.0.1). */
  readonly metricsPort: number;
  readonly pid: number;
  readonly process: TrackedProcess;
  logs(): string;
  /** SIGTERM and wait for the exit (SIGKILL after 20 s); the tests expect `{code: 0, signal: null}`. */
  stop(): Promise<ExitStatus>;
}

/** "address in use" on a port that was free a moment ago: another process took it; try new ports. */
const START_ATTEMPTS = 3;

/** The pool part of the environment: POOLS, or the POOL_HOST/POOL_PORT shortcut. */
function poolEnv(opts: ProxyProcessOptions): Record<string, string> {
  const shortcut = opts.poolHost !== undefined || opts.poolPort !== undefined;
  if (opts.pools !== undefined) {
    if (shortcut) throw new RangeError('startProxyProcess: give `pools` or `poolHost`/`poolPort`, not both');
    if (opts.pools.length === 0) throw new RangeError('startProxyProcess: `pools` is empty');
    return { POOLS: opts.pools.join(',') };
  }
  if (opts.poolHost === undefined || opts.poolPort === undefined) throw new RangeError('startProxyProcess: `poolHost` and `poolPort` go together');
  return { POOL_HOST: opts.poolHost, POOL_PORT: String(opts.poolPort) };
}

/**
 * Runs the real program `node packages/proxy-service/bin/stratum-proxy.js` as a child process,
 * configured through environment variables like an operator would, on loopback ports picked
 * beforehand (the program does not report OS-chosen ports). Resolves once /healthz answers 200.
 * Needs the build (NotBuiltError, SRL_ERR_IT_NOT_BUILT); ProcessStartError when it never gets healthy.
 */
export async function startProxyProcess(opts: ProxyProcessOptions): Promise<ProxyProcess> {
  if (!existsSync(BUILT_MAINS.proxy)) throw new NotBuiltError(BUILT_MAINS.proxy);
  const pools = poolEnv(opts);
  let lastLogs = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const proxyPort = await freePort();
    let metricsPort = await freePort();
    while (metricsPort === proxyPort) metricsPort = await freePort();
    const spawnOptions = {
      cwd: REPO_ROOT,
      env: {
        ...pools,
        PROXY_HOST: '127.0.0.1',
        PROXY_PORT: String(proxyPort),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        DRAIN_TIMEOUT_MS: '5000',
        ...opts.env,
      },
    };
    const proc =
      opts.openFilesLimit === undefined
        ? spawnNode(BINS.proxy, [], spawnOptions)
        : spawnTracked('prlimit', [`--nofile=${opts.openFilesLimit}`, process.execPath, BINS.proxy], spawnOptions);
    try {
      await waitForHttpOk(proc, metricsPort, '/healthz', { name: 'the proxy', timeoutMs: opts.startTimeoutMs ?? 30_000 });
    } catch (error) {
      await proc.stop({ signal: 'SIGKILL' });
      lastLogs = proc.logs();
      if (/address already in use/i.test(lastLogs) && attempt < START_ATTEMPTS) continue;
      if (error instanceof ProcessStartError) throw error;
      throw new ProcessStartError(`the proxy did not become healthy: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return {
      proxyPort,
      metricsPort,
      pid: proc.pid,
      process: proc,
      logs: proc.logs,
      stop: () => proc.stop(),
    };
  }
  throw new ProcessStartError(`the proxy could not get free ports in ${START_ATTEMPTS} attempts\n${lastLogs}`);
}
