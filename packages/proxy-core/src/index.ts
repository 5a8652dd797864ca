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
export { StratumParser } from './stratum-parser';
export type { LineObserver, StratumParserOptions } from './stratum-parser';
export { ProxyCoreError } from './errors';
export type { ProxyCoreErrorCode } from './errors';
