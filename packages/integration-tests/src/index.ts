// Public API of the integration harness: the pieces the whole-path tests are built from.
export { startProxyProcess } from './proxy-process';
export type { ProxyProcess, ProxyProcessOptions } from './proxy-process';
export { startPoolSimProcess } from './pool-sim-process';
export type { PoolSimProcess, PoolSimProcessOptions } from './pool-sim-process';
export { startPrometheus } from './prometheus-process';
export { startPostgres } from './postgres-server';
export type { PostgresServer } from './postgres-server';
export type { PrometheusOptions, PrometheusProcess, PrometheusQueryResult } from './prometheus-process';
export { startAlertmanager } from './alertmanager-process';
export type { AlertmanagerOptions, AlertmanagerProcess, PostableAlert } from './alertmanager-process';
export { startAlertWebhook } from './alert-webhook';
export type { AlertWebhook, WebhookAlert, WebhookNotification } from './alert-webhook';
export { startOtlpReceiver, decodeOtlpJsonTraces } from './otlp-receiver';
export type { OtlpReceiver, OtlpValue, ReceivedSpan } from './otlp-receiver';
export { spawnNode, spawnTracked } from './tracked-process';
export type { ExitStatus, SpawnNodeOptions, SpawnTrackedOptions, TrackedProcess } from './tracked-process';
export { scrapeMetrics } from './scrape-metrics';
export { parsePrometheusText, MetricSamples } from './prometheus-text';
export type { MetricSample, LabelFilter } from './prometheus-text';
export { httpRequest, getJson } from './http-get';
export type { HttpResponse } from './http-get';
export { waitFor } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { freePort } from './free-port';
export { RawMiner } from './raw-miner';
export { startTcpTap } from './tcp-tap';
export type { TcpTap, TapSession } from './tcp-tap';
export { bytesDiff } from './bytes-diff';
export {
  SHARE_REJECT_REASONS,
  emptyRejects,
  rejectedTotal,
  proxyWorkerTally,
  proxyClientIds,
  proxyTotals,
  shareTally,
  poolWorkerTallies,
} from './share-accounting';
export type { ShareTally, ProxyWorkerTally, PoolWorkerTally, ShareRejectReason } from './share-accounting';
export { REPO_ROOT, BINS, BUILT_MAINS } from './paths';
export {
  IntegrationError,
  WaitTimeoutError,
  ProcessStartError,
  NotBuiltError,
  HttpError,
  MetricsParseError,
  PrometheusApiError,
} from './errors';
export type { IntegrationErrorCode } from './errors';
export { NO_POOL, PlacementRecorder, minersPerPool, poolOfExtranonce1 } from './pool-placement';
export type { PoolPrefixes } from './pool-placement';
export { within } from './within';
