// Public API of proxy-core. CONTRACT: other packages build against these names.
export { ProxyServer } from './proxy-server';
export type {
  ProxyServerOptions,
  ConnectionSnapshot,
  DrainResult,
  DrainOptions,
  ObserverFactory,
  UpstreamConnector,
} from './proxy-server';
export type { ReconnectTarget, DrainReconnectCounts } from './drain/drain-reconnect';
export { CONNECTION_EXPORT_VERSION } from './handover/connection-export';
export type {
  ConnectionExport,
  ConnectionHandover,
  KeptConnection,
  HandoverOptions,
  HandoverRefusal,
  HandoverResult,
  LineStateExport,
  AccountRewriteExport,
} from './handover/connection-export';
/** Handing connections between processes: stop a socket received over IPC from reading before it is relayed. */
export { holdReceivedSocket } from './handover/socket-reading';
export type { Unread } from './handover/socket-reading';
export { ProxyEventBus } from './event-bus';
export { UpstreamPools, UpstreamPool } from './upstream/upstream-pools';
export type { PoolState, AccountRewriteCounts } from './upstream/upstream-pools';
export { dialPool } from './upstream/pool-dialer';
export type { PoolDialer, PoolTlsOptions, DialedSocket } from './upstream/pool-dialer';
export { upstreamFailureReason } from './upstream/failure-reason';
export { OPEN_ADMISSION } from './admission/admission-gate';
export type { AdmissionSettings } from './admission/admission-gate';
export { RateLimitedLog } from './admission/log-limiter';
export type { RateLimitedLogOptions, SuppressedSummary } from './admission/log-limiter';
/** The Stratum framing the observer uses, re-exported from stratum-wire where it lives (zero-copy newline splitting with a hard line cap). */
export { LineSplitter } from '@stratum-relay/stratum-wire';
export type { LineSink, LineSplitterState } from '@stratum-relay/stratum-wire';
export { StratumParser } from './stratum-parser';
export type { LineObserver, LineTap, StratumParserOptions } from './stratum-parser';
export { ProxyCoreError } from './errors';
export type { ProxyCoreErrorCode } from './errors';
