import type { ChaosOptions } from './chaos-planner';

export type ProfileName = 'easy' | 'realistic' | 'chaos';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything a PoolSim can be told. The constructor takes a Partial over a profile's values. */
export interface PoolSimOptions {
  host: string;
  /** 0 picks an ephemeral port. */
  port: number;
  profile: ProfileName;
  /** Starting (and, without vardiff, fixed) share difficulty; fractions far below 1 are fine. */
  difficulty: number;
  extranonce1Size: number;
  /**
   * Hex digits every extranonce1 of this pool starts with ('' = none), so tests running several
   * pools tell from a miner's extranonce1 which pool it is on. Leaves at least one byte free.
   */
  extranonce1Prefix: string;
  extranonce2Size: number;
  /** A new job (same tip, new ntime and coinbase tag) every this many ms; 0 = never. */
  jobIntervalMs: number;
  /** The tip advances (clean_jobs=true) every this many ms; 0 = only on advanceTip(). */
  tipIntervalMs: number;
  vardiff: boolean;
  targetShareIntervalMs: number;
  vardiffRetargetMs: number;
  minDifficulty: number;
  maxDifficulty: number;
  /** Seed of every pseudo-random choice (extranonce1s, tips, chaos). */
  seed: number;
  /** When set, mining.authorize must carry this password. */
  password: string | null;
  /** When set, only these user names may authorize. */
  allowlist: readonly string[] | null;
  /** Apply mining.suggest_difficulty (else it is only acknowledged). */
  honorSuggestDifficulty: boolean;
  /** The BIP310 mask the pool allows; the answer is this ANDed with the miner's mask. */
  versionRollingMask: number;
  /** Lines longer than this are skipped and counted. */
  maxLineBytes: number;
  /** How far in the future a share's ntime may be. */
  maxNtimeAheadSec: number;
  /** Compact network target put in every job. */
  nbits: string;
  /** Number of simulated non-coinbase transactions per tip (sets the merkle branch length). */
  txCount: number;
  startHeight: number;
  /** Fault injection; null = none. */
  chaos: ChaosOptions | null;
  /**
   * Lines kept in the global message trace (`GET /api/traces`), both ways, every session;
   * 0 turns tracing off (no per-line cost at all).
   */
  traceEntries: number;
  /** Keep every byte each session received and sent (transparency tests). */
  captureBytes: boolean;
  logLevel: LogLevel;
  /** Host of the control HTTP server (controlListen). */
  controlHost: string;
  /** A label for this instance, reported in stats and logs (null = unnamed). */
  name: string | null;
}

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
