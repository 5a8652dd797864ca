import { flagProblems, flagValues, readFlags, type FlagSpecs } from '@stratum-relay/config';
import { CliUsageError } from './errors';
import { LOG_LEVELS, type LogLevel, type PoolSimOptions, type ProfileName } from './options';
import { PROFILES } from './profiles';

export interface CliRun {
  readonly kind: 'run';
  readonly options: Partial<PoolSimOptions>;
  /** null = no control server. */
  readonly controlPort: number | null;
  readonly statsFile: string | null;
}

export type CliCommand = { readonly kind: 'help' } | { readonly kind: 'version' } | CliRun;

export const HELP_TEXT = `Usage: pool-sim [options]

A Stratum V1 pool simulator that judges shares like a real pool.

Options:
  --host HOST              address to listen on (default 127.0.0.1)
  --port PORT              port to listen on, 0 = ephemeral (default 3333)
  --profile NAME           easy | realistic | chaos (default easy)
  --difficulty D           share difficulty, fractions allowed (e.g. 0.0001)
  --extranonce1-size N     extranonce1 bytes, 1-16 (default 4)
  --extranonce1-prefix HEX every extranonce1 starts with these hex digits, leaving at least
                           one byte free (tells pools apart in failover tests)
  --extranonce2-size N     extranonce2 bytes, 1-16 (default 4)
  --job-interval DUR       new job every DUR, 0 = never (e.g. 30s, 500ms; plain number = ms)
  --tip-interval DUR       new block every DUR, 0 = only via POST /advance-tip
  --vardiff / --no-vardiff retarget each session toward --target-share-interval
  --target-share-interval DUR   vardiff's target time between shares (default 5s)
  --seed N                 seed of every pseudo-random choice (default 1)
  --password PASS          require this password in mining.authorize
  --name NAME              label reported in GET /stats and in logs
  --control-port PORT      serve the control API on this port: GET /stats, GET /healthz,
                           POST /advance-tip, /rotate-job, /difficulty?value=D[&worker=W],
                           faults POST /sessions/kill, /blackhole?on=true|false,
                           /pause-reading?on=true|false; GET /api/state,
                           /api/traces?session=S&method=M&direction=D&limit=N,
                           /api/debug/bundle/SESSION, POST /profile?name=P; the page GET /ui
  --trace-entries N        lines kept in the message trace, 0 = off (default 10000)
  --stats-file PATH        write the final stats as JSON here on exit
  --log-level LEVEL        ${LOG_LEVELS.join(' | ')} (default info)
  -h, --help               show this help
  -V, --version            print the version (and the commit when known) and exit

Example:
  pool-sim --port 3333 --profile easy --difficulty 0.0001 --control-port 9334
`;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDuration(flag: string, raw: string): number {
  const m = DURATION.exec(raw.trim());
  if (m === null) throw new CliUsageError(`--${flag}: expected a duration like 30s, 500ms or 2m, got "${raw}"`);
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1));
  if (!Number.isSafeInteger(ms) || ms > 2 ** 31 - 1) throw new CliUsageError(`--${flag}: duration too large`);
  return ms;
}

function parseInteger(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new CliUsageError(`--${flag}: expected an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new CliUsageError(`--${flag}: must be from ${min} to ${max}, got ${n}`);
  return n;
}

function parsePositive(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliUsageError(`--${flag}: expected a number > 0, got "${raw}"`);
  return n;
}

const FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  profile: { type: 'string' },
  difficulty: { type: 'string' },
  'extranonce1-size': { type: 'string' },
  'extranonce1-prefix': { type: 'string' },
  name: { type: 'string' },
  'extranonce2-size': { type: 'string' },
  'job-interval': { type: 'string' },
  'tip-interval': { type: 'string' },
  vardiff: { type: 'boolean' },
  'no-vardiff': { type: 'boolean' },
  'target-share-interval': { type: 'string' },
  seed: { type: 'string' },
  password: { type: 'string' },
  'control-port': { type: 'string' },
  'trace-entries': { type: 'string' },
  'stats-file': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies FlagSpecs;

/** Parse the command line (without node and script). Throws CliUsageError on any bad flag. */
export function parseCli(argv: readonly string[]): CliCommand {
  const read = readFlags(argv, FLAGS);
  const problems = flagProblems(read, 'pool-sim takes only --options');
  if (problems.length > 0) throw new CliUsageError(problems.join('\n'));
  const v = flagValues(read, FLAGS);
  if (v.help === true) return { kind: 'help' };
  if (v.version === true) return { kind: 'version' };

  const options: Partial<PoolSimOptions> = { port: 3333, logLevel: 'info' };
  if (v.host !== undefined) {
    if (v.host.trim() === '') throw new CliUsageError('--host: must not be empty');
    options.host = v.host;
  }
  if (v.port !== undefined) options.port = parseInteger('port', v.port, 0, 65535);
  if (v.profile !== undefined) {
    if (!Object.prototype.hasOwnProperty.call(PROFILES, v.profile)) {
      throw new CliUsageError(`--profile: expected one of ${Object.keys(PROFILES).join(', ')}, got "${v.profile}"`);
    }
    options.profile = v.profile as ProfileName;
  }
  if (v.difficulty !== undefined) options.difficulty = parsePositive('difficulty', v.difficulty);
  if (v['extranonce1-size'] !== undefined) options.extranonce1Size = parseInteger('extranonce1-size', v['extranonce1-size'], 1, 16);
  if (v['extranonce1-prefix'] !== undefined) {
    // The length limit depends on --extranonce1-size; the pool's option check reports it.
    if (!/^[0-9a-fA-F]+$/.test(v['extranonce1-prefix'])) {
      throw new CliUsageError(`--extranonce1-prefix: expected hex digits, got "${v['extranonce1-prefix']}"`);
    }
    options.extranonce1Prefix = v['extranonce1-prefix'];
  }
  if (v.name !== undefined) {
    if (v.name.trim() === '') throw new CliUsageError('--name: must not be empty');
    options.name = v.name;
  }
  if (v['extranonce2-size'] !== undefined) options.extranonce2Size = parseInteger('extranonce2-size', v['extranonce2-size'], 1, 16);
  if (v['job-interval'] !== undefined) options.jobIntervalMs = parseDuration('job-interval', v['job-interval']);
  if (v['tip-interval'] !== undefined) options.tipIntervalMs = parseDuration('tip-interval', v['tip-interval']);
  if (v.vardiff === true && v['no-vardiff'] === true) throw new CliUsageError('--vardiff and --no-vardiff are exclusive');
  if (v.vardiff === true) options.vardiff = true;
  if (v['no-vardiff'] === true) options.vardiff = false;
  if (v['target-share-interval'] !== undefined) {
    const ms = parseDuration('target-share-interval', v['target-share-interval']);
    if (ms < 1) throw new CliUsageError('--target-share-interval: must be at least 1ms');
    options.targetShareIntervalMs = ms;
  }
  if (v.seed !== undefined) options.seed = parseInteger('seed', v.seed, 0, 2 ** 32 - 1);
  if (v.password !== undefined) options.password = v.password;
  if (v['log-level'] !== undefined) {
    if (!LOG_LEVELS.includes(v['log-level'] as LogLevel)) {
      throw new CliUsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${v['log-level']}"`);
    }
    options.logLevel = v['log-level'] as LogLevel;
  }
  if (v['trace-entries'] !== undefined) options.traceEntries = parseInteger('trace-entries', v['trace-entries'], 0, 1_000_000);
  const controlPort = v['control-port'] === undefined ? null : parseInteger('control-port', v['control-port'], 0, 65535);
  let statsFile: string | null = null;
  if (v['stats-file'] !== undefined) {
    if (v['stats-file'].trim() === '') throw new CliUsageError('--stats-file: must not be empty');
    statsFile = v['stats-file'];
  }
  return { kind: 'run', options, controlPort, statsFile };
}
