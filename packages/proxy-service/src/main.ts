/**
 * stratum-proxy: load the config, build the logger and the service, install signal handlers,
 * map failures to exit codes (see EXIT_CODES in cli.ts). Everything else lives in importable
 * modules.
 *
 * Three shapes of the same program, decided once here:
 * - WORKERS=1 (the default): one process, the ProxyService with its HTTP server.
 * - WORKERS>1, the primary: forks the workers and owns the HTTP port (cluster/primary.ts).
 * - a worker (forked by the primary, node:cluster sets it up): a ProxyService without HTTP,
 *   driven over IPC (cluster/worker-runtime.ts).
 */
import cluster from 'node:cluster';
import { ConfigError, helpText, loadConfig, wantsHelp, wantsVersion, type Config } from '@stratum-relay/config';
import { createLogger, type Logger } from '@stratum-relay/logger';
import { configErrorText, EXIT_CODES, shutdownExitCode, signalExitCode, startErrorLine } from './cli';
import { PROXY_COMMANDS } from './cli/commands';
import { proxyVersionLine } from './cli/run-command';
import { connectionIdBase } from './cluster/connection-id-base';
import { ClusterPrimary } from './cluster/primary';
import { resolveWorkerCount } from './cluster/worker-count';
import { WorkerRuntime, type PrimaryChannel } from './cluster/worker-runtime';
import { ProxyService, type ShutdownResult } from './service';
import { VERSION } from './version';

// `stratum-proxy run --pools …` is the same as `stratum-proxy --pools …` (the bin shim sent the
// other subcommands elsewhere).
const argv = process.argv[2] === 'run' ? process.argv.slice(3) : process.argv.slice(2);
if (wantsHelp(argv)) {
  process.stdout.write(helpText('stratum-proxy', PROXY_COMMANDS));
  process.exit(EXIT_CODES.OK);
}
if (wantsVersion(argv)) {
  process.stdout.write(proxyVersionLine());
  process.exit(EXIT_CODES.OK);
}

let config: Config;
try {
  config = loadConfig({ argv, env: process.env });
} catch (error) {
  process.stderr.write(configErrorText(error));
  process.exit(EXIT_CODES.CONFIG);
}

const reloadConfig = (): Config => loadConfig({ argv, env: process.env });

if (cluster.isWorker) runWorker(config);
else {
  const workers = resolveWorkerCount(config.workers);
  if (workers > 1) runPrimary(config, workers);
  else runSingle(config);
}

/** What the shutdown signals drive: the single service or the cluster primary. */
interface Program {
  shutdown(signal: string): Promise<ShutdownResult>;
}

function fatalOnUncaught(logger: Logger): void {
  process.on('uncaughtException', (error) => {
    // A bug, not an operator's mistake: its stack is the point, at any level.
    logger.fatal({ err: error, stack: error instanceof Error ? error.stack : undefined }, 'uncaught exception');
    process.exit(EXIT_CODES.START_FAILED);
  });
}

/**
 * SIGINT/SIGTERM: drain, then exit; a second signal during the drain closes everything now.
 * Installed before start() settles so a signal during start-up (e.g. while the metrics server
 * binds) still ends in an orderly shutdown instead of the default kill.
 */
function installShutdownSignals(program: Program, started: Promise<unknown>): void {
  let signals = 0;
  let draining = false;
  let abortedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      started
        .then(() => {
          draining = true;
          return program.shutdown(signal);
        })
        .then(
          (result) => process.exit(shutdownExitCode(result, abortedBy)),
          () => undefined, // a start failure is reported where start() is awaited
        );
    } else if (signals === 2 && draining) {
      // Second signal: stop waiting for miners, close every connection now.
      abortedBy = signal;
      void program.shutdown(signal);
    } else {
      // Impatient operator during start-up, or a third signal: something is stuck; leave at once.
      process.exit(signalExitCode(signal));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

// Node opens its inspector on SIGUSR1 (127.0.0.1:9229): a debugger any local user could attach
// to a production relay. A listener replaces that default; `node --inspect` stays possible.
function disarmSigusr1(logger: Logger): void {
  process.on('SIGUSR1', () => {
    logger.warn({ signal: 'SIGUSR1' }, 'SIGUSR1 ignored: the inspector is not opened by a signal (start with node --inspect to debug)');
  });
}

function exitOnStartFailure(started: Promise<unknown>, logger: Logger): void {
  started.catch((error: unknown) => {
    // One line each: the sentence on stderr (what a terminal or a script shows), and one fatal
    // log line carrying it once with its code (the stack and causes only at LOG_LEVEL=debug).
    process.stderr.write(`${startErrorLine(error)}\n`);
    logger.fatal({ err: error }, 'cannot start');
    process.exit(EXIT_CODES.START_FAILED);
  });
}

/** WORKERS=1: one process does everything, exactly as before workers existed. */
function runSingle(config: Config): void {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const service = new ProxyService({ config, logger, version: VERSION });
  fatalOnUncaught(logger);
  const started = service.start();
  installShutdownSignals(service, started);

  // SIGHUP (a terminal hang-up, `systemctl reload`) re-reads the config file instead of killing
  // the proxy and every miner with it. Flags and environment still win over the file.
  process.on('SIGHUP', () => {
    started.then(
      () => {
        let next: Config;
        try {
          next = reloadConfig();
        } catch (error) {
          service.rejectReload(error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)]);
          return;
        }
        service.reload(next);
      },
      () => undefined,
    );
  });
  // SIGUSR2 upgrades in place only with WORKERS > 1 (a worker hands its miners to its
  // successor); one process has nobody to hand them to. Its default action would kill the relay
  // without a drain: ignore it and say how to upgrade instead.
  process.on('SIGUSR2', () => {
    logger.warn({ signal: 'SIGUSR2' }, 'SIGUSR2 ignored: upgrading in place needs WORKERS > 1; with one process, upgrade by restarting (SIGTERM drains)');
  });
  disarmSigusr1(logger);
  exitOnStartFailure(started, logger);
}

/** WORKERS>1, the primary: forks the workers, serves HTTP, relays signals to the workers. */
function runPrimary(config: Config, workers: number): void {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const primary = new ClusterPrimary({ config, logger, version: VERSION, workers });
  fatalOnUncaught(logger);
  const started = primary.start();
  installShutdownSignals(primary, started);

  // Every worker reloads its own config (the same flags, environment and file); the primary
  // applies its part (metrics token, log level) once they all accepted it.
  process.on('SIGHUP', () => {
    started.then(
      () => {
        let next: { config: Config } | { errors: readonly string[] };
        try {
          next = { config: reloadConfig() };
        } catch (error) {
          next = { errors: error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)] };
        }
        void primary.reload(next);
      },
      () => undefined,
    );
  });
  // Upgrade in place: every worker is replaced by one forked from the code on disk, one slot at
  // a time, and hands its established plain-TCP connections over to it (no miner is closed).
  process.on('SIGUSR2', () => {
    started.then(
      () => void primary.upgrade(),
      () => undefined,
    );
  });
  disarmSigusr1(logger);
  exitOnStartFailure(started, logger);
}

/**
 * A worker: the relay without HTTP, driven by the primary. Signals that reach it as part of its
 * process group (Ctrl-C, a terminal hang-up, kill -USR2 -<pgid>) are the primary's to act on and
 * relay; SIGTERM sent to the worker alone retires it gracefully (the primary starts another).
 */
function runWorker(config: Config): void {
  const workerId = cluster.worker?.id ?? 0;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat }).child({ worker_id: workerId });
  // Each worker its own range of connection ids: a connection keeps its id when an upgrade hands it over.
  const service = new ProxyService({ config, logger, version: VERSION, http: false, connectionIdBase: connectionIdBase(workerId) });
  // A forked worker's `process` is its IPC channel to the primary (send, connected, 'message').
  const runtime = new WorkerRuntime({ service, logger, loadConfig: reloadConfig, channel: process as unknown as PrimaryChannel });
  fatalOnUncaught(logger);
  const started = runtime.start();
  started.catch(() => undefined); // reported to the primary, which exits with it
  process.on('SIGTERM', () => void runtime.retire('drain'));
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGUSR2'] as const) {
    process.on(signal, () => logger.debug({ signal }, 'signal left to the primary'));
  }
  disarmSigusr1(logger);
}
