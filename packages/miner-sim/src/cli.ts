import { buildCommit, versionLine } from '@stratum-relay/config';
import { parseCliArgs, HELP_TEXT } from './cli-args';
import { VERSION } from './version';
import { MinerSimError } from './errors';
import { MinerFarm } from './miner-farm';
import { snakeCaseKeys } from './snake-case-keys';
import { formatProgress, formatSummary, type MinerSummary } from './summary';

/** What the CLI touches of the outside world, injectable so tests run it in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Resolves when the run should stop early (SIGINT/SIGTERM in main.ts). */
  readonly interrupted: Promise<void>;
}

export const EXIT_OK = 0;
export const EXIT_RATIO = 1;
export const EXIT_USAGE = 2;

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write(text)) stream.once('drain', resolve);
    else resolve();
  });
}

/** Runs the miner-sim CLI; resolves with the exit status. Never throws for bad input. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let cmd;
  let farm: MinerFarm;
  try {
    cmd = parseCliArgs(argv);
    if (cmd.kind === 'help') {
      await write(io.stdout, HELP_TEXT);
      return EXIT_OK;
    }
    if (cmd.kind === 'version') {
      await write(io.stdout, versionLine('miner-sim', VERSION, buildCommit(__dirname)));
      return EXIT_OK;
    }
    farm = new MinerFarm(cmd.farm);
  } catch (err) {
    if (err instanceof MinerSimError) {
      await write(io.stderr, `miner-sim: ${err.message}\nTry 'miner-sim --help'.\n`);
      return EXIT_USAGE;
    }
    throw err;
  }

  // The live line goes to stderr and only on a terminal, so piped/--json output stays clean.
  let progressTimer: NodeJS.Timeout | null = null;
  let lastAnswered = 0;
  if (io.stderr.isTTY === true) {
    progressTimer = setInterval(() => {
      const p = farm.progress();
      const answered = p.accepted + p.rejected;
      io.stderr.write(`\r${formatProgress(p, answered - lastAnswered)}\x1b[K`);
      lastAnswered = answered;
    }, 1000);
    progressTimer.unref();
  }

  await farm.start();
  await Promise.race([farm.whenDone(), io.interrupted]);
  const summary = await farm.stop();
  if (progressTimer !== null) {
    clearInterval(progressTimer);
    io.stderr.write('\r\x1b[K');
  }

  const expect = cmd.expectAcceptRatio;
  const failed = expect !== null && (summary.acceptRatio === null || summary.acceptRatio < expect);
  if (cmd.json) {
    const { perMiner, ...totals } = summary;
    const out: Record<string, unknown> = { ...totals, expectAcceptRatio: expect, passed: !failed };
    if (cmd.perMiner) out['perMiner'] = perMiner;
    await write(io.stdout, JSON.stringify(snakeCaseKeys(out)) + '\n');
  } else {
    await write(io.stdout, formatSummary(summary) + '\n');
  }
  if (failed) await write(io.stderr, ratioMessage(summary, expect));
  return failed ? EXIT_RATIO : EXIT_OK;
}

function ratioMessage(s: MinerSummary, expect: number): string {
  const got = s.acceptRatio === null ? 'no answered shares' : `accept ratio ${s.acceptRatio.toFixed(4)}`;
  return `miner-sim: ${got} is below --expect-accept-ratio ${expect}\n`;
}
