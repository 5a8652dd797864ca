/**
 * The fixed label value sets. Every label a metric carries is either `client_id` / `pool_host`
 * (bounded by the client-id cap and the config) or one of these small closed sets, so the
 * number of series can be computed in advance.
 */

export const DIRECTIONS = ['miner_to_pool', 'pool_to_miner'] as const;
export type DirectionLabel = (typeof DIRECTIONS)[number];

/** Why the pool refused a share (mapped from the Stratum error code or its message). */
export const SHARE_REJECT_REASONS = ['stale', 'duplicate', 'low_difficulty', 'unauthorized', 'not_subscribed', 'other'] as const;
export type ShareRejectReason = (typeof SHARE_REJECT_REASONS)[number];

/** The share audit's verdict: our own hash of the share against the difficulty in force, crossed with the pool's answer. */
export const SHARE_AUDIT_VERDICTS = ['valid_accepted', 'valid_rejected', 'invalid_accepted', 'invalid_rejected', 'unknown_job'] as const;
export type ShareAuditVerdict = (typeof SHARE_AUDIT_VERDICTS)[number];

export const CLOSE_SIDES = ['miner', 'pool', 'proxy'] as const;
export const CLOSE_REASONS = ['end', 'reset', 'idle_timeout', 'upstream_failed', 'drain', 'limit', 'failback'] as const;
/** One reason per admission rule (see docs/OPERATING.md "limits"). */
export const CONNECTION_REJECT_REASONS = [
  'max_connections',
  'draining',
  'per_ip',
  'rate',
  'not_allowed',
  'proxy_protocol',
  'first_byte_timeout',
  'authorize_timeout',
  'tls_handshake',
] as const;
export const UPSTREAM_FAILURE_REASONS = ['refused', 'timeout', 'unreachable', 'dns', 'reset', 'tls', 'no_answer', 'local_resources', 'error'] as const;
/** Result of the opt-in per-pool account rewrite of one authorize/submit line. */
export const ACCOUNT_REWRITE_RESULTS = ['rewritten', 'unsafe'] as const;
/** Why a miner's TLS handshake failed. */
export const TLS_HANDSHAKE_FAILURE_REASONS = ['protocol', 'certificate', 'timeout', 'reset', 'other'] as const;
export const CONFIG_RELOAD_RESULTS = ['success', 'failure'] as const;
/** `pool_host` of connection-level series while a connection has no pool (connecting, or every pool failed). */
export const NO_POOL_LABEL = 'none';

/**
 * The Stratum methods each direction carries: what stratum_messages_total presets at 0 (with
 * `response` and `other` both ways). A miner never sends mining.notify and a pool never sends
 * mining.submit; presetting those pairs only made 30 series look possible where 17 are. A known
 * method seen the wrong way anyway (a peer that breaks the protocol) gets its series when it
 * happens. client.get_version is the pool asking the miner; the answer is a `response`.
 */
export const METHODS_BY_DIRECTION = {
  miner_to_pool: ['mining.subscribe', 'mining.authorize', 'mining.configure', 'mining.extranonce.subscribe', 'mining.suggest_difficulty', 'mining.submit'],
  pool_to_miner: [
    'mining.notify',
    'mining.set_difficulty',
    'mining.set_extranonce',
    'mining.set_version_mask',
    'client.reconnect',
    'client.show_message',
    'client.get_version',
  ],
} as const satisfies Record<DirectionLabel, readonly string[]>;

/** `method` label of stratum_messages_total for a JSON-RPC response (it has no method of its own). */
export const RESPONSE_METHOD_LABEL = 'response';
/** `method` label for anything that is not a known Stratum method. */
export const OTHER_METHOD_LABEL = 'other';
