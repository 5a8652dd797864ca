export { STRATUM_METHODS, STRATUM_ERROR_CODES, isKnownMethod } from './stratum';
export type {
  JsonRpcId,
  StratumMethod,
  StratumErrorCode,
  StratumErrorValue,
  StratumRequest,
  StratumNotification,
  StratumResponse,
  StratumMessage,
  SubmitParams,
  NotifyParams,
} from './stratum';
export type {
  Direction,
  CloseSide,
  CloseReason,
  RejectReason,
  UpstreamFailureReason,
  ParseErrorReason,
  ConnectionOpenedEvent,
  ConnectionRejectedEvent,
  UpstreamConnectedEvent,
  UpstreamConnectFailedEvent,
  BytesRelayedEvent,
  StratumRequestEvent,
  StratumResponseEvent,
  StratumNotificationEvent,
  ParseErrorEvent,
  OversizedLineEvent,
  ConnectionClosedEvent,
  ProxyEvent,
  ProxyEventType,
  ProxyEventOf,
  ProxyEventListener,
} from './events';
export type { ConnectionLabels } from './labels';
export type { PoolSpec, PoolScheme } from './pool';
