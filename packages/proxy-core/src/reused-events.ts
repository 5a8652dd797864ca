import type {
  BytesRelayedEvent,
  Direction,
  JsonRpcId,
  StratumNotificationEvent,
  StratumRequestEvent,
  StratumResponseEvent,
} from '@stratum-relay/shared-types';
import { EventExpiredError } from './errors';
import { decodeJsonSlice } from './fast-line';

/*
 * Event objects lent to listeners that subscribed with `borrowsEvents` (ProxyEventBus.subscribe):
 * one of each per observer (per connection and direction), refilled for every line or chunk, so
 * that observing a line allocates no event. Their `params`, `result` and `error` may be byte
 * ranges of the line that are decoded on first read (and only then): a listener that never reads
 * a submit's params never pays for them. Valid during the listener call only; read afterwards,
 * they throw EventExpiredError rather than show the next line's data.
 *
 * A value a listener reads (a params array, a result) is a fresh object it may keep.
 */

/** Lazily decoded member of a lent event: a value, a byte range of a line, or expired. */
class LazyValue {
  private value: unknown = undefined;
  private decoded = false;
  private src: Buffer | null = null;
  private start = 0;
  private end = 0;

  /** The value is `value` (already decoded, or a literal). */
  set(value: unknown): void {
    this.value = value;
    this.decoded = true;
  }

  /** The value is JSON bytes `[start, end)` of `src`, decoded if read. */
  setRange(src: Buffer, start: number, end: number): void {
    this.src = src;
    this.start = start;
    this.end = end;
    this.decoded = false;
  }

  get(): unknown {
    if (this.decoded) return this.value;
    const src = this.src;
    if (src === null) throw new EventExpiredError();
    this.value = decodeJsonSlice(src, this.start, this.end);
    this.decoded = true;
    this.src = null;
    return this.value;
  }

  /** The listener call is over: pin nothing, and make a late read throw. */
  release(): void {
    this.value = undefined;
    this.decoded = false;
    this.src = null;
  }
}

// The lazy members are `#private`: a listener that spreads or enumerates an event sees only the
// event's own data fields, as with a plain event object (and the getters on the prototype).

export class ReusedRequestEvent implements StratumRequestEvent {
  readonly type = 'stratum.request' as const;
  t = 0;
  id: JsonRpcId = null;
  method = '';
  readonly #params = new LazyValue();

  constructor(
    readonly connectionId: number,
    readonly direction: Direction,
  ) {}

  get params(): readonly unknown[] {
    return this.#params.get() as readonly unknown[];
  }

  /** Params decoded already (JSON.parse'd line, or none). */
  setParams(params: readonly unknown[]): void {
    this.#params.set(params);
  }

  /** Params as the JSON bytes `[start, end)` of `src`, decoded if read. */
  setParamsRange(src: Buffer, start: number, end: number): void {
    this.#params.setRange(src, start, end);
  }

  /** The listener calls are over. */
  release(): void {
    this.#params.release();
  }
}

export class ReusedNotificationEvent implements StratumNotificationEvent {
  readonly type = 'stratum.notification' as const;
  t = 0;
  method = '';
  readonly #params = new LazyValue();

  constructor(
    readonly connectionId: number,
    readonly direction: Direction,
  ) {}

  get params(): readonly unknown[] {
    return this.#params.get() as readonly unknown[];
  }

  setParams(params: readonly unknown[]): void {
    this.#params.set(params);
  }

  setParamsRange(src: Buffer, start: number, end: number): void {
    this.#params.setRange(src, start, end);
  }

  release(): void {
    this.#params.release();
  }
}

export class ReusedResponseEvent implements StratumResponseEvent {
  readonly type = 'stratum.response' as const;
  t = 0;
  id: JsonRpcId = null;
  readonly #result = new LazyValue();
  readonly #error = new LazyValue();

  constructor(
    readonly connectionId: number,
    readonly direction: Direction,
  ) {}

  get result(): unknown {
    return this.#result.get();
  }

  get error(): unknown {
    return this.#error.get();
  }

  setResult(result: unknown): void {
    this.#result.set(result);
  }

  setResultRange(src: Buffer, start: number, end: number): void {
    this.#result.setRange(src, start, end);
  }

  setError(error: unknown): void {
    this.#error.set(error);
  }

  setErrorRange(src: Buffer, start: number, end: number): void {
    this.#error.setRange(src, start, end);
  }

  release(): void {
    this.#result.release();
    this.#error.release();
  }
}

/** `bytes` carries only numbers, so reusing it needs no expiry. */
export class ReusedBytesEvent implements BytesRelayedEvent {
  readonly type = 'bytes' as const;
  t = 0;
  bytes = 0;

  constructor(
    readonly connectionId: number,
    readonly direction: Direction,
  ) {}
}
