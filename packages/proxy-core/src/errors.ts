export type ProxyCoreErrorCode =
  | 'SRL_ERR_LISTEN'
  | 'SRL_ERR_ADDRESS_IN_USE'
  | 'SRL_ERR_NOT_LISTENING'
  /** adoptConnection: the handed-over state is not one exportConnections produces. */
  | 'SRL_ERR_HANDOVER_STATE'
  /** adoptConnection: a connection with that id is open here already. */
  | 'SRL_ERR_HANDOVER_ID'
  /** A listener that subscribed with `borrowsEvents` read a lent event after its call returned. */
  | 'SRL_ERR_EVENT_EXPIRED';

/** Base error of proxy-core: tests assert on `.code`, never on message text. */
export class ProxyCoreError extends Error {
  readonly code: ProxyCoreErrorCode;
  constructor(code: ProxyCoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyCoreError';
    this.code = code;
  }
}

/** A lent event (reused for the next line, see ProxyEventBus.subscribe) was read after the listener call that received it. */
export class EventExpiredError extends ProxyCoreError {
  constructor(message = 'a lent event was read after its listener call returned: copy what you keep during the call') {
    super('SRL_ERR_EVENT_EXPIRED', message);
    this.name = 'EventExpiredError';
  }
}
