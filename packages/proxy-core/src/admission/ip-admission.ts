import { performance } from 'node:perf_hooks';
import { normalizeAddress, type CidrList } from './cidr-list';
import { AdmissionError } from './errors';

export interface IpAdmissionOptions {
  /** Who may connect at all; null = everyone. */
  allowFrom: CidrList | null;
  /** Open connections per address; null = no limit. */
  maxConnectionsPerIp: number | null;
  /** New connections per second per address: a token bucket, burst 2 × rate (at least 1), refilled continuously; null = no limit. */
  connectionsPerSecondPerIp: number | null;
  /**
   * Most addresses kept with no open connection while their bucket refills (default 10 000). Past
   * it the oldest is forgotten, which only gives that address a full bucket again: memory stays
   * bounded when a flood comes from more addresses than per-IP limits can usefully track.
   */
  maxIdleAddresses?: number;
  /** Milliseconds from a monotonic clock; injectable for tests. */
  now?: () => number;
}

export type AdmissionRefusal = 'not_allowed' | 'per_ip' | 'rate';
export type AdmissionVerdict = { ok: true } | { ok: false; reason: AdmissionRefusal };

const DEFAULT_MAX_IDLE_ADDRESSES = 10_000;
/** Slack for float error in the refill, so 100 ms at 10/s really gives back one token. */
const EPSILON = 1e-9;

const OK: AdmissionVerdict = Object.freeze({ ok: true });
const REFUSED: Readonly<Record<AdmissionRefusal, AdmissionVerdict>> = Object.freeze({
  not_allowed: Object.freeze({ ok: false, reason: 'not_allowed' }),
  per_ip: Object.freeze({ ok: false, reason: 'per_ip' }),
  rate: Object.freeze({ ok: false, reason: 'rate' }),
});

interface Limits {
  allowFrom: CidrList | null;
  maxConnectionsPerIp: number | null;
  /** Tokens per millisecond, or null when there is no rate limit. */
  tokensPerMs: number | null;
  burst: number;
  maxIdleAddresses: number;
}

/** What is remembered about one address. */
interface IpEntry {
  open: number;
  /** Tokens in the bucket at time `at` (unused without a rate limit). */
  tokens: number;
  at: number;
  /** When the bucket will be full again; set when the entry goes idle (no open connection). */
  fullAt: number;
}

/**
 * Per-address admission for new miner connections: the allow-list, a cap on open connections and
 * a rate of new ones. Pure state with an injected clock; the server calls `admit` on accept and
 * `release` when an admitted connection closes.
 *
 * Memory is bounded: an address is tracked while it has an open connection, and afterwards only
 * until its bucket would be full again (at most 2 s at burst = 2 × rate), swept lazily oldest
 * first, and never more than `maxIdleAddresses` of those.
 */
export class IpAdmission {
  private readonly now: () => number;
  private limits: Limits;
  private readonly entries = new Map<string, IpEntry>();
  /** Entries with no open connection whose bucket is refilling, oldest-idle first (Map order). */
  private readonly idle = new Map<string, IpEntry>();

  /** @throws AdmissionError `SRL_ERR_ADMISSION_OPTIONS` when a limit is not a positive number. */
  constructor(options: IpAdmissionOptions) {
    this.now = options.now ?? (() => performance.now());
    this.limits = toLimits(options);
  }

  /**
   * Decide for a new connection from `address`; on ok the connection is counted until
   * `release()`. Checks in order: not_allowed, per_ip, rate. A refusal consumes no token and
   * counts nothing, so refused floods cannot starve the address or grow memory.
   */
  admit(address: string): AdmissionVerdict {
    const { allowFrom, maxConnectionsPerIp, tokensPerMs, burst } = this.limits;
    const key = normalizeAddress(address);
    if (allowFrom !== null && !allowFrom.contains(key)) return REFUSED.not_allowed;
    const now = this.now();
    this.sweep(now);

    let entry = this.entries.get(key);
    if (maxConnectionsPerIp !== null && entry !== undefined && entry.open >= maxConnectionsPerIp) return REFUSED.per_ip;
    if (tokensPerMs !== null) {
      if (entry === undefined) {
        entry = { open: 0, tokens: burst, at: now, fullAt: now };
      } else {
        refill(entry, now, tokensPerMs, burst);
        if (entry.tokens < 1 - EPSILON) return REFUSED.rate;
      }
      entry.tokens = Math.max(0, entry.tokens - 1);
    } else if (entry === undefined) {
      entry = { open: 0, tokens: 0, at: now, fullAt: now };
    }

    if (entry.open === 0) this.idle.delete(key);
    entry.open++;
    this.entries.set(key, entry);
    return OK;
  }

  /**
   * Count a connection admitted elsewhere (handed over by another process) without checking or
   * consuming anything: it is open already, and limits must see it. Release it like any other.
   */
  adopt(address: string): void {
    const key = normalizeAddress(address);
    const now = this.now();
    this.sweep(now);
    const entry = this.entries.get(key) ?? { open: 0, tokens: this.limits.burst, at: now, fullAt: now };
    if (entry.open === 0) this.idle.delete(key);
    entry.open++;
    this.entries.set(key, entry);
  }

  /** An admitted connection from `address` closed. Unknown addresses are ignored (never below 0). */
  release(address: string): void {
    const key = normalizeAddress(address);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.open === 0) return;
    entry.open--;
    if (entry.open > 0) return;
    const now = this.now();
    this.sweep(now);
    this.retireOrIdle(key, entry, now);
  }

  /**
   * Swap limits (config reload). Open connections stay counted and are not closed: a lowered cap
   * or a narrowed allow-list applies to new connections only. Buckets keep their level (clipped to
   * the new burst); a newly enabled rate starts every address with a full bucket.
   */
  reconfigure(options: Omit<IpAdmissionOptions, 'now'>): void {
    const next = toLimits(options);
    const previous = this.limits;
    const now = this.now();
    for (const entry of this.entries.values()) {
      if (previous.tokensPerMs !== null) refill(entry, now, previous.tokensPerMs, previous.burst);
      entry.tokens = previous.tokensPerMs === null ? next.burst : Math.min(entry.tokens, next.burst);
      entry.at = now;
    }
    this.limits = next;
    // Rebuild the idle order under the new rate (every refill time moved): all buckets are now
    // dated `now`, so the fullest is full soonest and goes first for the sweep's early stop.
    // Reloads are rare; O(n log n) once is fine.
    const idle = [...this.idle];
    this.idle.clear();
    idle.sort(([, a], [, b]) => b.tokens - a.tokens);
    for (const [key, entry] of idle) this.retireOrIdle(key, entry, now);
  }

  /** Connections from `address` admitted and not yet released. */
  openFrom(address: string): number {
    return this.entries.get(normalizeAddress(address))?.open ?? 0;
  }

  /**
   * Addresses remembered (for leak tests and `/status`): drops back to 0 once nothing is open and
   * every bucket is full again. Sweeps first, so it is exact at the injected clock's time.
   */
  get trackedAddresses(): number {
    this.sweep(this.now());
    return this.entries.size;
  }

  /** An entry just lost its last open connection: forget it, or keep it while its bucket refills. */
  private retireOrIdle(key: string, entry: IpEntry, now: number): void {
    const { tokensPerMs, burst, maxIdleAddresses } = this.limits;
    if (tokensPerMs === null) {
      this.entries.delete(key);
      return;
    }
    refill(entry, now, tokensPerMs, burst);
    if (entry.tokens >= burst - EPSILON) {
      this.entries.delete(key);
      return;
    }
    entry.fullAt = now + (burst - entry.tokens) / tokensPerMs;
    this.idle.set(key, entry);
    // Over the cap the oldest idle address is forgotten: it only gets a full bucket back.
    while (this.idle.size > maxIdleAddresses) {
      const oldest = this.idle.keys().next().value as string;
      this.idle.delete(oldest);
      this.entries.delete(oldest);
    }
  }

  /**
   * Forget idle entries whose bucket is full by now, oldest first; stop at the first still
   * refilling. Amortised O(1): each entry is removed once. Idle order is by time of going idle and
   * each refills within burst/rate of that, so what a stop leaves behind is at most that old.
   */
  private sweep(now: number): void {
    for (const [key, entry] of this.idle) {
      if (entry.fullAt > now) return;
      this.idle.delete(key);
      this.entries.delete(key);
    }
  }
}

function refill(entry: IpEntry, now: number, tokensPerMs: number, burst: number): void {
  if (now > entry.at) entry.tokens = Math.min(burst, entry.tokens + (now - entry.at) * tokensPerMs);
  entry.at = now;
}

function toLimits(options: Omit<IpAdmissionOptions, 'now'>): Limits {
  const { allowFrom, maxConnectionsPerIp, connectionsPerSecondPerIp } = options;
  const maxIdleAddresses = options.maxIdleAddresses ?? DEFAULT_MAX_IDLE_ADDRESSES;
  if (maxConnectionsPerIp !== null && !(Number.isInteger(maxConnectionsPerIp) && maxConnectionsPerIp >= 1)) {
    throw new AdmissionError('SRL_ERR_ADMISSION_OPTIONS', `maxConnectionsPerIp must be an integer >= 1 or null, got ${maxConnectionsPerIp}`);
  }
  // A zero rate would never refill: every address would stay tracked forever.
  if (connectionsPerSecondPerIp !== null && !(Number.isFinite(connectionsPerSecondPerIp) && connectionsPerSecondPerIp > 0)) {
    throw new AdmissionError('SRL_ERR_ADMISSION_OPTIONS', `connectionsPerSecondPerIp must be > 0 or null, got ${connectionsPerSecondPerIp}`);
  }
  if (!(Number.isInteger(maxIdleAddresses) && maxIdleAddresses >= 0)) {
    throw new AdmissionError('SRL_ERR_ADMISSION_OPTIONS', `maxIdleAddresses must be an integer >= 0, got ${maxIdleAddresses}`);
  }
  return {
    allowFrom,
    maxConnectionsPerIp,
    tokensPerMs: connectionsPerSecondPerIp === null ? null : connectionsPerSecondPerIp / 1000,
    // Below 0.5/s a burst of 2 × rate would be under one token and admit no one.
    burst: connectionsPerSecondPerIp === null ? 0 : Math.max(1, 2 * connectionsPerSecondPerIp),
    maxIdleAddresses,
  };
}
