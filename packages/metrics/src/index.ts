// Public API of @stratum-relay/metrics: metric definitions on an injected prom-client Registry.
export { createMetrics } from './stratum-metrics';
export type { StratumMetrics, StratumCounterCells, CreateMetricsOptions, PoolGaugeState } from './stratum-metrics';
export { createClusterMetrics, WORKER_STATES } from './cluster-metrics';
export type { ClusterMetrics, CreateClusterMetricsOptions, WorkerState } from './cluster-metrics';
export { aggregateSnapshots, labelProcessMetrics, RetiredTotals, snapshotRegistry } from './cluster-aggregation';
export type { Aggregator, FamilySnapshot, SampleSnapshot } from './cluster-aggregation';
export { isProcessMetric, registerProcessMetrics } from './process-metrics';
export { CounterCell, CounterCells } from './counter-cell';
export { CellHistogram, HistogramCell } from './cell-histogram';
export type { CellHistogramConfig } from './cell-histogram';
export {
  DIRECTIONS,
  SHARE_REJECT_REASONS,
  SHARE_AUDIT_VERDICTS,
  CLOSE_SIDES,
  CLOSE_REASONS,
  CONNECTION_REJECT_REASONS,
  UPSTREAM_FAILURE_REASONS,
  ACCOUNT_REWRITE_RESULTS,
  TLS_HANDSHAKE_FAILURE_REASONS,
  CONFIG_RELOAD_RESULTS,
  NO_POOL_LABEL,
  RESPONSE_METHOD_LABEL,
  OTHER_METHOD_LABEL,
  METHODS_BY_DIRECTION,
} from './label-values';
export type { DirectionLabel, ShareRejectReason, ShareAuditVerdict } from './label-values';
export { LATENCY_BUCKETS_SECONDS, CONNECTION_DURATION_BUCKETS_SECONDS, SHARE_DIFFICULTY_BUCKETS } from './buckets';
