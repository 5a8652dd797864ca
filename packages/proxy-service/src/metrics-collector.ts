import { performance } from 'node:perf_hooks';
import type {
  ConnectionAdoptedEvent,
  ConnectionClosedEvent,
  ConnectionOpenedEvent,
  ConnectionRejectedEvent,
  Direction,
  PoolProbedEvent,
  ProxyEvent,
  ProxyEventListener,
  ProxyEventSubscribeOptions,
  StratumNotificationEvent,
  StratumRequestEvent,
  StratumResponseEvent,
  UpstreamConnectedEvent,
  UpstreamConnectFailedEvent,
} from '@stratum-relay/shared-types';
import { STRATUM_METHODS, isKnownMethod } from '@stratum-relay/shared-types';
import type { CounterCell, HistogramCell, PoolGaugeState, StratumMetrics } from '@stratum-relay/metrics';
import {
  CLOSE_REASONS,
  CLOSE_SIDES,
  CONNECTION_REJECT_REASONS,
  DIRECTIONS,
  METHODS_BY_DIRECTION,
  NO_POOL_LABEL,
  OTHER_METHOD_LABEL,
  RESPONSE_METHOD_LABEL,
  SHARE_AUDIT_VERDICTS,
} from '@stratum-relay/metrics';
import { ClientIdCap, UNKNOWN_CLIENT_ID, sanitizeWorkerName } from './client-id-cap';
import type { ShareAuditSetting } from '@stratum-relay/config';
import type { StratumJob } from '@stratum-relay/work';
import { COLLECTOR_EXPORT_VERSION, ConnectionState, WorkerSeries, isCollectorConnectionExport, plainRequestInfo } from './connection-state';
import type { CollectorConnectionExport, PendingRequestExport, RequestInfo } from './connection-state';
import type { PendingRequest, PendingRequests } from './pending-requests';
import { isAccepted, rejectReason } from './reject-reason';
import { JobInterner } from './job-interner';
import { ShareCheck, auditPlan, auditVerdict, deferShare, evaluateDeferred, evaluateSubmit, jobFromNotify } from './share-audit';
import type { AuditPlan, DeferredShare, ShareEvaluation } from './share-audit';
import type { JournalSink, ShareAuditValue, ShareResult, ShareRow } from '@stratum-relay/share-journal';

export interface MetricsCollectorOptions {
  metrics: StratumMetrics;
  /** The configured pools with their live state (stratum_pool_up, _priority, _miners, rewrites), read at scrape time. */
  pools?: () => readonly PoolGaugeState[];
  /** Distinct worker names with their own `client_id`; null = no cap, 0 = all `other`. */
  maxClientIds: number | null;
  /** Called once when a worker name first finds the cap full (the service logs a warning). */
  onClientIdCapReached?: (maxClientIds: number) => void;
  /**
   * A submit unanswered this long counts in stratum_submit_timeouts_total; it stays matchable for
   * `lateAnswerWindow` times as long, so a late answer still counts as the pool said.
   */
  submitTimeoutMs: number;
  /** How many submit timeouts a late answer may take (default 10). */
  lateAnswerWindow?: number;
  /**
   * Which submitted shares to hash (observe-only), as SHARE_AUDIT: true = all, false = off, or
   * a sampling mode (share-audit.ts, AuditPlan).
   */
  shareAudit: ShareAuditSetting;
  /** Uniform [0, 1) draws for the audit's sample (default Math.random; tests pass a seeded one). */
  random?: () => number;
  /** Bound on requests waiting per connection and direction; the oldest is evicted (as a timeout). Default 1000. */
  maxPendingPerConnection?: number;
  /** Monotonic clock in ms, the same clock as the events' `t` (default performance.now). */
  now?: () => number;
  /** Wall clock in ms for /status (default Date.now). */
  wallNow?: () => number;
  /** How often expired requests are swept (default submitTimeoutMs / 4, between 10 ms and 1 s). */
  sweepIntervalMs?: number;
  /**
   * The share journal (SHARE_JOURNAL): handed one row per mining.submit where its fate is counted
   * (answered, dropped as timed out, lost at close), so its rows equal stratum_submits_total, and
   * one row per closed connection. Absent: nothing is built for it.
   */
  journal?: CollectorShareSink | null;
}

/**
 * The journal sink, optionally saying which connections' share rows it wants: a sink for a few
 * connections (tracing's sampled ones) spares every other submit the decoding of its params and
 * the row of its answer (HOT PATH). Without `wantsSharesOf`, every connection's (the journal:
 * its rows equal stratum_submits_total). The rare unanswered fates are handed over regardless.
 */
export type CollectorShareSink = JournalSink & { wantsSharesOf?(connectionId: number): boolean };

/** Anything with the ProxyEventBus `subscribe` shape. */
export interface EventSource {
  subscribe(listener: ProxyEventListener, options?: ProxyEventSubscribeOptions): () => void;
}

/** A submit's params when the audit will not read them (read, they would be decoded for nothing). */
const UNREAD_PARAMS: readonly unknown[] = Object.freeze([]);

export interface ConnectionStatus {
  connectionId: number;
  worker: string | null;
  /** The pool the connection is relayed to; null while it has none. */
  pool: string | null;
  remoteAddress: string;
  remotePort: number;
  /** Wall-clock ms. */
  connectedSince: number;
  bytesSent: number;
  bytesReceived: number;
  submits: number;
  accepted: number;
  rejected: number;
  currentDifficulty: number | null;
  /** Wall-clock ms of the latest submit, or null. */
  lastShareAt: number | null;
}

interface ChildInc {
  inc(value?: number): void;
}

const DEFAULT_MAX_PENDING = 1000;
const DEFAULT_LATE_ANSWER_WINDOW = 10;

/**
 * Turns the relay's event stream into Prometheus metrics and /status data. Coupled to the relay
 * only through the event bus; O(1) per event, never throws into the emitter.
 *
 * Attribution: a connection's series are resolved when mining.authorize names its worker and
 * when its upstream connects (the pool, `pool_host`); bytes and shares before the authorize
 * count under client_id="unknown".
 */
export class MetricsCollector {
  private readonly metrics: StratumMetrics;
  private readonly cap: ClientIdCap;
  private readonly submitTimeoutMs: number;
  private readonly lateAnswerWindow: number;
  private readonly shareAudit: boolean;
  private readonly audit: AuditPlan;
  private readonly random: () => number;
  private readonly maxPending: number;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly sweepIntervalMs: number;
  private readonly journal: JournalSink | null;
  private readonly journalWants: ((connectionId: number) => boolean) | null;

  private readonly states = new Map<number, ConnectionState>();
  /** One shared object per distinct job: a farm's connections receive the same notifies. */
  private readonly jobInterner = new JobInterner();
  /** Keyed by pool name, then client id. */
  private readonly seriesByPool = new Map<string, Map<string, WorkerSeries>>();
  private readonly unknownSeries: WorkerSeries;
  private pendingTotal = 0;

  // Label children and cells resolved at construction (decide once, not per message). Whatever
  // moves per message or per share is a cell (a plain number add, see CounterCell/HistogramCell).
  private readonly messageCells: Record<Direction, Map<string, CounterCell>>;
  private readonly messageOther: Record<Direction, CounterCell>;
  private readonly messageResponse: Record<Direction, CounterCell>;
  private readonly parseErrors: Record<Direction, ChildInc>;
  private readonly oversized: Record<Direction, ChildInc>;
  private readonly unmatched: Record<Direction, ChildInc>;
  private readonly latencyByMethod = new Map<string, HistogramCell>();
  private readonly latencyOther: HistogramCell;
  private readonly closes = new Map<string, ChildInc>();
  private readonly rejectedConnections = new Map<string, ChildInc>();
  /** Per pool name: connect latency, probe latency, duration, connections. Created on first use. */
  private readonly poolCells = new Map<string, PoolCells>();
  /** The verdicts counted exactly in this audit mode (AuditPlan.exactVerdicts); empty when it is off. */
  private readonly verdicts = new Map<string, CounterCell>();
  /** stratum_share_audit_sampled_total's cells under SHARE_AUDIT=rejected|sample; null otherwise. */
  private readonly sampledVerdicts: Map<string, CounterCell> | null = null;
  /** stratum_jobs_total{clean}: created by the first notify of each kind, as the series appear. */
  private jobsClean: CounterCell | null = null;
  private jobsNotClean: CounterCell | null = null;
  private readonly shareDifficulty: HistogramCell;

  private unsubscribe: (() => void) | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  /** Exceptions caught inside the collector (a bug, never a crash of the relay). */
  internalErrors = 0;

  /** Bound listener: the bus gets one stable function. */
  readonly listener: ProxyEventListener = (event) => this.handle(event);

  constructor(options: MetricsCollectorOptions) {
    const m = options.metrics;
    this.metrics = m;
    const onCapReached = options.onClientIdCapReached;
    this.cap = new ClientIdCap(options.maxClientIds, (max) => {
      m.clientIdsCapped.set(1);
      onCapReached?.(max);
    });
    this.submitTimeoutMs = options.submitTimeoutMs;
    this.lateAnswerWindow = Math.max(1, options.lateAnswerWindow ?? DEFAULT_LATE_ANSWER_WINDOW);
    this.audit = auditPlan(options.shareAudit);
    this.shareAudit = this.audit.on;
    this.random = options.random ?? Math.random;
    this.maxPending = Math.max(1, options.maxPendingPerConnection ?? DEFAULT_MAX_PENDING);
    this.now = options.now ?? (() => performance.now());
    this.wallNow = options.wallNow ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? Math.min(1000, Math.max(10, Math.floor(options.submitTimeoutMs / 4)));
    this.journal = options.journal ?? null;
    const reads = options.journal?.wantsSharesOf;
    this.journalWants = reads === undefined ? null : reads.bind(options.journal);
    this.unknownSeries = this.seriesFor(UNKNOWN_CLIENT_ID, NO_POOL_LABEL);

    const perDirection = <T>(make: (d: Direction) => T): Record<Direction, T> =>
      ({ miner_to_pool: make('miner_to_pool'), pool_to_miner: make('pool_to_miner') }) as Record<Direction, T>;
    // Only the pairs that can occur are preset (METHODS_BY_DIRECTION); messageCell adds a known
    // method seen the wrong way when it happens.
    this.messageCells = perDirection((d) => new Map(METHODS_BY_DIRECTION[d].map((method) => [method, m.messagesCell(d, method)] as const)));
    this.messageOther = perDirection((d) => m.messagesCell(d, OTHER_METHOD_LABEL));
    this.messageResponse = perDirection((d) => m.messagesCell(d, RESPONSE_METHOD_LABEL));
    this.parseErrors = perDirection((d) => m.parseErrorsTotal.labels({ direction: d }));
    this.oversized = perDirection((d) => m.oversizedLinesTotal.labels({ direction: d }));
    this.unmatched = perDirection((d) => m.unmatchedResponsesTotal.labels({ direction: d }));
    for (const d of DIRECTIONS) {
      this.parseErrors[d].inc(0);
      this.oversized[d].inc(0);
      this.unmatched[d].inc(0);
    }
    for (const method of STRATUM_METHODS) this.latencyByMethod.set(method, m.requestResponseSeconds.cell({ method }));
    this.latencyOther = m.requestResponseSeconds.cell({ method: OTHER_METHOD_LABEL });
    this.shareDifficulty = m.shareDifficulty.cell({});
    for (const side of CLOSE_SIDES) {
      for (const reason of CLOSE_REASONS) this.closes.set(`${side}/${reason}`, m.connectionClosesTotal.labels({ side, reason }));
    }
    for (const reason of CONNECTION_REJECT_REASONS) {
      const child = m.connectionsRejectedTotal.labels({ reason });
      child.inc(0);
      this.rejectedConnections.set(reason, child);
    }
    for (const verdict of this.audit.exactVerdicts) this.verdicts.set(verdict, m.cells.shareAudit.cell({ verdict }));
    if (this.audit.on && !this.audit.all) {
      const sampled = m.enableShareAuditSample(this.audit.sample);
      this.sampledVerdicts = new Map(SHARE_AUDIT_VERDICTS.map((verdict) => [verdict, sampled.cell({ verdict })] as const));
    }
    m.setPendingRequestsProvider(() => this.pendingTotal);
    m.setActiveConnectionsProvider(() => this.activeByPool());
    const pools = options.pools;
    if (pools !== undefined) {
      m.setPoolStateProvider(pools);
      // Every configured pool's series exist from the first scrape (alerts need the zeros).
      for (const pool of pools()) this.cellsOfPool(pool.name);
    }
  }

  /** Subscribes to a ProxyServer's event bus and starts the expiry sweeper. */
  attach(source: EventSource): void {
    if (this.unsubscribe !== null) return;
    // The collector copies what it keeps out of each event during the call: it borrows, so the
    // relay lends it reused events and decodes a line's params only where they are read here.
    this.unsubscribe = source.subscribe(this.listener, { borrowsEvents: true });
    this.sweeper = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Unsubscribes, stops the sweeper and forgets all connection state. */
  detach(): void {
    if (this.unsubscribe !== null) {
      this.unsubscribe();
      this.unsubscribe = null;
    }
    if (this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
    this.states.clear();
    this.pendingTotal = 0;
    this.metrics.setPendingRequestsProvider(null);
    this.metrics.setActiveConnectionsProvider(null);
    this.metrics.setPoolStateProvider(null);
  }

  /** Live state size, for leak tests. */
  stateSize(): { connections: number; pending: number } {
    return { connections: this.states.size, pending: this.pendingTotal };
  }

  connectionStatuses(): ConnectionStatus[] {
    const out: ConnectionStatus[] = [];
    for (const s of this.states.values()) {
      out.push({
        connectionId: s.connectionId,
        worker: s.worker,
        pool: s.pool === NO_POOL_LABEL ? null : s.pool,
        remoteAddress: s.remoteAddress,
        remotePort: s.remotePort,
        connectedSince: s.connectedAt,
        bytesSent: s.bytesSent,
        bytesReceived: s.bytesReceived,
        submits: s.submits,
        accepted: s.accepted,
        rejected: s.rejected,
        currentDifficulty: s.difficulty,
        lastShareAt: s.lastShareAt,
      });
    }
    return out;
  }

  /** One open connection's state, read-only (the message trace's /api/connections and debug bundle). */
  connectionState(connectionId: number): Readonly<ConnectionState> | undefined {
    return this.states.get(connectionId);
  }

  /** Every open connection's state, read-only. */
  connectionStates(): IterableIterator<Readonly<ConnectionState>> {
    return this.states.values();
  }

  /** Feeds one event. Never throws. */
  handle(event: ProxyEvent): void {
    try {
      switch (event.type) {
        case 'bytes': {
          // HOT PATH: one per relayed chunk.
          const n = event.bytes;
          // Also rejects undefined/NaN: one NaN would poison the counter for good.
          if (!(n > 0)) break;
          const s = this.states.get(event.connectionId);
          if (event.direction === 'miner_to_pool') {
            if (s !== undefined) {
              s.bytesSent += n;
              s.series.bytesSent.add(n);
            } else this.unknownSeries.bytesSent.add(n);
          } else if (s !== undefined) {
            s.bytesReceived += n;
            s.series.bytesReceived.add(n);
          } else this.unknownSeries.bytesReceived.add(n);
          break;
        }
        case 'stratum.request':
          this.onRequest(event);
          break;
        case 'stratum.response':
          this.onResponse(event);
          break;
        case 'stratum.notification':
          this.onNotification(event);
          break;
        case 'connection.opened':
          this.onOpened(event);
          break;
        case 'connection.closed':
          this.onClosed(event);
          break;
        case 'connection.adopted':
          this.onAdopted(event);
          break;
        case 'connection.rejected':
          this.onRejected(event);
          break;
        case 'upstream.connected':
          this.onUpstreamConnected(event);
          break;
        case 'upstream.connect_failed':
          this.onUpstreamFailed(event);
          break;
        case 'pool.probed':
          this.onProbed(event);
          break;
        case 'tls.handshake_failed':
          this.metrics.tlsHandshakeFailuresTotal.inc({ reason: event.reason });
          break;
        case 'parse.error':
          this.parseErrors[event.direction].inc();
          break;
        case 'line.oversized':
          this.oversized[event.direction].inc();
          break;
      }
    } catch {
      this.internalErrors++;
    }
  }

  /**
   * Requests older than the submit timeout count as timed out (a submit in
   * stratum_submit_timeouts_total) but stay matchable: a late answer is still an answer. Only
   * after `lateAnswerWindow` timeouts are they dropped. Called by the timer.
   */
  sweep(): void {
    try {
      const now = this.now();
      const deadline = now - this.submitTimeoutMs;
      const dropDeadline = now - this.submitTimeoutMs * this.lateAnswerWindow;
      for (const s of this.states.values()) {
        const series = s.series;
        const onTimedOut = (entry: PendingRequest<RequestInfo>): void => {
          if (entry.data.method === 'mining.submit') series.submitTimeouts.add(1);
        };
        this.pendingTotal -= s.minerRequests.markTimedOut(deadline, onTimedOut);
        // Past the late-answer window a submit's fate is final: journalled as a timeout.
        s.minerRequests.expire(dropDeadline, this.journal === null ? ignoreEntry : (entry) => this.journalUnanswered(s, entry, 'timeout'));
        if (s.poolRequests !== null) {
          this.pendingTotal -= s.poolRequests.markTimedOut(deadline, onTimedOut);
          s.poolRequests.expire(dropDeadline, ignoreEntry);
        }
      }
    } catch {
      this.internalErrors++;
    }
  }

  // ---- handover (a connection moving to another process; none of this runs per event) -------

  /**
   * Takes a connection out of this collector for the collector of the process that adopts it:
   * worker and pool, subscription (extranonce, difficulty, version mask), recent jobs, every
   * request still waiting for its answer (start times as wall-clock ms, timed-out marks) and the
   * per-connection counters. The connection leaves without being counted closed: no close, no
   * lost submit, no duration; stratum_active_connections and stratum_pending_requests drop
   * here. Returns null for a connection this collector does not know.
   *
   * Call it after ProxyServer.exportConnections handed the connection over (its observers have
   * then seen every byte relayed here) and before anything else of its reaches this collector.
   */
  exportConnection(connectionId: number): CollectorConnectionExport | null {
    const s = this.states.get(connectionId);
    if (s === undefined) return null;
    const now = this.now();
    const wall = this.wallNow();
    const auditJobs: StratumJob[] = [];
    const exported: CollectorConnectionExport = {
      version: COLLECTOR_EXPORT_VERSION,
      connectionId,
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
      connectedAt: s.connectedAt,
      worker: s.worker,
      authorized: s.authorized,
      pool: s.pool,
      counted: s.counted,
      extranonce1: s.extranonce1,
      extranonce2Size: s.extranonce2Size,
      difficulty: s.difficulty,
      versionMask: s.versionMask ?? null,
      jobs: s.jobs === null ? null : s.jobs.toArray(),
      minerRequests: exportRequests(s.minerRequests, now, wall, auditJobs, this.journal !== null),
      poolRequests: s.poolRequests === null ? [] : exportRequests(s.poolRequests, now, wall, auditJobs, false),
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      submits: s.submits,
      accepted: s.accepted,
      rejected: s.rejected,
      lastShareAt: s.lastShareAt,
      // Only with deferred shares (SHARE_AUDIT=rejected): other exports are what they were.
      ...(auditJobs.length > 0 ? { auditJobs } : {}),
    };
    this.pendingTotal -= s.waitingCount();
    this.states.delete(connectionId);
    return exported;
  }

  /**
   * Continues a connection exported by another process's collector: its series are resolved
   * here (worker and pool), its waiting requests can be answered here (each counted once, late
   * answers and timeouts included), and it counts in stratum_active_connections again. Returns
   * false (and counts an internal error) for anything that is not such an export.
   *
   * Import before ProxyServer.adoptConnection relays the connection's first bytes here: an answer
   * among them must find its request. (Imported after `connection.adopted`, the import takes the
   * place of the bare state that event made, keeping what it counted since.)
   */
  importConnection(exported: CollectorConnectionExport): boolean {
    if (!isCollectorConnectionExport(exported)) {
      this.internalErrors++;
      return false;
    }
    try {
      const s = new ConnectionState(
        exported.connectionId,
        exported.remoteAddress,
        exported.remotePort,
        exported.connectedAt,
        this.unknownSeries,
        this.shareAudit,
        this.maxPending,
      );
      s.pool = exported.pool;
      s.counted = exported.counted;
      s.worker = exported.worker;
      s.authorized = exported.authorized;
      s.extranonce1 = exported.extranonce1;
      s.extranonce2Size = exported.extranonce2Size;
      s.difficulty = exported.difficulty;
      s.versionMask = exported.versionMask ?? undefined;
      if (s.jobs !== null && exported.jobs !== null) s.jobs.restore(exported.jobs.map((j) => this.jobInterner.intern(j)));
      s.bytesSent = exported.bytesSent;
      s.bytesReceived = exported.bytesReceived;
      s.submits = exported.submits;
      s.accepted = exported.accepted;
      s.rejected = exported.rejected;
      s.lastShareAt = exported.lastShareAt;
      this.resolveSeries(s);
      // From wall clock back to this process's monotonic clock (the events' `t`).
      const offset = this.now() - this.wallNow();
      const auditJobs = (exported.auditJobs ?? []).map((j) => this.jobInterner.intern(j));
      for (const r of exported.minerRequests) this.restorePending(s, s.minerRequests, r.id, r.at + offset, requestInfo(r, auditJobs), r.timedOut);
      if (exported.poolRequests.length > 0) {
        const table = s.poolRequestTable();
        for (const r of exported.poolRequests) this.restorePending(s, table, r.id, r.at + offset, requestInfo(r, auditJobs), r.timedOut);
      }
      const bare = this.states.get(exported.connectionId);
      if (bare !== undefined) this.absorb(s, bare);
      this.states.set(exported.connectionId, s);
      return true;
    } catch {
      this.internalErrors++;
      return false;
    }
  }

  /** Adds a restored request; one evicted unanswered before its timeout counts as one (as addPending). */
  private restorePending(s: ConnectionState, table: PendingRequests<RequestInfo>, id: number | string, t: number, info: RequestInfo, timedOut: boolean): void {
    const evicted = table.restore(id, t, info, timedOut);
    if (!timedOut) this.pendingTotal++;
    if (evicted === null) return;
    if (this.journal !== null) this.journalUnanswered(s, evicted, 'timeout');
    if (evicted.timedOut) return;
    this.pendingTotal--;
    if (evicted.data.method === 'mining.submit') s.series.submitTimeouts.add(1);
  }

  /** An import after `connection.adopted`: what the bare state counted and waits for goes on in `s`. */
  private absorb(s: ConnectionState, bare: ConnectionState): void {
    s.bytesSent += bare.bytesSent;
    s.bytesReceived += bare.bytesReceived;
    s.submits += bare.submits;
    s.accepted += bare.accepted;
    s.rejected += bare.rejected;
    if (bare.lastShareAt !== null) s.lastShareAt = bare.lastShareAt;
    this.pendingTotal -= bare.waitingCount();
    bare.minerRequests.forEach((e) => this.restorePending(s, s.minerRequests, e.id, e.t, e.data, e.timedOut));
    if (bare.poolRequests !== null) {
      const table = s.poolRequestTable();
      bare.poolRequests.forEach((e) => this.restorePending(s, table, e.id, e.t, e.data, e.timedOut));
    }
  }

  /**
   * A connection adopted from another process. Its state normally came first (importConnection);
   * without one it starts bare, on its pool, already counted where it was accepted.
   */
  private onAdopted(e: ConnectionAdoptedEvent): void {
    if (this.states.has(e.connectionId)) return;
    const s = new ConnectionState(e.connectionId, e.remoteAddress, e.remotePort, e.wallTime, this.unknownSeries, this.shareAudit, this.maxPending);
    s.counted = true;
    s.pool = e.poolName;
    this.resolveSeries(s);
    this.states.set(e.connectionId, s);
  }

  // ---------------------------------------------------------------------------------------------

  private seriesFor(clientId: string, pool: string): WorkerSeries {
    let byClient = this.seriesByPool.get(pool);
    if (byClient === undefined) {
      byClient = new Map();
      this.seriesByPool.set(pool, byClient);
    }
    let series = byClient.get(clientId);
    if (series === undefined) {
      series = new WorkerSeries(this.metrics, clientId, pool);
      byClient.set(clientId, series);
    }
    return series;
  }

  private cellsOfPool(pool: string): PoolCells {
    let cells = this.poolCells.get(pool);
    if (cells === undefined) {
      const m = this.metrics;
      const host = { pool_host: pool };
      const connections = m.connectionsTotal.labels(host);
      connections.inc(0);
      const failovers = m.poolFailoversTotal.labels(host);
      if (pool !== NO_POOL_LABEL) failovers.inc(0);
      cells = {
        connections,
        duration: m.connectionDurationSeconds.cell(host),
        connectLatency: m.connectLatencySeconds.cell(host),
        probe: m.poolProbeSeconds.cell(host),
        failovers,
        failures: new Map(),
      };
      this.poolCells.set(pool, cells);
    }
    return cells;
  }

  private activeByPool(): Map<string, number> {
    const counts = new Map<string, number>([[NO_POOL_LABEL, 0]]);
    for (const pool of this.poolCells.keys()) counts.set(pool, 0);
    for (const s of this.states.values()) counts.set(s.pool, (counts.get(s.pool) ?? 0) + 1);
    return counts;
  }

  /** The series of a connection's worker on its current pool. */
  private resolveSeries(s: ConnectionState): void {
    const worker = s.worker;
    s.series = this.seriesFor(worker === null ? UNKNOWN_CLIENT_ID : this.cap.resolve(worker), s.pool);
    if (s.authorized && s.difficulty !== null) s.series.currentDifficulty.set(s.difficulty);
  }

  private jobCell(clean: boolean): CounterCell {
    if (clean) return (this.jobsClean ??= this.metrics.cells.jobs.cell({ clean: 'true' }));
    return (this.jobsNotClean ??= this.metrics.cells.jobs.cell({ clean: 'false' }));
  }

  private messageCell(direction: Direction, method: string): CounterCell {
    const cells = this.messageCells[direction];
    const cell = cells.get(method);
    if (cell !== undefined) return cell;
    if (!isKnownMethod(method)) return this.messageOther[direction];
    // A known method the wrong way (a miner sending mining.notify): counted as what it is, its
    // series appearing with it. At most 13 such cells per direction, so the cardinality stays fixed.
    const made = this.metrics.messagesCell(direction, method);
    cells.set(method, made);
    return made;
  }

  private onOpened(e: ConnectionOpenedEvent): void {
    const wall = typeof e.wallTime === 'number' ? e.wallTime : this.wallNow();
    const state = new ConnectionState(e.connectionId, e.remoteAddress, e.remotePort, wall, this.unknownSeries, this.shareAudit, this.maxPending);
    const previous = this.states.get(e.connectionId);
    if (previous !== undefined) this.pendingTotal -= previous.waitingCount();
    this.states.set(e.connectionId, state);
  }

  private onClosed(e: ConnectionClosedEvent): void {
    (this.closes.get(`${e.side}/${e.reason}`) ?? this.metrics.connectionClosesTotal.labels({ side: e.side, reason: e.reason })).inc();
    if (e.reason === 'failback') this.metrics.failbacksTotal.inc();
    if (e.side === 'pool' && typeof e.poolName === 'string') this.metrics.poolDisconnectsTotal.inc({ pool_host: e.poolName });
    const pool = typeof e.poolName === 'string' ? e.poolName : NO_POOL_LABEL;
    const cells = this.cellsOfPool(pool);
    cells.duration.observe(msToSeconds(e.durationMs));
    const s = this.states.get(e.connectionId);
    // A connection that never reached a pool is counted here, under pool_host="none".
    if (s === undefined || !s.counted) cells.connections.inc();
    if (s === undefined) return;
    // Nobody will answer these any more: a submit among them is lost (timed out or not).
    const series = s.series;
    const onLost = (entry: PendingRequest<RequestInfo>): void => {
      if (entry.data.method !== 'mining.submit') return;
      series.submitsLost.add(1);
      if (this.journal !== null) this.journalUnanswered(s, entry, 'lost');
    };
    this.pendingTotal -= s.minerRequests.waiting;
    s.minerRequests.clear(onLost);
    if (s.poolRequests !== null) {
      this.pendingTotal -= s.poolRequests.waiting;
      s.poolRequests.clear();
    }
    this.states.delete(e.connectionId);
    this.journal?.connection({
      connectionId: s.connectionId,
      openedAt: s.connectedAt,
      closedAt: this.wallNow(),
      worker: s.worker,
      pool: s.pool,
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      submits: s.submits,
      accepted: s.accepted,
      rejected: s.rejected,
      closeSide: e.side,
      closeReason: e.reason,
    });
  }

  private onRejected(e: ConnectionRejectedEvent): void {
    (this.rejectedConnections.get(e.reason) ?? this.metrics.connectionsRejectedTotal.labels({ reason: e.reason })).inc();
    // A refused connection also ended: the proxy closed it because of a limit.
    if (e.reason === 'max_connections') (this.closes.get('proxy/limit') as ChildInc).inc();
  }

  private onUpstreamConnected(e: UpstreamConnectedEvent): void {
    const cells = this.cellsOfPool(e.poolName);
    cells.connectLatency.observe(msToSeconds(e.latencyMs));
    const s = this.states.get(e.connectionId);
    if (s === undefined) return;
    if (!s.counted) {
      s.counted = true;
      cells.connections.inc();
    }
    if (s.pool !== e.poolName) {
      s.pool = e.poolName;
      this.resolveSeries(s);
    }
  }

  private onUpstreamFailed(e: UpstreamConnectFailedEvent): void {
    const cells = this.cellsOfPool(e.poolName);
    let failures = cells.failures.get(e.reason);
    if (failures === undefined) {
      failures = this.metrics.upstreamConnectFailuresTotal.labels({ pool_host: e.poolName, reason: e.reason });
      cells.failures.set(e.reason, failures);
    }
    failures.inc();
    if (e.failover) cells.failovers.inc();
    // Back to "no pool" until the next one connects (its bytes and shares are not this pool's).
    const s = this.states.get(e.connectionId);
    if (s !== undefined && s.pool !== NO_POOL_LABEL) {
      s.pool = NO_POOL_LABEL;
      this.resolveSeries(s);
    }
  }

  private onProbed(e: PoolProbedEvent): void {
    if (e.ok) this.cellsOfPool(e.poolName).probe.observe(msToSeconds(e.latencyMs));
    else this.metrics.poolProbeFailuresTotal.inc({ pool_host: e.poolName, reason: e.reason ?? 'error' });
  }

  private onRequest(e: StratumRequestEvent): void {
    this.messageCell(e.direction, e.method).add(1);
    const s = this.states.get(e.connectionId);
    if (s === undefined) return;
    if (e.direction === 'miner_to_pool') {
      const id = e.id;
      const answerable = isPendingId(id);
      const info = this.onMinerMethod(s, e.method, e, answerable);
      if (answerable) this.addPending(s, s.minerRequests, id, e.t, info);
    } else {
      // Some pools send mining.notify / set_difficulty with an id: interpret them all the same.
      this.onPoolMethod(s, e.method, e.params);
      const id = e.id;
      if (isPendingId(id)) {
        this.addPending(s, s.poolRequestTable(), id, e.t, plainRequestInfo(e.method));
      }
    }
  }

  private onNotification(e: StratumNotificationEvent): void {
    this.messageCell(e.direction, e.method).add(1);
    const s = this.states.get(e.connectionId);
    if (s === undefined) return;
    if (e.direction === 'pool_to_miner') this.onPoolMethod(s, e.method, e.params);
    else this.onMinerMethod(s, e.method, e, false);
  }

  private addPending(s: ConnectionState, table: PendingRequests<RequestInfo>, id: number | string, t: number, info: RequestInfo): void {
    const evicted = table.add(id, t, info);
    this.pendingTotal++;
    if (evicted === null) return;
    if (this.journal !== null) this.journalUnanswered(s, evicted, 'timeout');
    if (evicted.timedOut) return;
    // Pushed out unanswered before its timeout: counted as one (it can no longer be answered).
    this.pendingTotal--;
    if (evicted.data.method === 'mining.submit') s.series.submitTimeouts.add(1);
  }

  /** A request or notification from the miner. Returns what its pending entry must remember. */
  private onMinerMethod(s: ConnectionState, method: string, e: { readonly params: readonly unknown[] }, answerExpected: boolean): RequestInfo {
    // HOT PATH: `e.params` of a lent event is decoded when read; a submit's only when audited.
    if (method === 'mining.submit') {
      const read = s.jobs !== null || this.journalWantsShares(s);
      return this.onSubmit(s, read ? e.params : UNREAD_PARAMS, answerExpected);
    }
    if (method === 'mining.authorize' && !s.authorized) this.onAuthorize(s, e.params[0]);
    return plainRequestInfo(method);
  }

  /**
   * The first mining.authorize of a connection names its worker; its series are resolved here,
   * once. (A connection authorizing several workers keeps the first: per-share worker labels
   * would cost a lookup per submit for a rare setup.)
   */
  private onAuthorize(s: ConnectionState, worker: unknown): void {
    const name = sanitizeWorkerName(worker);
    if (name === null) return;
    s.authorized = true;
    s.worker = name;
    this.resolveSeries(s);
  }

  private onSubmit(s: ConnectionState, params: readonly unknown[], answerExpected: boolean): RequestInfo {
    s.submits++;
    s.lastShareAt = this.wallNow();
    s.series.submits.add(1);
    const difficulty = s.difficultyInForce();
    const jobId = params[1];
    if (s.jobs === null) return this.submitted(s, plainRequestInfo('mining.submit', difficulty, typeof jobId === 'string' ? jobId : null), answerExpected);
    const audit = this.audit;
    // Under all every share is hashed now; otherwise a uniform draw decides the sample (every
    // submit draws, so the sample stays uniform over all shares, whatever their outcome).
    const sampled = !audit.all && this.random() < audit.sample;
    let check: ShareCheck = ShareCheck.None;
    let deferred: DeferredShare | null = null;
    let hashed: ShareEvaluation | null = null;
    const job = typeof jobId === 'string' ? s.jobs.get(jobId) : undefined;
    if (typeof jobId !== 'string') check = ShareCheck.Invalid;
    else if (job === undefined) check = ShareCheck.UnknownJob;
    else if (audit.all || sampled) {
      const result = evaluateSubmit(job, s.extranonce1, params, s.versionMask);
      hashed = result;
      if (result === null) check = ShareCheck.Invalid;
      else {
        // The histogram gets every share (all) or exactly the sample: a distribution, never biased.
        this.shareDifficulty.observe(result.difficulty);
        check = this.judge(s, result, difficulty);
      }
    } else if (audit.hashRejected && answerExpected) {
      // HOT PATH under SHARE_AUDIT=rejected: no hashing now, only references kept.
      deferred = deferShare(job, s.extranonce1, params, s.versionMask);
      if (deferred === null) check = ShareCheck.Invalid;
    }
    if (!answerExpected) check = ShareCheck.None;
    const info: RequestInfo = {
      method: 'mining.submit',
      difficulty,
      check,
      sampled: sampled && answerExpected,
      deferred,
      jobId: typeof jobId === 'string' ? jobId : null,
      shareDifficulty: hashed === null ? null : hashed.difficulty,
      blockCandidate: hashed !== null && hashed.meetsNetworkTarget,
    };
    return this.submitted(s, info, answerExpected);
  }

  /**
   * A submit whose id cannot be matched to an answer (null, an object …) is settled at once: the
   * journal gets it as `lost` now, since no answer will ever be seen for it.
   */
  private submitted(s: ConnectionState, info: RequestInfo, answerExpected: boolean): RequestInfo {
    if (!answerExpected && this.journal !== null) this.journal.share(this.shareRow(s, this.now(), info, 'lost', null, null, null, null));
    return info;
  }

  private journalWantsShares(s: ConnectionState): boolean {
    return this.journal !== null && (this.journalWants === null || this.journalWants(s.connectionId));
  }

  /** A journal row for a submit relayed at `t` (monotonic ms, the events' clock). */
  private shareRow(
    s: ConnectionState,
    t: number,
    info: RequestInfo,
    result: ShareResult,
    reason: string | null,
    audit: ShareAuditValue | null,
    latencyMs: number | null,
    rehashed: ShareEvaluation | null,
  ): ShareRow {
    return {
      time: Math.round(t + (this.wallNow() - this.now())),
      worker: s.worker,
      pool: s.pool,
      jobId: info.jobId,
      difficulty: info.difficulty,
      result,
      reason,
      audit,
      shareDifficulty: rehashed === null ? info.shareDifficulty : rehashed.difficulty,
      blockCandidate: rehashed === null ? info.blockCandidate : rehashed.meetsNetworkTarget,
      latencyMs,
      connectionId: s.connectionId,
      remoteAddress: s.remoteAddress,
    };
  }

  /** A submit that leaves unanswered (dropped after the late-answer window, evicted, or lost at close). */
  private journalUnanswered(s: ConnectionState, entry: PendingRequest<RequestInfo>, result: 'timeout' | 'lost'): void {
    if (entry.data.method !== 'mining.submit' || this.journal === null) return;
    this.journal.share(this.shareRow(s, entry.t, entry.data, result, null, checkOnly(entry.data.check), null, null));
  }

  /** Best share and block candidates from a hashed share (every one, sampled or not); its check. */
  private judge(s: ConnectionState, result: ShareEvaluation, difficulty: number): ShareCheck {
    s.series.observeShare(result.difficulty);
    if (result.difficulty > s.bestShare) s.bestShare = result.difficulty;
    if (result.meetsNetworkTarget) {
      s.series.blockCandidates().add(1);
      s.blockCandidates++;
    }
    return result.difficulty >= difficulty ? ShareCheck.Valid : ShareCheck.Invalid;
  }

  /** A request or notification from the pool. */
  private onPoolMethod(s: ConnectionState, method: string, params: readonly unknown[]): void {
    switch (method) {
      case 'mining.notify': {
        this.jobCell(params[8] === true).add(1);
        if (s.jobs !== null) {
          const job = jobFromNotify(params);
          if (job !== null) s.jobs.add(this.jobInterner.intern(job));
        }
        break;
      }
      case 'mining.set_difficulty': {
        const d = toPositiveNumber(params[0]);
        if (d !== null) {
          s.difficulty = d;
          if (s.authorized) s.series.currentDifficulty.set(d);
        }
        break;
      }
      case 'mining.set_extranonce': {
        if (typeof params[0] === 'string') s.extranonce1 = params[0];
        if (typeof params[1] === 'number') s.extranonce2Size = params[1];
        break;
      }
      case 'mining.set_version_mask': {
        const mask = parseHexU32(params[0]);
        if (mask !== null) s.versionMask = mask;
        break;
      }
    }
  }

  private onResponse(e: StratumResponseEvent): void {
    this.messageResponse[e.direction].add(1);
    const s = this.states.get(e.connectionId);
    if (s === undefined) return;
    if (e.direction === 'pool_to_miner') {
      // The pool answers the miner's request.
      const entry = isPendingId(e.id) ? s.minerRequests.take(e.id) : undefined;
      if (entry === undefined) {
        this.unmatched.pool_to_miner.inc();
        return;
      }
      if (entry.timedOut) {
        if (entry.data.method === 'mining.submit') s.series.lateAnswers.add(1);
      } else this.pendingTotal--;
      const info = entry.data;
      (this.latencyByMethod.get(info.method) ?? this.latencyOther).observe(msToSeconds(e.t - entry.t));
      switch (info.method) {
        case 'mining.submit':
          this.onSubmitAnswer(s, info, e.result, e.error, entry.t, e.t);
          break;
        case 'mining.subscribe':
          this.onSubscribeAnswer(s, e.result);
          break;
        case 'mining.configure':
          this.onConfigureAnswer(s, e.result);
          break;
      }
    } else {
      // The miner answers the pool's request (client.get_version …).
      const entry = isPendingId(e.id) && s.poolRequests !== null ? s.poolRequests.take(e.id) : undefined;
      if (entry === undefined) {
        this.unmatched.miner_to_pool.inc();
        return;
      }
      if (!entry.timedOut) this.pendingTotal--;
    }
  }

  private onSubmitAnswer(s: ConnectionState, info: RequestInfo, result: unknown, error: unknown, submittedAt: number, answeredAt: number): void {
    const accepted = isAccepted(result, error);
    if (accepted) {
      s.accepted++;
      s.series.accepted.add(1);
      s.series.acceptedDifficulty.add(info.difficulty);
      s.acceptedDifficulty += info.difficulty;
    } else {
      s.rejected++;
      const reason = rejectReason(error);
      s.series.rejectedFor(reason).add(1);
      s.countReject(reason);
    }
    let check = info.check;
    let rehashed: ShareEvaluation | null = null;
    // SHARE_AUDIT=rejected: a share not hashed at submit is hashed now, if the pool rejected it.
    if (!accepted && info.deferred !== null) {
      const result = evaluateDeferred(info.deferred);
      rehashed = result;
      check = result === null ? ShareCheck.Invalid : this.judge(s, result, info.difficulty);
    }
    const verdict = auditVerdict(check, accepted);
    if (this.journal !== null && this.journalWantsShares(s)) {
      const reason = accepted ? null : rejectReason(error);
      this.journal.share(this.shareRow(s, submittedAt, info, accepted ? 'accepted' : 'rejected', reason, verdict, answeredAt - submittedAt, rehashed));
    }
    if (verdict === null) return;
    s.countVerdict(verdict);
    // Exact counts only for the verdicts this mode sees every share of (AuditPlan.exactVerdicts).
    this.verdicts.get(verdict)?.add(1);
    if (info.sampled && this.sampledVerdicts !== null) this.sampledVerdicts.get(verdict)?.add(1);
  }

  /** mining.subscribe result: `[subscriptions, extranonce1, extranonce2_size]`. */
  private onSubscribeAnswer(s: ConnectionState, result: unknown): void {
    if (!Array.isArray(result)) return;
    if (typeof result[1] === 'string') s.extranonce1 = result[1];
    if (typeof result[2] === 'number') s.extranonce2Size = result[2];
  }

  /** BIP310 mining.configure result: `{"version-rolling": true, "version-rolling.mask": "1fffe000"}`. */
  private onConfigureAnswer(s: ConnectionState, result: unknown): void {
    if (typeof result !== 'object' || result === null) return;
    const r = result as Record<string, unknown>;
    if (r['version-rolling'] === false) return;
    const mask = parseHexU32(r['version-rolling.mask']);
    if (mask !== null) s.versionMask = mask;
  }
}

interface PoolCells {
  readonly connections: ChildInc;
  readonly duration: HistogramCell;
  readonly connectLatency: HistogramCell;
  readonly probe: HistogramCell;
  readonly failovers: ChildInc;
  readonly failures: Map<string, ChildInc>;
}

function ignoreEntry(): void {}

/** What the audit said of a share the pool never answered: its own check, no verdict. */
function checkOnly(check: ShareCheck): ShareAuditValue | null {
  switch (check) {
    case ShareCheck.Valid:
      return 'valid';
    case ShareCheck.Invalid:
      return 'invalid';
    case ShareCheck.UnknownJob:
      return 'unknown_job';
    default:
      return null;
  }
}

/** The waiting requests as JSON; the jobs of deferred shares go to `auditJobs`, each once. */
function exportRequests(table: PendingRequests<RequestInfo>, now: number, wall: number, auditJobs: StratumJob[], journalFacts: boolean): PendingRequestExport[] {
  const out: PendingRequestExport[] = [];
  const offset = wall - now;
  table.forEach((e) => {
    const { method, difficulty, check, sampled, deferred, jobId, shareDifficulty, blockCandidate } = e.data;
    let r: PendingRequestExport = { id: e.id, at: e.t + offset, method, difficulty, check, timedOut: e.timedOut };
    // With a journal its facts move with the submit (journalled once, by the process that settles
    // it); without one the export is what it was.
    if (journalFacts && (jobId !== null || shareDifficulty !== null || blockCandidate)) {
      r = { ...r, ...(jobId === null ? {} : { jobId }), ...(shareDifficulty === null ? {} : { shareDifficulty }), ...(blockCandidate ? { blockCandidate } : {}) };
    }
    // The audit's fields only when set: an export without them reads as before the modes.
    if (!sampled && deferred === null) out.push(r);
    else out.push({ ...r, ...(sampled ? { sampled } : {}), ...(deferred === null ? {} : { deferred: exportDeferred(deferred, auditJobs) }) });
  });
  return out;
}

function exportDeferred(d: DeferredShare, auditJobs: StratumJob[]): NonNullable<PendingRequestExport['deferred']> {
  let job = auditJobs.indexOf(d.job);
  if (job === -1) job = auditJobs.push(d.job) - 1;
  return {
    job,
    extranonce1: d.extranonce1,
    extranonce2: d.extranonce2,
    ntime: d.ntime,
    nonce: d.nonce,
    versionBits: d.versionBits ?? null,
    versionMask: d.versionMask ?? null,
  };
}

function requestInfo(r: PendingRequestExport, auditJobs: readonly StratumJob[]): RequestInfo {
  const d = r.deferred;
  const job = d === undefined ? undefined : auditJobs[d.job];
  const deferred: DeferredShare | null =
    d === undefined || job === undefined
      ? null
      : {
          job,
          extranonce1: d.extranonce1,
          extranonce2: d.extranonce2,
          ntime: d.ntime,
          nonce: d.nonce,
          versionBits: d.versionBits ?? undefined,
          versionMask: d.versionMask ?? undefined,
        };
  return {
    method: r.method,
    difficulty: r.difficulty,
    check: r.check,
    sampled: r.sampled === true,
    deferred,
    jobId: r.jobId ?? null,
    shareDifficulty: r.shareDifficulty ?? null,
    blockCandidate: r.blockCandidate === true,
  };
}

/**
 * Ids are relayed however odd (objects, arrays, booleans); only numbers and strings can be
 * matched to an answer, anything else is never pending and its answer counts as unmatched.
 */
function isPendingId(id: unknown): id is number | string {
  return typeof id === 'number' || typeof id === 'string';
}

/** Durations from events, in seconds; anything negative or not a number counts as 0 (never NaN in a histogram). */
function msToSeconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

function toPositiveNumber(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

function parseHexU32(v: unknown): number | null {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,8}$/.test(v)) return null;
  return parseInt(v, 16) >>> 0;
}
