import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { CONNECTION_DURATION_BUCKETS_SECONDS, LATENCY_BUCKETS_SECONDS, SHARE_DIFFICULTY_BUCKETS } from './buckets';
import { CellHistogram } from './cell-histogram';
import { CounterCells } from './counter-cell';
import { registerProcessMetrics } from './process-metrics';
import type { CounterCell } from './counter-cell';

type ClientLabels = 'client_id' | 'pool_host';

export interface CreateMetricsOptions {
  /** Register prom-client's process metrics (CPU, memory, fds, event-loop lag). Default true. */
  collectDefault?: boolean;
}

/**
 * Hot-path cells of the counters the collector moves per chunk, per message or per share. Resolve
 * a cell once, when its labels are known (a connection's worker, a verdict), and keep it.
 */
export interface StratumCounterCells {
  readonly bytesSent: CounterCells<ClientLabels>;
  readonly bytesReceived: CounterCells<ClientLabels>;
  readonly messages: CounterCells<'direction' | 'method'>;
  readonly submits: CounterCells<ClientLabels>;
  readonly acceptedShares: CounterCells<ClientLabels>;
  readonly rejectedShares: CounterCells<ClientLabels | 'reason'>;
  readonly acceptedDifficulty: CounterCells<ClientLabels>;
  readonly submitTimeouts: CounterCells<ClientLabels>;
  readonly lateAnswers: CounterCells<ClientLabels>;
  readonly submitsLost: CounterCells<ClientLabels>;
  readonly blockCandidates: CounterCells<ClientLabels>;
  readonly jobs: CounterCells<'clean'>;
  readonly shareAudit: CounterCells<'verdict'>;
}

/** What the pool gauges read at scrape time, one entry per configured pool. */
export interface PoolGaugeState {
  readonly name: string;
  readonly priority: number;
  /** null = not probed yet (exported as 0: not known to be up). */
  readonly up: boolean | null;
  readonly miners: number;
  readonly rewrites: { readonly rewritten: number; readonly unsafe: number } | null;
}

/**
 * Every metric stratum-relay exports, registered on the injected registry. Names are a contract
 * with the dashboards (grafana/) and docs/METRICS.md: do not rename.
 *
 * The counters listed in `cells` are written only through their cells (a direct `inc()` on them
 * is replaced at the next scrape); the histograms are CellHistograms, observed through cells.
 *
 * With several worker processes (WORKERS) a primary merges the workers' registries with
 * prom-client's AggregatorRegistry by each metric's `aggregator`: counters and histograms sum,
 * and every gauge states its own (sum for amounts, max for the best share, pool up and
 * difficulty, first for the pool priority).
 */
export interface StratumMetrics {
  readonly registry: Registry;
  readonly connectionsTotal: Counter<'pool_host'>;
  readonly bytesSentTotal: Counter<ClientLabels>;
  readonly bytesReceivedTotal: Counter<ClientLabels>;
  readonly submitsTotal: Counter<ClientLabels>;
  readonly acceptedSharesTotal: Counter<ClientLabels>;
  readonly rejectedSharesTotal: Counter<ClientLabels | 'reason'>;
  readonly acceptedDifficultyTotal: Counter<ClientLabels>;
  readonly submitTimeoutsTotal: Counter<ClientLabels>;
  readonly messagesTotal: Counter<'direction' | 'method'>;
  readonly parseErrorsTotal: Counter<'direction'>;
  readonly oversizedLinesTotal: Counter<'direction'>;
  readonly upstreamConnectFailuresTotal: Counter<'pool_host' | 'reason'>;
  readonly jobsTotal: Counter<'clean'>;
  readonly connectionsRejectedTotal: Counter<'reason'>;
  readonly connectionClosesTotal: Counter<'side' | 'reason'>;
  readonly unmatchedResponsesTotal: Counter<'direction'>;
  readonly blockCandidatesTotal: Counter<ClientLabels>;
  readonly shareAuditTotal: Counter<'verdict'>;
  readonly activeConnections: Gauge<'pool_host'>;
  readonly currentDifficulty: Gauge<ClientLabels>;
  readonly poolUp: Gauge<'pool_host'>;
  readonly pendingRequests: Gauge;
  readonly bestShareDifficulty: Gauge<ClientLabels>;
  /** The configured connection limit (alerts compare stratum_active_connections with it). */
  readonly maxConnections: Gauge;
  /** 1 once a worker name found MAX_CLIENT_IDS taken and was counted under client_id="other". */
  readonly clientIdsCapped: Gauge;
  readonly poolPriority: Gauge<'pool_host'>;
  readonly poolMiners: Gauge<'pool_host'>;
  readonly poolFailoversTotal: Counter<'pool_host'>;
  readonly poolDisconnectsTotal: Counter<'pool_host'>;
  readonly failbacksTotal: Counter;
  readonly lateAnswersTotal: Counter<ClientLabels>;
  readonly submitsLostTotal: Counter<ClientLabels>;
  readonly accountRewritesTotal: Counter<'pool_host' | 'result'>;
  readonly tlsHandshakeFailuresTotal: Counter<'reason'>;
  readonly configReloadsTotal: Counter<'result'>;
  readonly poolProbeSeconds: CellHistogram<'pool_host'>;
  readonly poolProbeFailuresTotal: Counter<'pool_host' | 'reason'>;
  readonly connectionDurationSeconds: CellHistogram<'pool_host'>;
  readonly connectLatencySeconds: CellHistogram<'pool_host'>;
  readonly requestResponseSeconds: CellHistogram<'method'>;
  readonly shareDifficulty: CellHistogram;
  readonly cells: StratumCounterCells;

  /** Hot-path cell of stratum_bytes_sent_total (miner→pool) for one client_id/pool_host. */
  bytesSentCell(clientId: string, poolHost: string): CounterCell;
  /** Hot-path cell of stratum_bytes_received_total (pool→miner) for one client_id/pool_host. */
  bytesReceivedCell(clientId: string, poolHost: string): CounterCell;
  /** Hot-path cell of stratum_messages_total for one direction/method label pair. */
  messagesCell(direction: string, method: string): CounterCell;
  /** stratum_pending_requests is read from live state at scrape time through this function. */
  setPendingRequestsProvider(provider: (() => number) | null): void;
  /**
   * stratum_pool_up, stratum_pool_priority, stratum_pool_miners and
   * stratum_account_rewrites_total are read from the pool list at scrape time: every configured
   * pool has its series from the first scrape, whether or not a miner ever used it.
   */
  setPoolStateProvider(provider: (() => readonly PoolGaugeState[]) | null): void;
  /** stratum_active_connections{pool_host} from live state at scrape time. */
  setActiveConnectionsProvider(provider: (() => ReadonlyMap<string, number>) | null): void;
  /**
   * SHARE_AUDIT=rejected|sample: registers stratum_share_audit_sampled_total{verdict} (the
   * verdicts of the shares in the audit's sample) and stratum_share_audit_sample_ratio (set to
   * `ratio`, the fraction of all shares sampled), and returns the sampled counter's cells. Both
   * families exist only in a sampling mode: under all and off the exposition is what it was
   * before the modes, and a dashboard finds no sample it could mistake for a count. Calling it
   * again returns the same cells and sets the ratio anew.
   */
  enableShareAuditSample(ratio: number): CounterCells<'verdict'>;
}

/**
 * Creates every stratum-relay metric on `registry` (never prom-client's global registry, so
 * several proxies or tests can live in one process).
 */
export function createMetrics(registry: Registry, opts: CreateMetricsOptions = {}): StratumMetrics {
  const registers = [registry];
  const clientLabels: ClientLabels[] = ['client_id', 'pool_host'];

  // Cells are created lazily by the collector; each counter is rebuilt from its cells when
  // scraped. (The closures only run after the counters below exist.)
  const cells: StratumCounterCells = {
    bytesSent: new CounterCells<ClientLabels>(() => bytesSentTotal, clientLabels),
    bytesReceived: new CounterCells<ClientLabels>(() => bytesReceivedTotal, clientLabels),
    messages: new CounterCells<'direction' | 'method'>(() => messagesTotal, ['direction', 'method']),
    submits: new CounterCells<ClientLabels>(() => metrics.submitsTotal, clientLabels),
    acceptedShares: new CounterCells<ClientLabels>(() => metrics.acceptedSharesTotal, clientLabels),
    rejectedShares: new CounterCells<ClientLabels | 'reason'>(() => metrics.rejectedSharesTotal, ['client_id', 'pool_host', 'reason']),
    acceptedDifficulty: new CounterCells<ClientLabels>(() => metrics.acceptedDifficultyTotal, clientLabels),
    submitTimeouts: new CounterCells<ClientLabels>(() => metrics.submitTimeoutsTotal, clientLabels),
    lateAnswers: new CounterCells<ClientLabels>(() => metrics.lateAnswersTotal, clientLabels),
    submitsLost: new CounterCells<ClientLabels>(() => metrics.submitsLostTotal, clientLabels),
    blockCandidates: new CounterCells<ClientLabels>(() => metrics.blockCandidatesTotal, clientLabels),
    jobs: new CounterCells<'clean'>(() => metrics.jobsTotal, ['clean']),
    shareAudit: new CounterCells<'verdict'>(() => metrics.shareAuditTotal, ['verdict']),
  };
  let pendingProvider: (() => number) | null = null;
  let poolProvider: (() => readonly PoolGaugeState[]) | null = null;
  let activeProvider: (() => ReadonlyMap<string, number>) | null = null;
  const pools = (): readonly PoolGaugeState[] => (poolProvider === null ? [] : poolProvider());

  const bytesSentTotal = new Counter<ClientLabels>({
    name: 'stratum_bytes_sent_total',
    help: 'Bytes relayed from miners to the pool (what miners sent), per worker. Bytes before mining.authorize count under client_id="unknown".',
    labelNames: clientLabels,
    registers,
    collect() {
      cells.bytesSent.publish();
    },
  });
  const bytesReceivedTotal = new Counter<ClientLabels>({
    name: 'stratum_bytes_received_total',
    help: 'Bytes relayed from the pool to miners (what miners received), per worker. Bytes before mining.authorize count under client_id="unknown".',
    labelNames: clientLabels,
    registers,
    collect() {
      cells.bytesReceived.publish();
    },
  });
  const messagesTotal = new Counter<'direction' | 'method'>({
    name: 'stratum_messages_total',
    help: 'Stratum JSON-RPC messages observed, by direction and method ("response" for answers, "other" for unknown methods).',
    labelNames: ['direction', 'method'],
    registers,
    collect() {
      cells.messages.publish();
    },
  });

  // Created by enableShareAuditSample only (a sampling SHARE_AUDIT mode).
  let sampleRatio: Gauge | null = null;
  let sampledCells: CounterCells<'verdict'> | null = null;

  const metrics: StratumMetrics = {
    registry,
    connectionsTotal: new Counter({
      name: 'stratum_connections_total',
      help: 'Miner connections accepted by the proxy since start.',
      labelNames: ['pool_host'],
      registers,
    }),
    bytesSentTotal,
    bytesReceivedTotal,
    submitsTotal: new Counter({
      name: 'stratum_submits_total',
      help: 'Shares submitted by miners (mining.submit), per worker.',
      labelNames: clientLabels,
      registers,
      collect() {
        cells.submits.publish();
      },
    }),
    acceptedSharesTotal: new Counter({
      name: 'stratum_accepted_shares_total',
      help: 'Shares the pool accepted (result true, no error), per worker.',
      labelNames: clientLabels,
      registers,
      collect() {
        cells.acceptedShares.publish();
      },
    }),
    rejectedSharesTotal: new Counter({
      name: 'stratum_rejected_shares_total',
      help: 'Shares the pool rejected, per worker and reason (stale, duplicate, low_difficulty, unauthorized, not_subscribed, other).',
      labelNames: ['client_id', 'pool_host', 'reason'],
      registers,
      collect() {
        cells.rejectedShares.publish();
      },
    }),
    acceptedDifficultyTotal: new Counter({
      name: 'stratum_accepted_difficulty_total',
      help: 'Sum of the share difficulty in force for each accepted share, per worker; hashrate in H/s = rate(this) * 2^32.',
      labelNames: clientLabels,
      registers,
      collect() {
        cells.acceptedDifficulty.publish();
      },
    }),
    submitTimeoutsTotal: new Counter({
      name: 'stratum_submit_timeouts_total',
      help: 'Shares the pool never answered within the submit timeout (or dropped because too many requests were pending), per worker.',
      labelNames: clientLabels,
      registers,
      collect() {
        cells.submitTimeouts.publish();
      },
    }),
    messagesTotal,
    parseErrorsTotal: new Counter({
      name: 'stratum_parse_errors_total',
      help: 'Lines that were not valid JSON or not Stratum messages (still relayed untouched), by direction.',
      labelNames: ['direction'],
      registers,
    }),
    oversizedLinesTotal: new Counter({
      name: 'stratum_oversized_lines_total',
      help: 'Lines longer than the max line size that were relayed but not inspected, by direction.',
      labelNames: ['direction'],
      registers,
    }),
    upstreamConnectFailuresTotal: new Counter({
      name: 'stratum_upstream_connect_failures_total',
      help: 'Failed attempts to open a TCP connection to the pool, by reason (refused, timeout, unreachable, dns, reset, error).',
      labelNames: ['pool_host', 'reason'],
      registers,
    }),
    jobsTotal: new Counter({
      name: 'stratum_jobs_total',
      help: 'Jobs (mining.notify) sent by the pool, by whether they asked miners to drop older jobs (clean).',
      labelNames: ['clean'],
      registers,
      collect() {
        cells.jobs.publish();
      },
    }),
    connectionsRejectedTotal: new Counter({
      name: 'stratum_connections_rejected_total',
      help: 'Miner connections refused before any pool socket, one reason per rule (max_connections, draining, not_allowed, per_ip, rate, proxy_protocol, first_byte_timeout, authorize_timeout, tls_handshake).',
      labelNames: ['reason'],
      registers,
    }),
    connectionClosesTotal: new Counter({
      name: 'stratum_connection_closes_total',
      help: 'Connections that ended, by which side ended them (miner, pool, proxy) and why (end, reset, idle_timeout, upstream_failed, drain, limit, failback).',
      labelNames: ['side', 'reason'],
      registers,
    }),
    unmatchedResponsesTotal: new Counter({
      name: 'stratum_unmatched_responses_total',
      help: 'Responses whose id matches no pending request (late answers after a timeout, or a confused peer), by direction.',
      labelNames: ['direction'],
      registers,
    }),
    blockCandidatesTotal: new Counter({
      name: 'stratum_block_candidates_total',
      help: 'Submitted shares whose hash meets the network target (possible blocks), per worker. Needs the share audit.',
      labelNames: clientLabels,
      registers,
      collect() {
        cells.blockCandidates.publish();
      },
    }),
    shareAuditTotal: new Counter({
      name: 'stratum_share_audit_total',
      help: "Answered shares checked by the proxy's own hash: valid/invalid against the difficulty in force, crossed with the pool's accept/reject; unknown_job when the job was not seen.",
      labelNames: ['verdict'],
      registers,
      collect() {
        cells.shareAudit.publish();
      },
    }),
    activeConnections: new Gauge({
      name: 'stratum_active_connections',
      help: 'Miner connections open right now, by the pool each is relayed to (pool_host="none" while it has none yet).',
      labelNames: ['pool_host'],
      // Several workers (WORKERS): each holds its own miners, the relay holds them all.
      aggregator: 'sum',
      registers,
      collect() {
        if (activeProvider === null) return;
        this.reset();
        for (const [pool, n] of activeProvider()) this.set({ pool_host: pool }, n);
      },
    }),
    currentDifficulty: new Gauge({
      name: 'stratum_current_difficulty',
      help: 'Share difficulty of the most recent mining.set_difficulty sent to this worker.',
      labelNames: clientLabels,
      // One name on several workers (rigs sharing it, or a miner that reconnected elsewhere and
      // left its last value behind): the highest in force, whatever order the workers answer in.
      aggregator: 'max',
      registers,
    }),
    poolUp: new Gauge({
      name: 'stratum_pool_up',
      help: "Whether the pool is up (1) or down (0), from background Stratum probes and miners' connects; 0 until the first probe answered.",
      labelNames: ['pool_host'],
      // Up when any worker reaches it: each worker probes on its own, and a new miner may land on any of them.
      aggregator: 'max',
      registers,
      collect() {
        if (poolProvider === null) return;
        this.reset();
        for (const p of pools()) this.set({ pool_host: p.name }, p.up === true ? 1 : 0);
      },
    }),
    poolPriority: new Gauge({
      name: 'stratum_pool_priority',
      help: 'Position of the pool in the configured list: 0 = primary, 1, 2, … = backups.',
      labelNames: ['pool_host'],
      // The same config in every worker: a position, not an amount.
      aggregator: 'first',
      registers,
      collect() {
        this.reset();
        for (const p of pools()) this.set({ pool_host: p.name }, p.priority);
      },
    }),
    poolMiners: new Gauge({
      name: 'stratum_pool_miners',
      help: 'Miner connections relayed to the pool right now.',
      labelNames: ['pool_host'],
      // Each worker relays its own miners to the pool.
      aggregator: 'sum',
      registers,
      collect() {
        this.reset();
        for (const p of pools()) this.set({ pool_host: p.name }, p.miners);
      },
    }),
    poolFailoversTotal: new Counter({
      name: 'stratum_pool_failovers_total',
      help: 'Miner connections that went on to the next pool because this one failed before answering.',
      labelNames: ['pool_host'],
      registers,
    }),
    poolDisconnectsTotal: new Counter({
      name: 'stratum_pool_disconnects_total',
      help: 'Established miner sessions the pool ended (its FIN or a reset); each closes its miner, who reconnects to a pool that is up.',
      labelNames: ['pool_host'],
      registers,
    }),
    failbacksTotal: new Counter({
      name: 'stratum_failbacks_total',
      help: 'Miners closed so they reconnect to a higher-priority pool that is up again (failback).',
      registers,
    }),
    lateAnswersTotal: new Counter<ClientLabels>({
      name: 'stratum_late_answers_total',
      help: 'Submit answers that arrived after SUBMIT_TIMEOUT_MS (also counted as accepted or rejected as the pool said).',
      labelNames: clientLabels,
      registers,
      collect() {
        cells.lateAnswers.publish();
      },
    }),
    submitsLostTotal: new Counter<ClientLabels>({
      name: 'stratum_submits_lost_total',
      help: 'Submits never answered: the connection closed before the pool answered.',
      labelNames: clientLabels,
      registers,
      collect() {
        cells.submitsLost.publish();
      },
    }),
    accountRewritesTotal: new Counter({
      name: 'stratum_account_rewrites_total',
      help: 'Lines of the opt-in per-pool account rewrite: rewritten, or unsafe (relayed unchanged).',
      labelNames: ['pool_host', 'result'],
      registers,
      collect() {
        // Rebuilt from the pool list's running totals at each scrape (they never decrease).
        this.reset();
        for (const p of pools()) {
          if (p.rewrites === null) continue;
          this.inc({ pool_host: p.name, result: 'rewritten' }, p.rewrites.rewritten);
          this.inc({ pool_host: p.name, result: 'unsafe' }, p.rewrites.unsafe);
        }
      },
    }),
    tlsHandshakeFailuresTotal: new Counter({
      name: 'stratum_tls_handshake_failures_total',
      help: 'Miner TLS handshakes that failed (they never reach a pool).',
      labelNames: ['reason'],
      registers,
    }),
    configReloadsTotal: new Counter({
      name: 'stratum_config_reloads_total',
      help: 'Config reloads on SIGHUP: success (applied to new connections) or failure (rejected, the running config stays).',
      labelNames: ['result'],
      registers,
    }),
    poolProbeFailuresTotal: new Counter({
      name: 'stratum_pool_probe_failures_total',
      help: 'Background health probes that failed, by pool and why (refused, timeout, no_answer, dns, tls, …): the reason a pool is down even when no miner tried it.',
      labelNames: ['pool_host', 'reason'],
      registers,
    }),
    poolProbeSeconds: new CellHistogram({
      name: 'stratum_pool_probe_seconds',
      help: 'Duration of successful pool health probes: connect, mining.subscribe, answer.',
      labelNames: ['pool_host'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    pendingRequests: new Gauge({
      name: 'stratum_pending_requests',
      help: 'Requests (both directions) waiting for an answer right now.',
      // Each worker waits for its own answers.
      aggregator: 'sum',
      registers,
      collect() {
        this.set(pendingProvider === null ? 0 : pendingProvider());
      },
    }),
    bestShareDifficulty: new Gauge({
      name: 'stratum_best_share_difficulty',
      help: 'Highest real difficulty of any share this worker submitted since the proxy started (share audit).',
      labelNames: clientLabels,
      // The best share of the relay is the best of its workers.
      aggregator: 'max',
      registers,
    }),
    clientIdsCapped: new Gauge({
      name: 'stratum_client_ids_capped',
      help: 'MAX_CLIENT_IDS reached: 1 once a worker name found every client_id label taken and was counted under client_id="other" (per process; raise MAX_CLIENT_IDS, see docs/METRICS.md).',
      // Any process capped means some workers are lumped together.
      aggregator: 'max',
      registers,
    }),
    maxConnections: new Gauge({
      name: 'stratum_max_connections',
      help: 'Configured maximum of simultaneous miner connections (maxConnections); past it new miners are refused.',
      // MAX_CONNECTIONS holds per worker: the relay takes that many per worker.
      aggregator: 'sum',
      registers,
    }),
    connectionDurationSeconds: new CellHistogram({
      name: 'stratum_connection_duration_seconds',
      help: 'How long miner connections lasted, observed when they close.',
      labelNames: ['pool_host'],
      buckets: [...CONNECTION_DURATION_BUCKETS_SECONDS],
      registers,
    }),
    connectLatencySeconds: new CellHistogram({
      name: 'stratum_connect_latency_seconds',
      help: 'Time to open the TCP connection to the pool (successful attempts).',
      labelNames: ['pool_host'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    requestResponseSeconds: new CellHistogram({
      name: 'stratum_request_response_seconds',
      help: "Time from a miner's request to the pool's answer, by request method (mining.submit = share latency).",
      labelNames: ['method'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    shareDifficulty: new CellHistogram({
      name: 'stratum_share_difficulty',
      help: 'Real difficulty of each submitted share, computed by the proxy from the share hash (share audit).',
      buckets: [...SHARE_DIFFICULTY_BUCKETS],
      registers,
    }),

    cells,

    bytesSentCell(clientId, poolHost) {
      return cells.bytesSent.cell({ client_id: clientId, pool_host: poolHost });
    },
    bytesReceivedCell(clientId, poolHost) {
      return cells.bytesReceived.cell({ client_id: clientId, pool_host: poolHost });
    },
    messagesCell(direction, method) {
      return cells.messages.cell({ direction, method });
    },
    setPendingRequestsProvider(provider) {
      pendingProvider = provider;
    },
    setPoolStateProvider(provider) {
      poolProvider = provider;
    },
    setActiveConnectionsProvider(provider) {
      activeProvider = provider;
    },
    enableShareAuditSample(ratio) {
      if (sampleRatio === null) {
        sampleRatio = new Gauge({
          name: 'stratum_share_audit_sample_ratio',
          help: 'Fraction of submitted shares in the share audit\'s sample (SHARE_AUDIT=rejected or sample:<fraction>): divide stratum_share_audit_sampled_total by it to estimate counts. Absent under all and off.',
          // Every worker runs the same configuration.
          aggregator: 'max',
          registers,
        });
        const sampledTotal = new Counter<'verdict'>({
          name: 'stratum_share_audit_sampled_total',
          help: "Answered shares in the share audit's sample, by verdict as in stratum_share_audit_total: a sample of stratum_share_audit_sample_ratio of all shares, an estimate once divided by it, never a count. Absent under all and off.",
          labelNames: ['verdict'],
          registers,
          collect() {
            sampledCells?.publish();
          },
        });
        sampledCells = new CounterCells<'verdict'>(() => sampledTotal, ['verdict']);
      }
      sampleRatio.set(ratio);
      return sampledCells as CounterCells<'verdict'>;
    },
  };

  if (opts.collectDefault ?? true) registerProcessMetrics(registry);
  return metrics;
}
