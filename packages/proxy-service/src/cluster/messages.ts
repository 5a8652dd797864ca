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
 * requestId), `retire`, `force`.
 * worker → primary: `listening`, `start-failed`, `reply`, `reply-failed`, `retired`.
 */
import type { FamilySnapshot } from '@stratum-relay/metrics';
import type { Readiness } from '../http-server';

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
 * - upgrade: replaced by a worker of a newer generation (SIGUSR2). For now the same as drain;
 *   this is where the connection handover will export each connection's state to the
 *   successor instead of waiting for its miner to leave.
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
}
export type RequestKind = keyof WorkerReplies;
export const REQUEST_KINDS: readonly RequestKind[] = ['scrape', 'status', 'readiness', 'reload'];

// primary → worker

export interface RequestMessage {
  readonly v: V;
  readonly type: 'request';
  readonly requestId: number;
  readonly kind: RequestKind;
}

/** Leave as `mode` says; further retire messages are ignored. */
export interface RetireMessage {
  readonly v: V;
  readonly type: 'retire';
  readonly mode: RetireMode;
}

/** A second signal to the primary: close every connection now instead of waiting for the drain. */
export interface ForceMessage {
  readonly v: V;
  readonly type: 'force';
}

export type PrimaryMessage = RequestMessage | RetireMessage | ForceMessage;

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

export type WorkerMessage = ListeningMessage | StartFailedMessage | ReplyMessage | ReplyFailedMessage | RetiredMessage;

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

function isSnapshot(value: unknown): value is MetricsSnapshot {
  return isRecord(value) && typeof value.seq === 'number' && Array.isArray(value.families);
}

/** A message of this protocol version from the primary. */
export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  if (!isRecord(value) || value.v !== CLUSTER_PROTOCOL) return false;
  switch (value.type) {
    case 'request':
      return typeof value.requestId === 'number' && isRequestKind(value.kind);
    case 'retire':
      return isRetireMode(value.mode);
    case 'force':
      return true;
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
      return typeof value.requestId === 'number' && isRequestKind(value.kind) && 'body' in value && (value.kind !== 'scrape' || isSnapshot(value.body));
    case 'reply-failed':
      return typeof value.requestId === 'number' && isRequestKind(value.kind) && typeof value.error === 'string';
    case 'retired':
      return isRetireMode(value.mode) && isRecord(value.result) && isSnapshot(value.metrics);
    default:
      return false;
  }
}

/** Whether a message on the channel claims to be ours (has a `v`), so an unknown one is worth a log line. */
export function looksLikeClusterMessage(value: unknown): boolean {
  return isRecord(value) && 'v' in value && 'type' in value;
}
