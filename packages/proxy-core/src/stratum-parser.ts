import { performance } from 'node:perf_hooks';
import type { Direction } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from './event-bus';
import { LineSplitter, type LineSink, type LineSplitterState } from '@stratum-relay/stratum-wire';
import { FastKind, FastLine, decodeError, decodeParams, decodeResult, scanLine } from './fast-line';
import { ReusedNotificationEvent, ReusedRequestEvent, ReusedResponseEvent } from './reused-events';
import { EMPTY_PARAMS, classifyStratumMessage, createClassifiedMessage, type ClassifiedMessage } from './stratum-message';

/** The one small interface every parser implementation sits behind. */
export interface LineObserver {
  /**
   * Observe a chunk that has already been relayed. Never throws. `t` is when it arrived
   * (performance.now()) if the caller took the time already; the lines in it are stamped with it.
   */
  push(chunk: Buffer, t?: number): void;
  /** The stream ended: a final line without newline is observed too. */
  end(): void;
  /**
   * Handover: the unfinished line this observer holds, so that an observer of the same stream in
   * another process continues it (a line cut by the handover is then parsed once, there).
   * Observers without it start the next process at a line boundary they do not know.
   */
  exportState?(): LineSplitterState;
  /** Handover: continue from {@link exportState} of the observer this one replaces. May throw on a state it cannot hold. */
  importState?(state: LineSplitterState): void;
}

export interface StratumParserOptions {
  connectionId: number;
  direction: Direction;
  /** Longest line (bytes, without its `\n` / `\r\n`) that is decoded; longer ones are skipped and reported. */
  maxLineBytes: number;
  bus: ProxyEventBus;
  /**
   * Classify the canonical lines (submits, plain answers, notifies) straight from their bytes
   * (fast-line.ts) and decode only the rest with JSON.parse. Default true; the events are the same
   * either way (stratum-parser.fast-path.test.ts).
   */
  fastPath?: boolean;
  /** Sees every line before it is classified (a message trace); absent = no cost but one check per line. */
  lineTap?: LineTap;
}

/**
 * Sees the raw bytes of every complete line of every connection, after the chunk was relayed and
 * before the line is classified: lines that fail to parse too, and a marker for an oversized line
 * (its bytes were never held). `buf` is lent until the next `chunkEnd()`, which follows every
 * chunk's lines (and a line that spanned chunks at once, its buffer is the splitter's): copy what
 * you keep by then, so a tap can copy only what it keeps of a whole chunk, at once. `t` is the
 * chunk's arrival time (performance.now()). Must not throw; whatever it throws is swallowed, never
 * seen by the relay.
 */
export interface LineTap {
  line(connectionId: number, direction: Direction, buf: Buffer, start: number, end: number, t: number): void;
  oversized(connectionId: number, direction: Direction, bytes: number, t: number): void;
  chunkEnd(): void;
}

/** What {@link StratumParser.decode} returns for a line that is not JSON. */
export const INVALID_JSON: unique symbol = Symbol('invalid_json');

/**
 * Streaming observer of one direction of one connection: frames newline-delimited Stratum with a
 * {@link LineSplitter}, classifies each line, and emits `stratum.request` / `stratum.response` /
 * `stratum.notification` / `parse.error` / `line.oversized`.
 *
 * Classifying: the canonical shapes that make up almost all traffic are recognised from the bytes
 * by {@link scanLine} without decoding anything; every other line is decoded with `JSON.parse` and
 * classified by {@link classifyStratumMessage}. While the bus lends events (every listener
 * borrows), each line refills one reused event object whose params, result and error are decoded
 * only if a listener reads them; otherwise each event is a fresh object with decoded values. All
 * lines of a chunk carry the chunk's arrival time.
 *
 * It only observes: the relay has already forwarded every chunk, so nothing here may throw or
 * await. Any unexpected exception is caught, reported as a `parse.error`, and the splitter
 * resynchronises on the next newline.
 *
 * `JSON.parse` of each complete line was measured faster than the streaming `jsonparse` decoder
 * (~2.4x, docs/BENCHMARKS.md `## Parser`); `JsonparseStratumParser` (jsonparse-parser.ts) stays for the benchmark.
 */
export class StratumParser implements LineObserver, LineSink {
  protected readonly connectionId: number;
  protected readonly direction: Direction;
  protected readonly maxLineBytes: number;
  protected readonly bus: ProxyEventBus;
  private readonly splitter: LineSplitter;
  /** Reused for every line: classification allocates nothing. */
  private readonly message: ClassifiedMessage = createClassifiedMessage();
  private readonly fastPath: boolean;
  /** Reused for every line the fast path recognises. */
  private readonly fast = new FastLine();
  /** Lent to borrowing listeners, one per kind (created on first use). */
  private requestEvent: ReusedRequestEvent | null = null;
  private notificationEvent: ReusedNotificationEvent | null = null;
  private responseEvent: ReusedResponseEvent | null = null;
  /** A lent event is out: a line observed meanwhile (a listener fed this parser) gets fresh objects. */
  private lending = false;
  /** Arrival time of the chunk being split; -1 = not taken yet. */
  private chunkT = -1;
  private unexpectedErrors = 0;
  /** Decided once: null unless a trace listens. */
  private readonly tap: LineTap | null;
  /** The chunk being split, while a tap is set: a line outside it (the splitter's) is lent only for its call. */
  private tapChunk: Buffer | null = null;

  constructor(options: StratumParserOptions) {
    this.connectionId = options.connectionId;
    this.direction = options.direction;
    this.maxLineBytes = options.maxLineBytes;
    this.bus = options.bus;
    this.fastPath = options.fastPath ?? true;
    this.tap = options.lineTap ?? null;
    this.splitter = new LineSplitter(options.maxLineBytes, this);
  }

  /** Bytes held for an unfinished line (bounded by `maxLineBytes + 1`). */
  get bufferedBytes(): number {
    return this.splitter.bufferedBytes;
  }

  /** Exceptions caught inside the observer (each also reported as a `parse.error`). */
  get internalErrors(): number {
    return this.unexpectedErrors;
  }

  push(chunk: Buffer, t?: number): void {
    this.chunkT = t ?? -1;
    if (this.tap !== null) this.tapChunk = chunk;
    try {
      this.splitter.push(chunk);
    } catch {
      this.recover(Buffer.isBuffer(chunk) ? chunk.length : 0);
    }
    this.chunkT = -1;
    if (this.tap !== null) this.tapChunkEnd();
  }

  end(): void {
    this.chunkT = -1;
    try {
      this.splitter.end();
    } catch {
      this.recover(0);
    }
    if (this.tap !== null) this.tapChunkEnd();
  }

  exportState(): LineSplitterState {
    return this.splitter.exportState();
  }

  importState(state: LineSplitterState): void {
    this.splitter.importState(state);
  }

  /** @internal LineSink callback: one complete, non-blank line within the cap. */
  onLine(buf: Buffer, start: number, end: number): void {
    // HOT PATH: without a trace this is the one added check per line.
    if (this.tap !== null) this.tapLine(buf, start, end);
    // Nobody listens: skip decoding entirely; the splitter state stays consistent regardless.
    if (!this.bus.hasListeners) return;
    // HOT PATH: most lines end here, classified from their bytes with nothing allocated.
    if (this.fastPath && scanLine(buf, start, end, this.fast)) {
      if (this.bus.lendsEvents === true && !this.lending) this.lendFast(buf);
      else this.emitFast(buf);
      return;
    }
    const value = this.decode(buf, start, end);
    if (value === INVALID_JSON) {
      this.emitParseError('invalid_json', end - start);
      return;
    }
    const m = this.message;
    const kind = classifyStratumMessage(value, m);
    if (kind === 'not_stratum') this.emitParseError('not_stratum', end - start);
    else if (this.bus.lendsEvents === true && !this.lending) this.lendDecoded(kind);
    else this.emitDecoded(kind);
    // Do not pin the last message's objects until the next line arrives.
    m.params = EMPTY_PARAMS;
    m.result = undefined;
    m.error = undefined;
  }

  private tapLine(buf: Buffer, start: number, end: number): void {
    try {
      (this.tap as LineTap).line(this.connectionId, this.direction, buf, start, end, this.now());
      // The splitter's buffer may be reused before the chunk ends: the tap copies that line now.
      if (buf !== this.tapChunk) (this.tap as LineTap).chunkEnd();
    } catch {
      // A trace is an observer of the observer: its failure must not cost a line its events.
      this.unexpectedErrors++;
    }
  }

  private tapChunkEnd(): void {
    this.tapChunk = null;
    try {
      (this.tap as LineTap).chunkEnd();
    } catch {
      this.unexpectedErrors++;
    }
  }

  /** One timestamp per chunk: its lines arrived together (and the clock costs more than a line). */
  private now(): number {
    let t = this.chunkT;
    if (t < 0) t = this.chunkT = performance.now();
    return t;
  }

  /** A fast-path line to listeners that keep events: fresh objects with decoded values. */
  private emitFast(buf: Buffer): void {
    const f = this.fast;
    const connectionId = this.connectionId;
    const direction = this.direction;
    const t = this.now();
    switch (f.kind) {
      case FastKind.Request:
        this.bus.emit({ type: 'stratum.request', connectionId, t, direction, id: f.id, method: f.method, params: decodeParams(buf, f) });
        break;
      case FastKind.Notification:
        this.bus.emit({ type: 'stratum.notification', connectionId, t, direction, method: f.method, params: decodeParams(buf, f) });
        break;
      case FastKind.Response:
        this.bus.emit({ type: 'stratum.response', connectionId, t, direction, id: f.id, result: decodeResult(buf, f), error: decodeError(buf, f) });
        break;
    }
  }

  /** HOT PATH: a fast-path line to borrowing listeners: a reused event, params decoded only if read. */
  private lendFast(buf: Buffer): void {
    const f = this.fast;
    const t = this.now();
    this.lending = true;
    try {
      switch (f.kind) {
        case FastKind.Request: {
          const e = (this.requestEvent ??= new ReusedRequestEvent(this.connectionId, this.direction));
          e.t = t;
          e.id = f.id;
          e.method = f.method;
          if (f.paramsStart < 0) e.setParams(EMPTY_PARAMS);
          else e.setParamsRange(buf, f.paramsStart, f.paramsEnd);
          this.bus.emit(e);
          e.release();
          break;
        }
        case FastKind.Notification: {
          const e = (this.notificationEvent ??= new ReusedNotificationEvent(this.connectionId, this.direction));
          e.t = t;
          e.method = f.method;
          if (f.paramsStart < 0) e.setParams(EMPTY_PARAMS);
          else e.setParamsRange(buf, f.paramsStart, f.paramsEnd);
          this.bus.emit(e);
          e.release();
          break;
        }
        case FastKind.Response: {
          const e = (this.responseEvent ??= new ReusedResponseEvent(this.connectionId, this.direction));
          e.t = t;
          e.id = f.id;
          if (f.resultStart < 0) e.setResult(f.result);
          else e.setResultRange(buf, f.resultStart, f.resultEnd);
          if (f.errorStart < 0) e.setError(f.error);
          else e.setErrorRange(buf, f.errorStart, f.errorEnd);
          this.bus.emit(e);
          e.release();
          break;
        }
      }
    } finally {
      this.lending = false;
    }
  }

  /** A JSON.parse'd line to listeners that keep events. */
  private emitDecoded(kind: 'request' | 'notification' | 'response'): void {
    const m = this.message;
    const connectionId = this.connectionId;
    const direction = this.direction;
    const t = this.now();
    switch (kind) {
      case 'request':
        this.bus.emit({ type: 'stratum.request', connectionId, t, direction, id: m.id, method: m.method, params: m.params });
        break;
      case 'notification':
        this.bus.emit({ type: 'stratum.notification', connectionId, t, direction, method: m.method, params: m.params });
        break;
      case 'response':
        this.bus.emit({ type: 'stratum.response', connectionId, t, direction, id: m.id, result: m.result, error: m.error });
        break;
    }
  }

  /** A JSON.parse'd line to borrowing listeners: the same reused events, values already decoded. */
  private lendDecoded(kind: 'request' | 'notification' | 'response'): void {
    const m = this.message;
    const t = this.now();
    this.lending = true;
    try {
      switch (kind) {
        case 'request': {
          const e = (this.requestEvent ??= new ReusedRequestEvent(this.connectionId, this.direction));
          e.t = t;
          e.id = m.id;
          e.method = m.method;
          e.setParams(m.params);
          this.bus.emit(e);
          e.release();
          break;
        }
        case 'notification': {
          const e = (this.notificationEvent ??= new ReusedNotificationEvent(this.connectionId, this.direction));
          e.t = t;
          e.method = m.method;
          e.setParams(m.params);
          this.bus.emit(e);
          e.release();
          break;
        }
        case 'response': {
          const e = (this.responseEvent ??= new ReusedResponseEvent(this.connectionId, this.direction));
          e.t = t;
          e.id = m.id;
          e.setResult(m.result);
          e.setError(m.error);
          this.bus.emit(e);
          e.release();
          break;
        }
      }
    } finally {
      this.lending = false;
    }
  }

  /** @internal LineSink callback. */
  onOversized(bytes: number): void {
    if (this.tap !== null) {
      try {
        this.tap.oversized(this.connectionId, this.direction, bytes, this.now());
      } catch {
        this.unexpectedErrors++;
      }
    }
    if (!this.bus.hasListeners) return;
    this.bus.emit({
      type: 'line.oversized',
      connectionId: this.connectionId,
      t: this.now(),
      direction: this.direction,
      bytes,
      limit: this.maxLineBytes,
    });
  }

  /**
   * Decode bytes `[start, end)` of `buf` (one complete line: no multi-byte character is cut) or
   * return {@link INVALID_JSON}. The only per-line allocation is the string `JSON.parse` needs.
   */
  protected decode(buf: Buffer, start: number, end: number): unknown {
    try {
      return JSON.parse(buf.toString('utf8', start, end)) as unknown;
    } catch {
      return INVALID_JSON;
    }
  }

  private emitParseError(reason: 'invalid_json' | 'not_stratum', bytes: number): void {
    this.bus.emit({
      type: 'parse.error',
      connectionId: this.connectionId,
      t: this.now(),
      direction: this.direction,
      reason,
      bytes,
    });
  }

  private recover(bytes: number): void {
    this.unexpectedErrors++;
    this.splitter.reset();
    try {
      if (this.bus.hasListeners) this.emitParseError('invalid_json', bytes);
    } catch {
      // The bus promises not to throw; if it does anyway, the relay must still not see it.
    }
  }
}
