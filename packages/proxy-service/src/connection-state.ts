import { SHARE_REJECT_REASONS, type CounterCell, type ShareRejectReason, type StratumMetrics } from '@stratum-relay/metrics';
import type { StratumJob } from '@stratum-relay/work';
import { PendingRequests } from './pending-requests';
import type { PendingId } from './pending-requests';
import { ShareCheck } from './share-audit';
import { RecentJobs } from './share-audit';
import type { DeferredShare } from './share-audit';

interface GaugeChild {
  set(value: number): void;
}

/**
 * The metric cells of one `client_id` (after the cap) on one pool, resolved once and shared by
 * every connection of that worker: the hot path then adds plain numbers, without building,
 * validating or hashing label objects (see CounterCell; the counters are rebuilt from these at
 * scrape time).
 */
export class WorkerSeries {
  readonly bytesSent: CounterCell;
  readonly bytesReceived: CounterCell;
  readonly submits: CounterCell;
  readonly accepted: CounterCell;
  readonly acceptedDifficulty: CounterCell;
  readonly submitTimeouts: CounterCell;
  readonly lateAnswers: CounterCell;
  readonly submitsLost: CounterCell;
  readonly currentDifficulty: GaugeChild;
  readonly bestShare: GaugeChild;
  /** Highest share difficulty seen for this label (the gauge only goes up). */
  bestShareValue = 0;
  private readonly labels: { client_id: string; pool_host: string };
  private readonly rejected = new Map<ShareRejectReason, CounterCell>();
  private blockCandidateCell: CounterCell | null = null;

  constructor(
    private readonly metrics: StratumMetrics,
    readonly clientId: string,
    readonly poolName: string,
  ) {
    const labels = { client_id: clientId, pool_host: poolName };
    this.labels = labels;
    const cells = metrics.cells;
    // Series that dashboards rate() over exist at 0 from the worker's first appearance.
    this.bytesSent = cells.bytesSent.cell(labels);
    this.bytesReceived = cells.bytesReceived.cell(labels);
    this.submits = cells.submits.cell(labels);
    this.accepted = cells.acceptedShares.cell(labels);
    this.acceptedDifficulty = cells.acceptedDifficulty.cell(labels);
    this.submitTimeouts = cells.submitTimeouts.cell(labels);
    this.lateAnswers = cells.lateAnswers.cell(labels);
    this.submitsLost = cells.submitsLost.cell(labels);
    this.currentDifficulty = metrics.currentDifficulty.labels(labels);
    this.bestShare = metrics.bestShareDifficulty.labels(labels);
    // Rejects the same way as accepted shares: every reason at 0 from the start, so the first
    // reject is an increase a rate() sees (a series born at 1 hides it) and a reject-ratio panel
    // shows 0, not "no data", for a worker that never had one.
    for (const reason of SHARE_REJECT_REASONS) this.rejected.set(reason, cells.rejectedShares.cell({ ...labels, reason }));
  }

  /** Reject counter per reason (preset with the worker's series: SHARE_REJECT_REASONS is closed). */
  rejectedFor(reason: ShareRejectReason): CounterCell {
    return this.rejected.get(reason) as CounterCell;
  }

  /** Block candidates: the series appears with the first one (a block is rare; no series at 0). */
  blockCandidates(): CounterCell {
    if (this.blockCandidateCell === null) this.blockCandidateCell = this.metrics.cells.blockCandidates.cell(this.labels);
    return this.blockCandidateCell;
  }

  observeShare(difficulty: number): void {
    if (difficulty > this.bestShareValue) {
      this.bestShareValue = difficulty;
      this.bestShare.set(difficulty);
    }
  }
}

/** What a pending request remembers until its answer. */
export interface RequestInfo {
  /** Method of the request (a reference to the parsed string, not a copy). */
  readonly method: string;
  /** Difficulty in force when a share was submitted (credited on accept). */
  readonly difficulty: number;
  /** Audit result computed at submit time (None when the share was not hashed then). */
  readonly check: ShareCheck;
  /** In the audit's sample (SHARE_AUDIT=rejected|sample): its verdict also counts as a sample. */
  readonly sampled: boolean;
  /** SHARE_AUDIT=rejected, not sampled: what to hash if the pool rejects it; null otherwise. */
  readonly deferred: DeferredShare | null;
  /** A submit's job id, for the share journal (read only when the audit or the journal is on). */
  readonly jobId: string | null;
  /** What the share's hash reached, when it was hashed at submit; null otherwise. */
  readonly shareDifficulty: number | null;
  /** Hashed at submit and meets the network target. */
  readonly blockCandidate: boolean;
}

/** What a request that is not an audited share remembers. */
export function plainRequestInfo(method: string, difficulty = 0, jobId: string | null = null): RequestInfo {
  return { method, difficulty, check: ShareCheck.None, sampled: false, deferred: null, jobId, shareDifficulty: null, blockCandidate: false };
}

/** Everything the collector knows about one open connection. Deleted on connection.closed. */
export class ConnectionState {
  series: WorkerSeries;
  /** Name of the pool relayed to (`none` until the upstream connects). */
  pool: string;
  /** Counted in stratum_connections_total (when its first upstream connected). */
  counted = false;
  /** Sanitized worker name from mining.authorize (uncapped, for /status); null before authorize. */
  worker: string | null = null;
  authorized = false;
  extranonce1: string | null = null;
  extranonce2Size: number | null = null;
  /** Latest mining.set_difficulty; null until the pool sends one. */
  difficulty: number | null = null;
  /** BIP310 version-rolling mask negotiated by mining.configure / set by mining.set_version_mask. */
  versionMask: number | undefined = undefined;
  /** Only allocated when the share audit is on. */
  readonly jobs: RecentJobs | null;
  /** Requests the miner sent, answered by the pool. */
  readonly minerRequests: PendingRequests<RequestInfo>;
  /** Requests the pool sent (client.get_version …), answered by the miner; allocated on first use. */
  poolRequests: PendingRequests<RequestInfo> | null = null;

  bytesSent = 0;
  bytesReceived = 0;
  submits = 0;
  accepted = 0;
  rejected = 0;
  /** Wall-clock ms of the latest mining.submit; null before the first. */
  lastShareAt: number | null = null;
  /** For /api/connections and /ui (not exported in a handover: they restart at 0 in the adopting process). */
  acceptedDifficulty = 0;
  bestShare = 0;
  blockCandidates = 0;
  /** Rejects and audit verdicts by name; allocated with the first one. */
  rejectedByReason: Record<string, number> | null = null;
  auditVerdicts: Record<string, number> | null = null;

  constructor(
    readonly connectionId: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    /** Wall-clock ms when the miner connected. */
    readonly connectedAt: number,
    series: WorkerSeries,
    shareAudit: boolean,
    private readonly maxPending: number,
  ) {
    this.series = series;
    this.pool = series.poolName;
    this.jobs = shareAudit ? new RecentJobs() : null;
    this.minerRequests = new PendingRequests<RequestInfo>(maxPending);
  }

  poolRequestTable(): PendingRequests<RequestInfo> {
    if (this.poolRequests === null) this.poolRequests = new PendingRequests<RequestInfo>(this.maxPending);
    return this.poolRequests;
  }

  countReject(reason: string): void {
    const counts = (this.rejectedByReason ??= {});
    counts[reason] = (counts[reason] ?? 0) + 1;
  }

  countVerdict(verdict: string): void {
    const counts = (this.auditVerdicts ??= {});
    counts[verdict] = (counts[verdict] ?? 0) + 1;
  }

  /** Stratum's default share difficulty is 1 until the pool sets one. */
  difficultyInForce(): number {
    return this.difficulty ?? 1;
  }

  /** Requests still within their timeout (what stratum_pending_requests counts). */
  waitingCount(): number {
    return this.minerRequests.waiting + (this.poolRequests === null ? 0 : this.poolRequests.waiting);
  }
}

/** Version of {@link CollectorConnectionExport}: an importing collector refuses any other. */
export const COLLECTOR_EXPORT_VERSION = 1;

/** One request still waiting for its answer, as it travels to another process. */
export interface PendingRequestExport {
  readonly id: PendingId;
  /** Wall-clock ms when it was relayed (monotonic clocks do not cross processes). */
  readonly at: number;
  readonly method: string;
  readonly difficulty: number;
  readonly check: ShareCheck;
  /** Already counted in stratum_submit_timeouts_total where it was (not counted again). */
  readonly timedOut: boolean;
  /** In the audit's sample (absent = false: exports from before the SHARE_AUDIT modes). */
  readonly sampled?: boolean;
  /** A share to hash if the pool rejects it (SHARE_AUDIT=rejected); its job is `auditJobs[job]`. */
  readonly deferred?: DeferredShareExport;
  /** RequestInfo's share journal facts, each only when set (absent in exports from before the journal). */
  readonly jobId?: string;
  readonly shareDifficulty?: number;
  readonly blockCandidate?: boolean;
}

/** A DeferredShare as plain JSON: the job by its index in CollectorConnectionExport.auditJobs. */
export interface DeferredShareExport {
  readonly job: number;
  readonly extranonce1: string;
  readonly extranonce2: string;
  readonly ntime: string;
  readonly nonce: string;
  readonly versionBits: string | null;
  readonly versionMask: number | null;
}

/**
 * What the collector knows of one connection, as plain JSON, for the collector of the process
 * that adopts the connection (MetricsCollector.exportConnection / importConnection).
 */
export interface CollectorConnectionExport {
  readonly version: typeof COLLECTOR_EXPORT_VERSION;
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Wall-clock ms of the accept. */
  readonly connectedAt: number;
  /** Sanitized worker name from the first mining.authorize; null before it. */
  readonly worker: string | null;
  readonly authorized: boolean;
  /** The `pool_host` label (`none` while it has none). */
  readonly pool: string;
  /** Counted in stratum_connections_total already. */
  readonly counted: boolean;
  readonly extranonce1: string | null;
  readonly extranonce2Size: number | null;
  readonly difficulty: number | null;
  readonly versionMask: number | null;
  /** Recent jobs, oldest first; null when the share audit is off. */
  readonly jobs: StratumJob[] | null;
  /** The miner's requests waiting for the pool, oldest first (FIFO per id kept). */
  readonly minerRequests: PendingRequestExport[];
  /** The pool's requests waiting for the miner, oldest first. */
  readonly poolRequests: PendingRequestExport[];
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly submits: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Wall-clock ms of the latest submit, or null. */
  readonly lastShareAt: number | null;
  /**
   * The jobs of the deferred shares among the waiting requests, each once (a job dropped from
   * `jobs` by clean_jobs may still be needed). Absent in exports from before the SHARE_AUDIT modes,
   * which an importing collector takes as it did; an older collector ignores it.
   */
  readonly auditJobs?: StratumJob[];
}

/** Hand-written guard for an export received from another process (runs once per handover). */
export function isCollectorConnectionExport(v: unknown): v is CollectorConnectionExport {
  if (!isObject(v) || v['version'] !== COLLECTOR_EXPORT_VERSION) return false;
  return (
    isCount(v['connectionId']) &&
    typeof v['remoteAddress'] === 'string' &&
    isCount(v['remotePort']) &&
    isFiniteNumber(v['connectedAt']) &&
    (v['worker'] === null || typeof v['worker'] === 'string') &&
    typeof v['authorized'] === 'boolean' &&
    typeof v['pool'] === 'string' &&
    typeof v['counted'] === 'boolean' &&
    (v['extranonce1'] === null || typeof v['extranonce1'] === 'string') &&
    (v['extranonce2Size'] === null || isFiniteNumber(v['extranonce2Size'])) &&
    (v['difficulty'] === null || isFiniteNumber(v['difficulty'])) &&
    (v['versionMask'] === null || isCount(v['versionMask'])) &&
    (v['jobs'] === null || (Array.isArray(v['jobs']) && v['jobs'].every(isJob))) &&
    (v['auditJobs'] === undefined || (Array.isArray(v['auditJobs']) && v['auditJobs'].every(isJob))) &&
    isPendingList(v['minerRequests'], auditJobCount(v['auditJobs'])) &&
    isPendingList(v['poolRequests'], 0) &&
    isCount(v['bytesSent']) &&
    isCount(v['bytesReceived']) &&
    isCount(v['submits']) &&
    isCount(v['accepted']) &&
    isCount(v['rejected']) &&
    (v['lastShareAt'] === null || isFiniteNumber(v['lastShareAt']))
  );
}

const SHARE_CHECKS: ReadonlySet<unknown> = new Set(Object.values(ShareCheck));

function auditJobCount(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}

function isPendingList(v: unknown, auditJobs: number): boolean {
  return (
    Array.isArray(v) &&
    v.every(
      (e: unknown) =>
        isObject(e) &&
        (typeof e['id'] === 'number' || typeof e['id'] === 'string') &&
        isFiniteNumber(e['at']) &&
        typeof e['method'] === 'string' &&
        isFiniteNumber(e['difficulty']) &&
        SHARE_CHECKS.has(e['check']) &&
        typeof e['timedOut'] === 'boolean' &&
        (e['sampled'] === undefined || typeof e['sampled'] === 'boolean') &&
        (e['deferred'] === undefined || isDeferredShare(e['deferred'], auditJobs)) &&
        (e['jobId'] === undefined || typeof e['jobId'] === 'string') &&
        (e['shareDifficulty'] === undefined || isFiniteNumber(e['shareDifficulty'])) &&
        (e['blockCandidate'] === undefined || typeof e['blockCandidate'] === 'boolean'),
    )
  );
}

function isDeferredShare(v: unknown, auditJobs: number): boolean {
  return (
    isObject(v) &&
    isCount(v['job']) &&
    v['job'] < auditJobs &&
    typeof v['extranonce1'] === 'string' &&
    typeof v['extranonce2'] === 'string' &&
    typeof v['ntime'] === 'string' &&
    typeof v['nonce'] === 'string' &&
    (v['versionBits'] === null || typeof v['versionBits'] === 'string') &&
    (v['versionMask'] === null || isCount(v['versionMask']))
  );
}

function isJob(v: unknown): boolean {
  return (
    isObject(v) &&
    typeof v['jobId'] === 'string' &&
    typeof v['prevhash'] === 'string' &&
    typeof v['coinb1'] === 'string' &&
    typeof v['coinb2'] === 'string' &&
    Array.isArray(v['merkleBranch']) &&
    v['merkleBranch'].every((h: unknown) => typeof h === 'string') &&
    typeof v['version'] === 'string' &&
    typeof v['nbits'] === 'string' &&
    typeof v['ntime'] === 'string' &&
    typeof v['cleanJobs'] === 'boolean'
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
