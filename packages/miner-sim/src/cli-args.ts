import { flagProblems, flagValues, readFlags, type FlagSpecs } from '@stratum-relay/config';
import { MinerSimError, UsageError } from './errors';
import { parseFaultSpec, FAULT_MODES, type FaultSpec } from './fault-plan';
import type { MinerFarmOptions } from './miner-farm';
import { ID_STYLES, isIdStyle } from './request-ids';
import { parseStratumUrl } from './stratum-url';

export const HELP_TEXT = `Usage: miner-sim [options]

Simulated Stratum V1 miners that really hash (sha256d) and submit shares.

Options:
  --url URL                  pool: stratum+tcp://host:port or host:port (default stratum+tcp://127.0.0.1:3333)
  --miners N                 number of miners, one TCP connection each (default 1)
  --user PREFIX              worker name prefix; miners authorize as PREFIX.1, PREFIX.2, … (default sim)
  --password P               password for mining.authorize (default x)
  --duration S               stop after S seconds (default: until --shares or Ctrl-C)
  --shares N                 stop after N answered submits (accepted + rejected) in total
  --hashrate H               hash rate cap per miner in H/s, k/M suffix allowed (default 50k)
  --ramp-up R                new connections per second while starting (default 0 = all at once)
  --id-style STYLE           request ids: ${ID_STYLES.join(' | ')} (default increment; reuse = always 4, like cpuminer)
  --fault MODE[:P|:N]        inject a fault, repeatable; P = probability per opportunity (0.1, 1.0),
                             N = first N opportunities per miner, bare MODE = once per miner.
                             MODE: ${FAULT_MODES.join(', ')}
  --version-rolling          negotiate BIP310 version rolling with mining.configure
  --extranonce-subscribe     send mining.extranonce.subscribe
  --submit-timeout S         a submit without answer after S seconds is a timeout (default 10)
  --connect-timeout S        give up a TCP connect after S seconds (default 10)
  --handshake-timeout S      drop a connection whose subscribe/authorize is unanswered after S seconds (default 10)
  --silence-timeout S        drop a connection on which the pool sent nothing for S seconds (default off;
                             make it longer than the pool's job interval)
  --backoff-base S           first reconnect delay in seconds, doubling per failed attempt (default 0.25)
  --backoff-max S            cap of the reconnect delay in seconds (default 10); delays are jittered
                             (half fixed, half random) and start over after a completed handshake
  --no-reconnect             do not reconnect after a drop or a failed connect
  --expect-accept-ratio R    exit 1 if accepted / (accepted + rejected + timeouts) < R (0..1)
  --seed N                   seed for fault injection and reconnect jitter (default 1)
  --json                     print the final summary as JSON
  --per-miner                include per-miner counters in the JSON summary, with connects, reconnects and
                             the extranonce1 of each miner's latest subscribe answer (which pool it ended on)
  -h, --help                 show this help
  -V, --version              print the version (and the commit when known) and exit

All miners share one event loop: total hashing is bounded by one CPU core, so with thousands
of miners most are idle connections. Each miner uses one file descriptor.
Exit status: 0 ok, 1 accept ratio below --expect-accept-ratio, 2 bad flags.
`;

export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly farm: Partial<MinerFarmOptions>;
      readonly json: boolean;
      readonly perMiner: boolean;
      readonly expectAcceptRatio: number | null;
    };

const NUMBER_RE = /^([0-9]+(?:\.[0-9]+)?)([kKmMgG]?)$/;
const SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

function num(flag: string, text: string | undefined, opts: { integer?: boolean; min?: number; max?: number; suffix?: boolean } = {}): number | undefined {
  if (text === undefined) return undefined;
  const m = NUMBER_RE.exec(text.trim());
  if (m === null || (!opts.suffix && m[2] !== '')) throw new UsageError(`--${flag}: expected a number, got ${JSON.stringify(text)}`);
  const value = Number(m[1]) * (SUFFIX[(m[2] ?? '').toLowerCase()] ?? 1);
  if (opts.integer && !Number.isInteger(value)) throw new UsageError(`--${flag}: expected an integer, got ${JSON.stringify(text)}`);
  if (opts.min !== undefined && value < opts.min) throw new UsageError(`--${flag}: must be ≥ ${opts.min}`);
  if (opts.max !== undefined && value > opts.max) throw new UsageError(`--${flag}: must be ≤ ${opts.max}`);
  return value;
}

const FLAGS = {
  url: { type: 'string' },
  miners: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  duration: { type: 'string' },
  shares: { type: 'string' },
  hashrate: { type: 'string' },
  'ramp-up': { type: 'string' },
  'id-style': { type: 'string' },
  fault: { type: 'string', multiple: true },
  'version-rolling': { type: 'boolean' },
  'extranonce-subscribe': { type: 'boolean' },
  'submit-timeout': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'silence-timeout': { type: 'string' },
  'backoff-base': { type: 'string' },
  'backoff-max': { type: 'string' },
  'no-reconnect': { type: 'boolean' },
  'expect-accept-ratio': { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  'per-miner': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies FlagSpecs;

/** Parse argv (without node and script). Throws UsageError (SRL_ERR_BAD_FLAG) with a clear message. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const read = readFlags(argv, FLAGS);
  const problems = flagProblems(read, 'miner-sim takes only --options');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const values = flagValues(read, FLAGS);
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };

  const farm: Partial<MinerFarmOptions> = {};
  if (values.url !== undefined) {
    try {
      parseStratumUrl(values.url);
    } catch (err) {
      throw new UsageError(`--url: ${(err as Error).message}`, { cause: err });
    }
    farm.url = values.url;
  }
  const miners = num('miners', values.miners, { integer: true, min: 1, max: 100_000 });
  if (miners !== undefined) farm.miners = miners;
  if (values.user !== undefined) {
    if (values.user.length === 0) throw new UsageError('--user: must not be empty');
    farm.user = values.user;
  }
  if (values.password !== undefined) farm.password = values.password;
  const duration = num('duration', values.duration, { min: 0.001 });
  if (duration !== undefined) farm.durationMs = Math.round(duration * 1000);
  const shares = num('shares', values.shares, { integer: true, min: 1 });
  if (shares !== undefined) farm.shares = shares;
  const hashrate = num('hashrate', values.hashrate, { min: 1, suffix: true });
  if (hashrate !== undefined) farm.hashrate = hashrate;
  const rampUp = num('ramp-up', values['ramp-up'], { min: 0 });
  if (rampUp !== undefined) farm.rampUp = rampUp;
  const idStyle = values['id-style'];
  if (idStyle !== undefined) {
    if (!isIdStyle(idStyle)) throw new UsageError(`--id-style: expected one of ${ID_STYLES.join(', ')}, got ${JSON.stringify(idStyle)}`);
    farm.idStyle = idStyle;
  }
  if (values.fault !== undefined) {
    const faults: FaultSpec[] = [];
    for (const spec of values.fault) {
      try {
        faults.push(parseFaultSpec(spec));
      } catch (err) {
        throw new UsageError(`--fault: ${(err as MinerSimError).message}`, { cause: err });
      }
    }
    farm.faults = faults;
  }
  if (values['version-rolling'] === true) farm.versionRolling = true;
  if (values['extranonce-subscribe'] === true) farm.extranonceSubscribe = true;
  const submitTimeout = num('submit-timeout', values['submit-timeout'], { min: 0.001 });
  if (submitTimeout !== undefined) farm.submitTimeoutMs = Math.max(1, Math.round(submitTimeout * 1000));
  const ms = (flag: string, text: string | undefined): number | undefined => {
    const seconds = num(flag, text, { min: 0.001, max: 86_400 });
    return seconds === undefined ? undefined : Math.max(1, Math.round(seconds * 1000));
  };
  const connectTimeout = ms('connect-timeout', values['connect-timeout']);
  if (connectTimeout !== undefined) farm.connectTimeoutMs = connectTimeout;
  const handshakeTimeout = ms('handshake-timeout', values['handshake-timeout']);
  if (handshakeTimeout !== undefined) farm.handshakeTimeoutMs = handshakeTimeout;
  const silenceTimeout = ms('silence-timeout', values['silence-timeout']);
  if (silenceTimeout !== undefined) farm.silenceTimeoutMs = silenceTimeout;
  const backoffBase = ms('backoff-base', values['backoff-base']);
  if (backoffBase !== undefined) farm.backoffBaseMs = backoffBase;
  const backoffMax = ms('backoff-max', values['backoff-max']);
  if (backoffMax !== undefined) farm.backoffMaxMs = backoffMax;
  if (values['no-reconnect'] === true) farm.reconnect = false;
  const seed = num('seed', values.seed, { integer: true, min: 0, max: 0xffffffff });
  if (seed !== undefined) farm.seed = seed;
  const expect = num('expect-accept-ratio', values['expect-accept-ratio'], { min: 0, max: 1 });
  return { kind: 'run', farm, json: values.json === true, perMiner: values['per-miner'] === true, expectAcceptRatio: expect ?? null };
}
