import type * as net from 'node:net';
import type { PoolSpec } from '@stratum-relay/shared-types';
import type { LineSplitterState } from '@stratum-relay/stratum-wire';
import { ProxyCoreError } from '../errors';
import type { AccountRewriterState } from '../upstream/account-rewrite';

/** Version of {@link ConnectionExport}: an adopting process refuses any other. */
export const CONNECTION_EXPORT_VERSION = 1;

/** An observer's unfinished line (see LineSplitterState), JSON-ready. */
export interface LineStateExport {
  /** Base64 of the unfinished line's bytes. */
  readonly held: string;
  readonly skipping: boolean;
  readonly skipped: number;
  readonly skippedLastWasCR: boolean;
}

/** The account rewrite's unfinished line (miner bytes not yet written to the pool), JSON-ready. */
export interface AccountRewriteExport {
  /** Base64. */
  readonly held: string;
  readonly skipping: boolean;
}

/**
 * Everything a relayed connection is besides its two sockets, as plain JSON (Buffers as base64),
 * so that another process can go on relaying it byte for byte (ProxyServer.adoptConnection).
 *
 * Contains the pool's spec, and with it the account password of a pool that rewrites accounts:
 * send it to the adopting process only, never log it.
 */
export interface ConnectionExport {
  readonly version: typeof CONNECTION_EXPORT_VERSION;
  readonly connectionId: number;
  /** The miner's address (from the PROXY header when there was one). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Wall-clock ms of the original accept. */
  readonly connectedAt: number;
  /** Wall-clock ms (fractional: `performance.timeOrigin + performance.now()`) when the relay stopped reading. */
  readonly pausedAt: number;
  /** The pool the connection is bound to. */
  readonly pool: PoolSpec;
  /** Relayed so far (the unrelayed bytes below are not counted yet). */
  readonly bytesMinerToPool: number;
  readonly bytesPoolToMiner: number;
  /** Base64: read from the miner, not written to the pool (nor observed) yet; they go first. */
  readonly unrelayedToPool: string;
  /** Base64: read from the pool, not written to the miner (nor observed) yet. */
  readonly unrelayedToMiner: string;
  /** Each observer's unfinished line; null when the observer keeps no state it can hand over. */
  readonly observers: { readonly minerToPool: LineStateExport | null; readonly poolToMiner: LineStateExport | null };
  /** Only for a pool that rewrites accounts. */
  readonly accountRewrite: AccountRewriteExport | null;
  /** The miner had not sent mining.authorize yet: the adopting process starts its deadline again. */
  readonly awaitingAuthorize: boolean;
}

/**
 * Why a connection stays where it is:
 * - tls_miner / tls_pool: a TLS session's keys and sequence numbers live in this process's OpenSSL.
 * - not_relaying: the upstream is still connecting, or the pool has not spoken yet (failover may still move it).
 * - half_closed: a FIN was seen or sent on either side (including one that arrived while pausing).
 * - closing: being closed (drain, limit, failback) or closed.
 * - busy: a handover of it is already under way.
 * - no_handle: a socket without a descriptor of its own (nothing to send).
 * - flush_timeout: what was already written to a peer did not reach the kernel in time (a peer that stopped reading).
 * - closed: a socket failed or closed while paused (the connection closed here, as usual).
 * - observer_state: an observer or the account rewrite could not hand its state over.
 * The connection keeps relaying here in every case but `closed`.
 */
export type HandoverRefusal =
  | 'tls_miner'
  | 'tls_pool'
  | 'not_relaying'
  | 'half_closed'
  | 'closing'
  | 'busy'
  | 'no_handle'
  | 'flush_timeout'
  | 'closed'
  | 'observer_state';

/** A connection paused, flushed and detached from this process: send `state` and both sockets. */
export interface ConnectionHandover {
  readonly state: ConnectionExport;
  /** Nothing of this process listens on these any more (but a no-op 'error' listener). */
  readonly miner: net.Socket;
  readonly pool: net.Socket;
}

export interface KeptConnection {
  readonly connectionId: number;
  readonly reason: HandoverRefusal;
}

export interface HandoverResult {
  readonly handedOver: ConnectionHandover[];
  readonly kept: KeptConnection[];
  /** What `onHandedOver` threw (caught: those connections are in `handedOver` all the same). */
  readonly callbackErrors: unknown[];
}

export interface HandoverOptions {
  /**
   * How long to wait for what was already written to each socket to reach the kernel (default
   * 2 s); past it the connection is kept. One deadline for the whole call.
   */
  readonly flushTimeoutMs?: number;
  /**
   * Called for each connection as soon as it is detached, before the next one is paused when it
   * had nothing to flush (send it at once: its pause lasts until the other side reads it again).
   */
  readonly onHandedOver?: (handover: ConnectionHandover) => void;
}

export function encodeLineState(state: LineSplitterState): LineStateExport {
  return { held: state.held.toString('base64'), skipping: state.skipping, skipped: state.skipped, skippedLastWasCR: state.skippedLastWasCR };
}

export function decodeLineState(state: LineStateExport): LineSplitterState {
  return { held: Buffer.from(state.held, 'base64'), skipping: state.skipping, skipped: state.skipped, skippedLastWasCR: state.skippedLastWasCR };
}

export function encodeRewriteState(state: AccountRewriterState): AccountRewriteExport {
  return { held: state.held.toString('base64'), skipping: state.skipping };
}

export function decodeRewriteState(state: AccountRewriteExport): AccountRewriterState {
  return { held: Buffer.from(state.held, 'base64'), skipping: state.skipping };
}

/**
 * Checks the shape of a state received from another process (a hand-written guard: it runs once
 * per handover). Throws ProxyCoreError `SRL_ERR_HANDOVER_STATE` naming the first bad field.
 */
export function checkConnectionExport(value: unknown): ConnectionExport {
  const fail = (field: string): never => {
    throw new ProxyCoreError('SRL_ERR_HANDOVER_STATE', `handed-over connection state: bad or missing \`${field}\``);
  };
  if (!isObject(value)) return fail('(the state itself)');
  if (value['version'] !== CONNECTION_EXPORT_VERSION) fail('version');
  if (!isCount(value['connectionId']) || value['connectionId'] === 0) fail('connectionId');
  if (typeof value['remoteAddress'] !== 'string') fail('remoteAddress');
  if (!isCount(value['remotePort'])) fail('remotePort');
  if (!isFiniteNumber(value['connectedAt'])) fail('connectedAt');
  if (!isFiniteNumber(value['pausedAt'])) fail('pausedAt');
  checkPool(value['pool'], fail);
  if (!isCount(value['bytesMinerToPool'])) fail('bytesMinerToPool');
  if (!isCount(value['bytesPoolToMiner'])) fail('bytesPoolToMiner');
  if (typeof value['unrelayedToPool'] !== 'string') fail('unrelayedToPool');
  if (typeof value['unrelayedToMiner'] !== 'string') fail('unrelayedToMiner');
  const observers = value['observers'];
  if (!isObject(observers)) return fail('observers');
  if (!isLineState(observers['minerToPool'])) fail('observers.minerToPool');
  if (!isLineState(observers['poolToMiner'])) fail('observers.poolToMiner');
  const rewrite = value['accountRewrite'];
  if (rewrite !== null && !(isObject(rewrite) && typeof rewrite['held'] === 'string' && typeof rewrite['skipping'] === 'boolean')) fail('accountRewrite');
  if (typeof value['awaitingAuthorize'] !== 'boolean') fail('awaitingAuthorize');
  return value as unknown as ConnectionExport;
}

function checkPool(pool: unknown, fail: (field: string) => never): void {
  if (!isObject(pool)) fail('pool');
  const p = pool as Record<string, unknown>;
  if (typeof p['name'] !== 'string') fail('pool.name');
  if (p['scheme'] !== 'tcp') fail('pool.scheme'); // a TLS pool is never handed over
  if (typeof p['host'] !== 'string') fail('pool.host');
  if (!isCount(p['port'])) fail('pool.port');
  if (p['account'] !== null && typeof p['account'] !== 'string') fail('pool.account');
  if (p['password'] !== null && typeof p['password'] !== 'string') fail('pool.password');
}

function isLineState(v: unknown): boolean {
  return (
    v === null ||
    (isObject(v) && typeof v['held'] === 'string' && typeof v['skipping'] === 'boolean' && isCount(v['skipped']) && typeof v['skippedLastWasCR'] === 'boolean')
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The same endpoint and credentials: a connection bound to `a` may be counted on `b`. */
export function samePool(a: PoolSpec, b: PoolSpec): boolean {
  return a.name === b.name && a.scheme === b.scheme && a.host === b.host && a.port === b.port && a.account === b.account && a.password === b.password;
}
