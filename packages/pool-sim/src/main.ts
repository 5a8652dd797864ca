import { writeFileSync } from 'node:fs';
import { buildCommit, versionLine } from '@stratum-relay/config';
import { parseCli, HELP_TEXT } from './cli-args';
import { CliUsageError, PoolSimError } from './errors';
import { PoolSim } from './pool-sim';
import { VERSION } from './version';

/** The pool-sim program: parse flags, wire a PoolSim, install signal handlers. */
async function main(argv: readonly string[]): Promise<void> {
  let command;
  try {
    command = parseCli(argv);
  } catch (err) {
    if (err instanceof CliUsageError) {
      process.stderr.write(`pool-sim: ${err.message}\nTry 'pool-sim --help'.\n`);
      process.exit(2);
    }
    throw err;
  }
  if (command.kind === 'help') {
    process.stdout.write(HELP_TEXT);
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(versionLine('pool-sim', VERSION, buildCommit(__dirname)));
    return;
  }
  let pool: PoolSim;
  try {
    pool = new PoolSim(command.options);
  } catch (err) {
    if (err instanceof PoolSimError) {
      process.stderr.write(`pool-sim: ${err.message}\nTry 'pool-sim --help'.\n`);
      process.exit(2);
    }
    throw err;
  }
  let addr;
  let control = 'control off';
  try {
    addr = await pool.listen();
    if (command.controlPort !== null) {
      const c = await pool.controlListen(command.controlPort);
      control = `control on http://${c.host}:${c.port}`;
    }
  } catch (err) {
    process.stderr.write(`pool-sim: ${err instanceof Error ? err.message : String(err)}\n`);
    await pool.close();
    process.exit(1);
  }
  process.stdout.write(`pool-sim listening on ${addr.host}:${addr.port} (${control})\n`);

  const statsFile = command.statsFile;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    void pool.close().then(
      () => {
        if (statsFile !== null) {
          try {
            writeFileSync(statsFile, `${JSON.stringify(pool.stats(), null, 2)}\n`);
          } catch (err) {
            process.stderr.write(`pool-sim: cannot write stats file: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(1);
          }
        }
        process.stderr.write(`pool-sim: stopped on ${signal}\n`);
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`pool-sim: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`pool-sim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
