import type { PoolSimOptions, ProfileName } from './options';

/**
 * Base values shared by every profile. Difficulty 0.00001 is ~43,000 hashes per share, so a
 * miner doing ~100 kH/s finds a couple of shares per second.
 */
const BASE: Readonly<PoolSimOptions> = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  profile: 'easy',
  difficulty: 0.00001,
  extranonce1Size: 4,
  extranonce1Prefix: '',
  extranonce2Size: 4,
  jobIntervalMs: 30_000,
  tipIntervalMs: 0,
  vardiff: false,
  targetShareIntervalMs: 5_000,
  vardiffRetargetMs: 30_000,
  minDifficulty: 0.000001,
  maxDifficulty: 1e12,
  seed: 1,
  password: null,
  allowlist: null,
  honorSuggestDifficulty: false,
  versionRollingMask: 0x1fffe000,
  maxLineBytes: 16 * 1024,
  maxNtimeAheadSec: 7200,
  nbits: '1d00ffff',
  txCount: 5,
  startHeight: 840_000,
  chaos: null,
  traceEntries: 10_000,
  captureBytes: false,
  logLevel: 'silent',
  controlHost: '127.0.0.1',
  name: null,
} satisfies PoolSimOptions);

/**
 * The options a profile decides. Switching profiles at run time (`POST /profile`) takes these
 * from the new profile and keeps every other option (addresses, seed, password, extranonce
 * sizes, trace size...), which cannot change under connected miners anyway.
 */
export const PROFILE_KEYS = Object.freeze([
  'difficulty',
  'vardiff',
  'targetShareIntervalMs',
  'vardiffRetargetMs',
  'minDifficulty',
  'maxDifficulty',
  'jobIntervalMs',
  'tipIntervalMs',
  'nbits',
  'txCount',
  'honorSuggestDifficulty',
  'chaos',
] as const satisfies readonly (keyof PoolSimOptions)[]);

/** Whether `name` is one of PROFILES' names (own keys only: "toString" is not a profile). */
export function isProfileName(name: unknown): name is ProfileName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(PROFILES, name);
}

/** Named option sets; explicit options override them. */
export const PROFILES: Readonly<Record<ProfileName, Readonly<PoolSimOptions>>> = Object.freeze({
  /** Tiny fixed difficulty, deterministic for a seed, no faults: for tests and the demo. */
  easy: BASE,
  /** Vardiff steering each miner toward a share every 10 s, a job every 30 s, a block every 10 min. */
  realistic: Object.freeze({
    ...BASE,
    profile: 'realistic',
    difficulty: 0.001,
    vardiff: true,
    targetShareIntervalMs: 10_000,
    vardiffRetargetMs: 60_000,
    jobIntervalMs: 30_000,
    tipIntervalMs: 600_000,
    nbits: '17034219',
    txCount: 11,
    honorSuggestDifficulty: true,
  }),
  /** Easy difficulty plus seeded faults on share answers. */
  chaos: Object.freeze({
    ...BASE,
    profile: 'chaos',
    jobIntervalMs: 10_000,
    tipIntervalMs: 60_000,
    chaos: Object.freeze({
      dropProbability: 0.05,
      delayProbability: 0.2,
      delayMinMs: 50,
      delayMaxMs: 1_500,
      disconnectProbability: 0.01,
      malformedProbability: 0.03,
      reconnectProbability: 0.005,
    }),
  }),
});
