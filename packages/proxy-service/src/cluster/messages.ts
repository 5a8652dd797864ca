/**
 * Every message between the primary and its worker processes (WORKERS > 1), in one place.
 *
 * They travel over node:cluster's IPC channel with `serialization: 'advanced'` (structured
 * clone: NaN and Infinity in metric values survive, functions do not cross). Each carries `v`,
 * the protocol version: a worker forked from newer code on disk during an upgrade (SIGUSR2) may
 * speak a newer one, so each side drops and logs a message it does not understand instead of
 * acting on it. Change a message's meaning only together with CLUSTER_PROTOCOL.
 *
 * primary → worker: `request` (answered by one `reply` or `reply-failed` with the same
 * requestId), `retire`, `force`; in an upgrade's handover `adopt` (to the successor) and
 * `handover-outcome` (to the retiring worker).
 * worker → primary: `listening`, `start-failed`, `reply`, `reply-failed`, `retired`; in an
 * upgrade's handover `handover` and `handover-done` (from the retiring worker) and
 * `adopt-result` (from the successor); `trace-lines` (the new lines of a connection the
 * primary asked to `watch`, batched).
 *
 * Adding a request kind or a message type is not a change of meaning: a peer of the same
 * version that predates it drops it as one it does not understand (a request then times out on
 * the asking side, which answers without that worker), so CLUSTER_PROTOCOL stays. Bumping it
 * would make every message of an older primary unreadable to the workers an upgrade forks.
 *
 * The handover of one connection (upgrade, SIGUSR2), each arrow one message, the two sockets as
 * the handles of their own messages (Node passes one handle per message):
 *
 *   retiring worker ──handover{miner, state}+miner socket──► primary ──adopt{miner, state}+miner socket──► successor
 *                   ──handover{pool}+pool socket──────────►         ──adopt{pool}+pool socket───────────►
 *                   ◄──handover-outcome{adopted|returned|lost}──    ◄──adopt-result{adopted|refused|closed}──
 *
 * Every process that receives a socket stops it from reading at once (holdReceivedSocket): only
 * the process that relays a connection ever reads it. The retiring worker sends with
 * `keepOpen`, so until the outcome it still holds both sockets: `returned` (the successor never
 * had both, or refused them untouched) resumes the relay there; `adopted` and `lost` close its
 * copies (a copy closed is a descriptor closed, not a FIN: the connection lives on wherever
 * another copy is, and ends when the last one goes).
 */
import type { FamilySnapshot } from '@stratum-relay/metrics';
import type { ConnectionExport, HandoverRefusal } from '@stratum-relay/proxy-core';
import type { CollectorConnectionExport } from '../connection-state';
import type { Readiness } from '../http-server';
import type { ConnectionDetails } from '../trace/connection-details';
import type { TraceEntry } from '../trace/connection-trace';
import type { ConnectionPart, TraceAnswer } from '../ui/process-view';

export const CLUSTER_PROTOCOL = 1;
type V = typeof CLUSTER_PROTOCOL;

export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * How a worker leaves.
 * - drain: stop accepting (the other workers take the new miners), let open connections finish
 *   until DRAIN_TIMEOUT_MS, close the rest, report, exit. SIGTERM/SIGINT to the primary.
 * - upgrade: replaced by a worker of a newer generation (SIGUSR2). With a `handover` plan it
 *   stops accepting, hands every plain-TCP connection that relays to the successor (through the
 *   primary), reports `handover-done`, then drains what it kept (TLS, not relaying yet,
 *   half-closed, …) as `drain` does. Without one (a primary that predates the handover) it is the
 *   same as drain.
 */
export type RetireMode = 'drain' | 'upgrade';
export const RETIRE_MODES: readonly RetireMode[] = ['drain', 'upgrade'];

/** A worker's registry as plain data, numbered by the worker so the primary keeps only the newest. */
export interface MetricsSnapshot {
  readonly seq: number;
  readonly families: FamilySnapshot[];
}

/** A worker's /status document and its readiness, taken together. */
export interface WorkerStatus {
  readonly readiness: Readiness;
  /** The worker's own /status document (status.ts StatusBody plus the service's extras). */
  readonly status: Record<string, unknown>;
}

/** The outcome of a SIGHUP the primary relayed: the worker loaded its config again (service.ts ReloadResult). */
export interface ReloadReply {
  readonly ok: boolean;
  readonly applied: readonly string[];
  readonly ignored: readonly string[];
  readonly errors: readonly string[];
}

/** How a retired worker's drain went (service.ts ShutdownResult without the signal). */
export interface RetireResult {
  readonly drained: number;
  readonly forced: number;
  /** A `force` cut the drain short. */
  readonly aborted: boolean;
  readonly ok: boolean;
}

/** What the primary asks a worker, and what each answer holds. */
export interface WorkerReplies {
  scrape: MetricsSnapshot;
  status: WorkerStatus;
  readiness: Readiness;
  reload: ReloadReply;
  /** /api/connections: the worker's open connections, then its recently closed ones. */
  connections: ConnectionDetails[];
  /** /api/trace: the lines this worker holds of the connections asked for. */
  trace: TraceAnswer;
  /** /api/debug/bundle: `part` null when this worker knows nothing of the connection. */
  bundle: { readonly part: ConnectionPart | null };
  /** How many connections the worker follows now. */
  watch: { readonly following: number };
}
export type RequestKind = keyof WorkerReplies;
export const REQUEST_KINDS: readonly RequestKind[] = ['scrape', 'status', 'readiness', 'reload', 'connections', 'trace', 'bundle', 'watch'];

/** The arguments of the request kinds that have some. */
export interface WorkerRequestArgs {
  /** The connections' last `limit` lines (the primary resolves a worker name to ids first). */
  trace: { readonly connectionIds: readonly number[]; readonly limit: number };
  bundle: { readonly connectionId: number };
  /**
   * Follow exactly these connections from now on (send their new lines as `trace-lines`),
   * replacing the previous set; [] follows none. A whole set rather than watch/unwatch deltas:
   * idempotent, so a worker that starts (a restart, an upgrade's successor) or missed one is
   * brought up to date by the next, and a connection handed over keeps being followed because
   * the successor follows its id too.
   */
  watch: { readonly connectionIds: readonly number[] };
}
export type RequestArgs<K extends RequestKind> = K extends keyof WorkerRequestArgs ? WorkerRequestArgs[K] : undefined;

/** Most connections a worker follows at once (a `watch` beyond it is cut): each costs an IPC message per batch. */
export const MAX_WATCHED_CONNECTIONS = 256;
/** Most ids of one `trace` request (a worker name with more connections is cut to the newest). */
export const MAX_TRACE_CONNECTIONS = 1_000;

// primary → worker

export type RequestMessage = {
  [K in RequestKind]: { readonly v: V; readonly type: 'request'; readonly requestId: number; readonly kind: K } & (K extends keyof WorkerRequestArgs
    ? { readonly args: WorkerRequestArgs[K] }
    : { readonly args?: undefined });
}[RequestKind];

/** Who takes a retiring worker's connections, under which id the messages of that handover go. */
export interface HandoverPlan {
  /** Unique for the life of the primary; every message of this handover carries it. */
  readonly handoverId: number;
  /** node:cluster id of the successor (for the logs: the primary routes the messages). */
  readonly successor: number;
}

/** Leave as `mode` says; further retire messages are ignored. */
export interface RetireMessage {
  readonly v: V;
  readonly type: 'retire';
  readonly mode: RetireMode;
  /** mode `upgrade` only: hand the connections over first. */
  readonly handover?: HandoverPlan;
}

/** A second signal to the primary: close every connection now instead of waiting for the drain. */
export interface ForceMessage {
  readonly v: V;
  readonly type: 'force';
}

/** Which socket of a connection a handover message carries as its handle. */
export type HandoverPart = 'miner' | 'pool';

/**
 * One socket of a handed-over connection, the message's handle. The `miner` part comes first and
 * carries the states; the `pool` part follows. `state` holds the pool's spec (its password when
 * the pool rewrites accounts): never log it.
 */
export type HandoverPayload =
  | {
      readonly handoverId: number;
      readonly connectionId: number;
      readonly part: 'miner';
      readonly state: ConnectionExport;
      /** The collector's state of the connection (null when the collector did not know it). */
      readonly collector: CollectorConnectionExport | null;
    }
  | { readonly handoverId: number; readonly connectionId: number; readonly part: 'pool' };

/** A socket for the successor to adopt (forwarded `handover`), the message's handle. */
export type AdoptMessage = { readonly v: V; readonly type: 'adopt' } & HandoverPayload;

/**
 * What became of a connection the retiring worker sent:
 * - adopted: the successor relays it; close your copies.
 * - returned: the successor never had both sockets, or refused them untouched; relay it again.
 * - lost: the successor may have had it and is gone (or never answered); close your copies. The
 *   connection ends when its last copy closes, or lives on where one still relays it.
 */
export type HandoverOutcome = 'adopted' | 'returned' | 'lost';
export const HANDOVER_OUTCOMES: readonly HandoverOutcome[] = ['adopted', 'returned', 'lost'];

export interface HandoverOutcomeMessage {
  readonly v: V;
  readonly type: 'handover-outcome';
  readonly handoverId: number;
  readonly connectionId: number;
  readonly outcome: HandoverOutcome;
  /** Why, for the logs: adopted, refused, closed, successor_gone, send_failed, timeout, … */
  readonly reason: string;
}

export type PrimaryMessage = RequestMessage | RetireMessage | ForceMessage | AdoptMessage | HandoverOutcomeMessage;

// worker → primary

/** The worker's listeners are up (the plain one and the TLS one when configured): it relays from now on. */
export interface ListeningMessage {
  readonly v: V;
  readonly type: 'listening';
  readonly proxy: Address;
  readonly tls: Address | null;
}

/** The worker could not start (a port in use, a config that no longer loads); it exits with `exitCode` next. */
export interface StartFailedMessage {
  readonly v: V;
  readonly type: 'start-failed';
  /** ProxyServiceError / ConfigError code (SRL_ERR_*). */
  readonly code: string;
  /** One line for the operator, as the single-process program would print it. */
  readonly message: string;
  readonly exitCode: number;
}

export type ReplyMessage = {
  [K in RequestKind]: { readonly v: V; readonly type: 'reply'; readonly requestId: number; readonly kind: K; readonly body: WorkerReplies[K] };
}[RequestKind];

export interface ReplyFailedMessage {
  readonly v: V;
  readonly type: 'reply-failed';
  readonly requestId: number;
  readonly kind: RequestKind;
  readonly error: string;
}

/**
 * The worker drained and is about to exit: its final metrics, taken after the last connection
 * closed, so a graceful retirement loses no count.
 */
export interface RetiredMessage {
  readonly v: V;
  readonly type: 'retired';
  readonly mode: RetireMode;
  readonly result: RetireResult;
  readonly metrics: MetricsSnapshot;
}

/** One socket of a connection handed over by a retiring worker, the message's handle. */
export type HandoverMessage = { readonly v: V; readonly type: 'handover' } & HandoverPayload;

/**
 * The successor's answer for one connection, once it had both sockets (or gave up waiting for one):
 * - adopted: it relays the connection.
 * - refused: it could not adopt it and touched nothing (no byte read or written): the retiring
 *   worker may relay it again.
 * - closed: it closed its copies without relaying (a socket missing, bytes it should not have read).
 */
export type AdoptResult = 'adopted' | 'refused' | 'closed';
export const ADOPT_RESULTS: readonly AdoptResult[] = ['adopted', 'refused', 'closed'];

export interface AdoptResultMessage {
  readonly v: V;
  readonly type: 'adopt-result';
  readonly handoverId: number;
  readonly connectionId: number;
  readonly result: AdoptResult;
  /** Why it was not adopted (an error code or a reason), null when it was. */
  readonly error: string | null;
  /**
   * Adopted: how long the connection was not read, from its pause in the retiring worker to its
   * adoption here (wall clock, ms). What a share sent just then waited on top of its round trip.
   */
  readonly pausedMs: number | null;
}

/** How a retiring worker's handover went, connection by connection, summed. */
export interface HandoverSummary {
  /** Relayed by the successor now. */
  readonly adopted: number;
  /** Sent, came back, relayed here again (drained with the kept ones). */
  readonly returned: number;
  /** Sent, then closed here without a word from the successor (see HandoverOutcome). */
  readonly lost: number;
  /** Not sent, relayed here until they close or DRAIN_TIMEOUT_MS. */
  readonly kept: number;
  readonly keptByReason: Partial<Record<HandoverRefusal, number>>;
  /** Closed on their own while the handover ran. */
  readonly closed: number;
  readonly durationMs: number;
}

/** The retiring worker handed over what it could and drains the rest now (it reports `retired` when it leaves). */
export interface HandoverDoneMessage {
  readonly v: V;
  readonly type: 'handover-done';
  readonly handoverId: number;
  readonly summary: HandoverSummary;
}

/**
 * New lines of a connection the primary asked this worker to follow (`watch`), one message per
 * connection per batch (TraceBatcher: every 200 ms at most, the newest TRACE_BATCH_MAX_LINES lines;
 * `skipped` says how many older ones of the batch were left out).
 */
export interface TraceLinesMessage {
  readonly v: V;
  readonly type: 'trace-lines';
  readonly connectionId: number;
  readonly entries: TraceEntry[];
  readonly skipped: number;
}

export type WorkerMessage =
  | TraceLinesMessage
  | ListeningMessage
  | StartFailedMessage
  | ReplyMessage
  | ReplyFailedMessage
  | RetiredMessage
  | HandoverMessage
  | AdoptResultMessage
  | HandoverDoneMessage;

// Hand-written guards (style: per-message checks are small type guards, not schema parses). The
// peer is our own code; these catch a version skew or a stray message, not an attacker.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isAddress(value: unknown): value is Address {
  return isRecord(value) && typeof value.host === 'string' && typeof value.port === 'number';
}

function isRequestKind(value: unknown): value is RequestKind {
  return typeof value === 'string' && (REQUEST_KINDS as readonly string[]).includes(value);
}

function isRetireMode(value: unknown): value is RetireMode {
  return typeof value === 'string' && (RETIRE_MODES as readonly string[]).includes(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isHandoverPlan(value: unknown): value is HandoverPlan {
  return isRecord(value) && isCount(value.handoverId) && isCount(value.successor);
}

/** The envelope of a handover or adopt message; the states themselves are checked where they are used (checkConnectionExport, importConnection). */
function isHandoverPayload(value: Record<string, unknown>): boolean {
  if (!isCount(value.handoverId) || !isCount(value.connectionId)) return false;
  if (value.part === 'pool') return true;
  return value.part === 'miner' && isRecord(value.state) && (value.collector === null || isRecord(value.collector));
}

function isSnapshot(value: unknown): value is MetricsSnapshot {
  return isRecord(value) && typeof value.seq === 'number' && Array.isArray(value.families);
}

function isIdList(value: unknown, max: number): value is number[] {
  return Array.isArray(value) && value.length <= max && value.every(isCount);
}

/** A request's arguments, for the kinds that take some. */
function hasValidArgs(kind: RequestKind, args: unknown): boolean {
  switch (kind) {
    case 'trace':
      return isRecord(args) && isIdList(args.connectionIds, MAX_TRACE_CONNECTIONS) && isCount(args.limit);
    case 'bundle':
      return isRecord(args) && isCount(args.connectionId);
    case 'watch':
      return isRecord(args) && isIdList(args.connectionIds, MAX_WATCHED_CONNECTIONS);
    default:
      return true;
  }
}

/** The body of a reply, as far as the primary relies on its shape before merging it. */
function isReplyBody(kind: RequestKind, body: unknown): boolean {
  switch (kind) {
    case 'scrape':
      return isSnapshot(body);
    case 'connections':
      return Array.isArray(body);
    case 'trace':
      return isRecord(body) && Array.isArray(body.connections) && Array.isArray(body.entries) && typeof body.traceLines === 'number';
    case 'bundle':
      return isRecord(body) && (body.part === null || (isRecord(body.part) && Array.isArray(body.part.trace) && (body.part.connection === null || isRecord(body.part.connection))));
    case 'watch':
      return isRecord(body) && isCount(body.following);
    default:
      return true;
  }
}

/** A message of this protocol version from the primary. */
export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  if (!isRecord(value) || value.v !== CLUSTER_PROTOCOL) return false;
  switch (value.type) {
    case 'request':
      return typeof value.requestId === 'number' && isRequestKind(value.kind) && hasValidArgs(value.kind, value.args);
    case 'retire':
      return isRetireMode(value.mode) && (value.handover === undefined || (value.mode === 'upgrade' && isHandoverPlan(value.handover)));
    case 'force':
      return true;
    case 'adopt':
      return isHandoverPayload(value);
    case 'handover-outcome':
      return (
        isCount(value.handoverId) &&
        isCount(value.connectionId) &&
        typeof value.outcome === 'string' &&
        (HANDOVER_OUTCOMES as readonly string[]).includes(value.outcome) &&
        typeof value.reason === 'string'
      );
    default:
      return false;
  }
}

/** A message of this protocol version from a worker. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!isRecord(value) || value.v !== CLUSTER_PROTOCOL) return false;
  switch (value.type) {
    case 'listening':
      return isAddress(value.proxy) && (value.tls === null || isAddress(value.tls));
    case 'start-failed':
      return typeof value.code === 'string' && typeof value.message === 'string' && typeof value.exitCode === 'number';
    case 'reply':
      return typeof value.requestId === 'number' && isRequestKind(value.kind) && 'body' in value && isReplyBody(value.kind, value.body);
    case 'reply-failed':
      return typeof value.requestId === 'number' && isRequestKind(value.kind) && typeof value.error === 'string';
    case 'retired':
      return isRetireMode(value.mode) && isRecord(value.result) && isSnapshot(value.metrics);
    case 'handover':
      return isHandoverPayload(value);
    case 'adopt-result':
      return (
        isCount(value.handoverId) &&
        isCount(value.connectionId) &&
        typeof value.result === 'string' &&
        (ADOPT_RESULTS as readonly string[]).includes(value.result) &&
        (value.error === null || typeof value.error === 'string') &&
        (value.pausedMs === null || typeof value.pausedMs === 'number')
      );
    case 'handover-done':
      return isCount(value.handoverId) && isRecord(value.summary);
    case 'trace-lines':
      return isCount(value.connectionId) && Array.isArray(value.entries) && isCount(value.skipped);
    default:
      return false;
  }
}

/** Whether a message on the channel claims to be ours (has a `v`), so an unknown one is worth a log line. */
export function looksLikeClusterMessage(value: unknown): boolean {
  return isRecord(value) && 'v' in value && 'type' in value;
}
