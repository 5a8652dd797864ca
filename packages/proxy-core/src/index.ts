// Public API of proxy-core. CONTRACT: other packages build against these names.
export { ProxyServer } from './proxy-server';
export type {
  ProxyServerOptions,
  ConnectionSnapshot,
  DrainResult,
  ObserverFactory,
  UpstreamConnector,
} from './proxy-server';
export { ProxyEventBus } from './event-bus';
/** The shared Stratum framing: zero-copy newline splitting with a hard line cap (the relay's observer and both simulators use it). */
export { LineSplitter } from './line-splitter';
export type { LineSink } from './line-splitter';
export { StratumParser } from './stratum-parser';
export type { LineObserver, StratumParserOptions } from './stratum-parser';
export { ProxyCoreError } from './errors';
export type { ProxyCoreErrorCode } from './errors';
