import { runCli } from './cli';

// Wiring only: signals → an early stop, the exit status → the process.
const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupted }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`miner-sim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(3);
  },
);
