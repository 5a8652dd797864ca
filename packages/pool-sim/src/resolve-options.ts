import type { ChaosOptions } from './chaos-planner';
import { InvalidOptionError } from './errors';
import { checkExtranonce1Prefix } from './extranonce-allocator';
import { LOG_LEVELS, type PoolSimOptions } from './options';
import { PROFILES, isProfileName } from './profiles';

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidOptionError(`${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
}

function checkPositive(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidOptionError(`${name} must be a finite number > 0, got ${String(v)}`);
  }
}

function checkChaos(c: ChaosOptions): void {
  const probs: (keyof ChaosOptions)[] = [
    'dropProbability',
    'delayProbability',
    'disconnectProbability',
    'malformedProbability',
    'reconnectProbability',
  ];
  for (const k of probs) {
    const v = c[k];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new InvalidOptionError(`chaos.${k} must be in [0, 1], got ${String(v)}`);
  }
  if (c.dropProbability + c.disconnectProbability > 1) {
    throw new InvalidOptionError('chaos.dropProbability + chaos.disconnectProbability must not exceed 1');
  }
  checkInt('chaos.delayMinMs', c.delayMinMs, 0, 600_000);
  checkInt('chaos.delayMaxMs', c.delayMaxMs, c.delayMinMs, 600_000);
}

/**
 * The profile's values overridden by every option given (undefined means "not given"),
 * checked once and frozen. Throws InvalidOptionError (SRL_ERR_POOL_SIM_OPTIONS).
 */
export function resolveOptions(partial: Partial<PoolSimOptions> = {}): Readonly<PoolSimOptions> {
  const profile = partial.profile ?? 'easy';
  if (!isProfileName(profile)) throw new InvalidOptionError(`unknown profile ${String(profile)}`);
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<PoolSimOptions>;
  const o: PoolSimOptions = { ...PROFILES[profile], ...given, profile };

  if (typeof o.host !== 'string' || o.host.length === 0) throw new InvalidOptionError('host must be a non-empty string');
  if (typeof o.controlHost !== 'string' || o.controlHost.length === 0) {
    throw new InvalidOptionError('controlHost must be a non-empty string');
  }
  checkInt('port', o.port, 0, 65535);
  checkPositive('difficulty', o.difficulty);
  checkPositive('minDifficulty', o.minDifficulty);
  checkPositive('maxDifficulty', o.maxDifficulty);
  if (o.minDifficulty > o.maxDifficulty) throw new InvalidOptionError('minDifficulty must not exceed maxDifficulty');
  checkInt('extranonce1Size', o.extranonce1Size, 1, 16);
  checkInt('extranonce2Size', o.extranonce2Size, 1, 16);
  if (typeof o.extranonce1Prefix !== 'string') throw new InvalidOptionError('extranonce1Prefix must be a hex string');
  checkExtranonce1Prefix(o.extranonce1Prefix, o.extranonce1Size);
  if (o.name !== null && (typeof o.name !== 'string' || o.name.length === 0)) {
    throw new InvalidOptionError('name must be a non-empty string or null');
  }
  checkInt('jobIntervalMs', o.jobIntervalMs, 0, 2 ** 31 - 1);
  checkInt('tipIntervalMs', o.tipIntervalMs, 0, 2 ** 31 - 1);
  checkInt('targetShareIntervalMs', o.targetShareIntervalMs, 1, 2 ** 31 - 1);
  checkInt('vardiffRetargetMs', o.vardiffRetargetMs, 1, 2 ** 31 - 1);
  checkInt('seed', o.seed, 0, 2 ** 32 - 1);
  checkInt('versionRollingMask', o.versionRollingMask, 0, 0xffffffff);
  checkInt('maxLineBytes', o.maxLineBytes, 256, 64 * 1024 * 1024);
  checkInt('maxNtimeAheadSec', o.maxNtimeAheadSec, 0, 2 ** 31 - 1);
  checkInt('txCount', o.txCount, 0, 10_000);
  checkInt('startHeight', o.startHeight, 1, 2 ** 31 - 1);
  checkInt('traceEntries', o.traceEntries, 0, 1_000_000);
  if (typeof o.nbits !== 'string' || !/^[0-9a-fA-F]{8}$/.test(o.nbits)) throw new InvalidOptionError('nbits must be 8 hex characters');
  if (!LOG_LEVELS.includes(o.logLevel)) throw new InvalidOptionError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  if (o.password !== null && typeof o.password !== 'string') throw new InvalidOptionError('password must be a string or null');
  if (o.allowlist !== null && (!Array.isArray(o.allowlist) || o.allowlist.some((u) => typeof u !== 'string'))) {
    throw new InvalidOptionError('allowlist must be an array of strings or null');
  }
  if (o.chaos !== null) checkChaos(o.chaos);
  return Object.freeze({
    ...o,
    nbits: o.nbits.toLowerCase(),
    extranonce1Prefix: o.extranonce1Prefix.toLowerCase(),
    allowlist: o.allowlist === null ? null : Object.freeze([...o.allowlist]),
    chaos: o.chaos === null ? null : Object.freeze({ ...o.chaos }),
  });
}
