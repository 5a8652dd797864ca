/**
 * One upstream pool as configured (`POOLS`, `pools`, or the `POOL_HOST`/`POOL_PORT` shortcut),
 * in priority order: index 0 is the primary.
 */
export type PoolScheme = 'tcp' | 'tls';

export interface PoolSpec {
  /** Label value everywhere (`pool_host`), logs and /status. Defaults to `host:port` (`[::1]:3333` for IPv6). */
  readonly name: string;
  /** `stratum+tcp` (plain) or `stratum+ssl` / `stratum+tls` (TLS to the pool). */
  readonly scheme: PoolScheme;
  /** Host name or IP address, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /**
   * The opt-in per-pool account (`stratum+tcp://account[:password]@host:port`): replaces the
   * account part of the miners' `mining.authorize` user and `mining.submit` worker for miners on
   * this pool. null = relay byte-exact (the default).
   */
  readonly account: string | null;
  /** The authorize password to send instead of the miner's; null = keep the miner's. Never logged. */
  readonly password: string | null;
}
