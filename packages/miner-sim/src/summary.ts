import { FAULT_MODES, type FaultMode } from './fault-plan';
import type { LatencyStats } from './latency-sampler';
import { REJECT_REASONS, type ShareRejectReason } from './reject-reason';

/** Counters kept by each miner; the farm's totals are their sums. */
export interface MinerCounters {
  /** mining.submit requests sent (faulty ones included). */
  submitted: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Record<ShareRejectReason, number>;
  /** Submits with no answer within the submit timeout. */
  timeouts: number;
  /** Submits still unanswered when their connection closed. */
  unanswered: number;
  /** TCP connections established. */
  connects: number;
  /** TCP connections established after an earlier one of the same miner (connects − 1 per miner). */
  reconnects: number;
  /** Established connections that closed. */
  disconnects: number;
  /** Connection attempts that failed (refused, timed out, …). */
  connectFailures: number;
  /** Connections dropped because the pool did not answer the handshake in time. */
  handshakeTimeouts: number;
  /** Connections dropped because the pool sent nothing for `silenceTimeoutMs`. */
  silenceTimeouts: number;
  /** mining.authorize answered with false or an error. */
  authorizeFailures: number;
  /** Pool lines that were not JSON / not Stratum, or notify/set_* with bad params. */
  poolErrors: number;
  /** Double SHA-256 header hashes computed. */
  hashes: number;
  /** Faults injected, by mode. */
  faults: Record<FaultMode, number>;
}

export interface MinerStatsSnapshot extends MinerCounters {
  readonly worker: string;
  readonly connected: boolean;
  readonly authorized: boolean;
  /**
   * extranonce1 of the miner's latest mining.subscribe answer, kept after a disconnect (null
   * before the first): which pool the miner is on, or ended on, when pools use distinct prefixes.
   */
  readonly extranonce1: string | null;
}

export interface MinerSummary extends MinerCounters {
  /** Miners in the farm. */
  readonly miners: number;
  /** Miners with an open connection right now. */
  readonly connected: number;
  /** Miners whose current connection is authorized. */
  readonly authorized: number;
  readonly durationMs: number;
  /** accepted / (accepted + rejected + timeouts); null before any answered or timed-out submit. */
  readonly acceptRatio: number | null;
  /** Answered submits (accepted + rejected) per second over the run. */
  readonly shareRate: number;
  /** Measured hashes per second over the run, all miners together. */
  readonly hashrate: number;
  /** Submit round-trip latency in ms; null before any answer. */
  readonly latencyMs: LatencyStats | null;
  readonly perMiner: readonly MinerStatsSnapshot[];
}

function zeroRecord<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

export function createCounters(): MinerCounters {
  return {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    rejectedByReason: zeroRecord(REJECT_REASONS),
    timeouts: 0,
    unanswered: 0,
    connects: 0,
    reconnects: 0,
    disconnects: 0,
    connectFailures: 0,
    handshakeTimeouts: 0,
    silenceTimeouts: 0,
    authorizeFailures: 0,
    poolErrors: 0,
    hashes: 0,
    faults: zeroRecord(FAULT_MODES),
  };
}

/** Add `from` into `into` (mutates `into`). */
export function addCounters(into: MinerCounters, from: MinerCounters): void {
  into.submitted += from.submitted;
  into.accepted += from.accepted;
  into.rejected += from.rejected;
  for (const r of REJECT_REASONS) into.rejectedByReason[r] += from.rejectedByReason[r];
  into.timeouts += from.timeouts;
  into.unanswered += from.unanswered;
  into.connects += from.connects;
  into.reconnects += from.reconnects;
  into.disconnects += from.disconnects;
  into.connectFailures += from.connectFailures;
  into.handshakeTimeouts += from.handshakeTimeouts;
  into.silenceTimeouts += from.silenceTimeouts;
  into.authorizeFailures += from.authorizeFailures;
  into.poolErrors += from.poolErrors;
  into.hashes += from.hashes;
  for (const f of FAULT_MODES) into.faults[f] += from.faults[f];
}

export function copyCounters(c: MinerCounters): MinerCounters {
  const out = createCounters();
  addCounters(out, c);
  return out;
}

export function acceptRatio(c: Pick<MinerCounters, 'accepted' | 'rejected' | 'timeouts'>): number | null {
  const total = c.accepted + c.rejected + c.timeouts;
  return total === 0 ? null : c.accepted / total;
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** One progress line (no newline), for the TTY status refreshed each second. */
export function formatProgress(s: Pick<MinerSummary, 'miners' | 'connected' | 'accepted' | 'rejected' | 'durationMs'>, rate: number): string {
  return `miners ${s.connected}/${s.miners} connected | accepted ${s.accepted} rejected ${s.rejected} | ${fmt(rate, 2)} shares/s | ${fmt(s.durationMs / 1000, 0)} s`;
}

/** The human-readable final summary. */
export function formatSummary(s: MinerSummary): string {
  const lines: string[] = [];
  const ratio = s.acceptRatio === null ? '-' : `${fmt(s.acceptRatio * 100, 2)} %`;
  lines.push(`miner-sim summary after ${fmt(s.durationMs / 1000, 1)} s, ${s.miners} miners`);
  lines.push(`  shares     submitted ${s.submitted}, accepted ${s.accepted}, rejected ${s.rejected}, timeouts ${s.timeouts}, unanswered ${s.unanswered}`);
  lines.push(`  accept ratio ${ratio}, ${fmt(s.shareRate, 2)} shares/s, ${fmt(s.hashrate / 1000, 1)} kH/s`);
  const reasons = REJECT_REASONS.filter((r) => s.rejectedByReason[r] > 0).map((r) => `${r} ${s.rejectedByReason[r]}`);
  lines.push(`  rejected   ${reasons.length > 0 ? reasons.join(', ') : 'none'}`);
  lines.push(
    s.latencyMs === null
      ? '  latency    no answers'
      : `  latency    p50 ${fmt(s.latencyMs.p50, 2)} ms, p99 ${fmt(s.latencyMs.p99, 2)} ms, max ${fmt(s.latencyMs.max, 2)} ms (${s.latencyMs.samples} answers)`,
  );
  lines.push(
    `  connections connects ${s.connects} (reconnects ${s.reconnects}), disconnects ${s.disconnects}, failed ${s.connectFailures}, authorize failures ${s.authorizeFailures}, pool errors ${s.poolErrors}`,
  );
  if (s.handshakeTimeouts > 0 || s.silenceTimeouts > 0) {
    lines.push(`  timeouts   handshake ${s.handshakeTimeouts}, silent pool ${s.silenceTimeouts}`);
  }
  const faults = FAULT_MODES.filter((f) => s.faults[f] > 0).map((f) => `${f} ${s.faults[f]}`);
  if (faults.length > 0) lines.push(`  faults     ${faults.join(', ')}`);
  return lines.join('\n');
}
