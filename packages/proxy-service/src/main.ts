/**
 * stratum-proxy: load the config, build the logger and the service, install signal handlers,
 * map failures to exit codes (see EXIT_CODES in cli.ts). Everything else lives in importable
 * modules.
 */
import { ConfigError, helpText, loadConfig, wantsHelp, type Config } from '@stratum-relay/config';
import { createLogger } from '@stratum-relay/logger';
import { configErrorText, EXIT_CODES, shutdownExitCode, signalExitCode, startErrorLine } from './cli';
import { ProxyService } from './service';
import { VERSION } from './version';

const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  process.stdout.write(helpText());
  process.exit(EXIT_CODES.OK);
}

let config: Config;
try {
  config = loadConfig({ argv, env: process.env });
} catch (error) {
  process.stderr.write(configErrorText(error));
  process.exit(EXIT_CODES.CONFIG);
}

const logger = createLogger({ level: config.logLevel, format: config.logFormat });
const service = new ProxyService({ config, logger, version: VERSION });

process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception');
  process.exit(EXIT_CODES.START_FAILED);
});

const started = service.start();

let signals = 0;
let draining = false;
let abortedBy: NodeJS.Signals | undefined;
// Installed before start() settles so a signal during start-up (e.g. while the metrics server
// binds) still ends in an orderly shutdown instead of the default kill.
function onSignal(signal: NodeJS.Signals): void {
  signals++;
  if (signals === 1) {
    started
      .then(() => {
        draining = true;
        return service.shutdown(signal);
      })
      .then(
        (result) => process.exit(shutdownExitCode(result, abortedBy)),
        () => undefined, // a start failure is reported below
      );
  } else if (signals === 2 && draining) {
    // Second signal: stop waiting for miners, close every connection now.
    abortedBy = signal;
    void service.shutdown(signal);
  } else {
    // Impatient operator during start-up, or a third signal: something is stuck; leave at once.
    process.exit(signalExitCode(signal));
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// SIGHUP (a terminal hang-up, `systemctl reload`) re-reads the config file instead of killing
// the proxy and every miner with it. Flags and environment still win over the file.
process.on('SIGHUP', () => {
  started.then(
    () => {
      let next: Config;
      try {
        next = loadConfig({ argv, env: process.env });
      } catch (error) {
        service.rejectReload(error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)]);
        return;
      }
      service.reload(next);
    },
    () => undefined,
  );
});

// Node opens its inspector on SIGUSR1 (127.0.0.1:9229): a debugger any local user could attach
// to a production relay. A listener replaces that default; `node --inspect` stays possible.
process.on('SIGUSR1', () => {
  logger.warn({ signal: 'SIGUSR1' }, 'SIGUSR1 ignored: the inspector is not opened by a signal (start with node --inspect to debug)');
});

started.catch((error: unknown) => {
  process.stderr.write(`${startErrorLine(error)}\n`);
  logger.fatal({ err: error }, 'cannot start');
  process.exit(EXIT_CODES.START_FAILED);
});
