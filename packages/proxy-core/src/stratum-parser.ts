import { performance } from 'node:perf_hooks';
import type { Direction } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from './event-bus';
import { LineSplitter, type LineSink, type LineSplitterState } from '@stratum-relay/stratum-wire';
import { EMPTY_PARAMS, classifyStratumMessage, createClassifiedMessage, type ClassifiedMessage } from './stratum-message';

/** The one small interface every parser implementation sits behind. */
export interface LineObserver {
  /** Observe a chunk that has already been relayed. Never throws. */
  push(chunk: Buffer): void;
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
}

/** What {@link StratumParser.decode} returns for a line that is not JSON. */
export const INVALID_JSON: unique symbol = Symbol('invalid_json');

/**
 * Streaming observer of one direction of one connection: frames newline-delimited Stratum with a
 * {@link LineSplitter}, decodes each line with `JSON.parse`, classifies it, and emits
 * `stratum.request` / `stratum.response` / `stratum.notification` / `parse.error` / `line.oversized`.
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
  private unexpectedErrors = 0;

  constructor(options: StratumParserOptions) {
    this.connectionId = options.connectionId;
    this.direction = options.direction;
    this.maxLineBytes = options.maxLineBytes;
    this.bus = options.bus;
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

  push(chunk: Buffer): void {
    try {
      this.splitter.push(chunk);
    } catch {
      this.recover(Buffer.isBuffer(chunk) ? chunk.length : 0);
    }
  }

  end(): void {
    try {
      this.splitter.end();
    } catch {
      this.recover(0);
    }
  }

  exportState(): LineSplitterState {
    return this.splitter.exportState();
  }

  importState(state: LineSplitterState): void {
    this.splitter.importState(state);
  }

  /** @internal LineSink callback: one complete, non-blank line within the cap. */
  onLine(buf: Buffer, start: number, end: number): void {
    // Nobody listens: skip decoding entirely; the splitter state stays consistent regardless.
    if (!this.bus.hasListeners) return;
    const value = this.decode(buf, start, end);
    if (value === INVALID_JSON) {
      this.emitParseError('invalid_json', end - start);
      return;
    }
    const m = this.message;
    switch (classifyStratumMessage(value, m)) {
      case 'request':
        this.bus.emit({
          type: 'stratum.request',
          connectionId: this.connectionId,
          t: performance.now(),
          direction: this.direction,
          id: m.id,
          method: m.method,
          params: m.params,
        });
        break;
      case 'notification':
        this.bus.emit({
          type: 'stratum.notification',
          connectionId: this.connectionId,
          t: performance.now(),
          direction: this.direction,
          method: m.method,
          params: m.params,
        });
        break;
      case 'response':
        this.bus.emit({
          type: 'stratum.response',
          connectionId: this.connectionId,
          t: performance.now(),
          direction: this.direction,
          id: m.id,
          result: m.result,
          error: m.error,
        });
        break;
      default:
        this.emitParseError('not_stratum', end - start);
    }
    // Do not pin the last message's objects until the next line arrives.
    m.params = EMPTY_PARAMS;
    m.result = undefined;
    m.error = undefined;
  }

  /** @internal LineSink callback. */
  onOversized(bytes: number): void {
    if (!this.bus.hasListeners) return;
    this.bus.emit({
      type: 'line.oversized',
      connectionId: this.connectionId,
      t: performance.now(),
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
      t: performance.now(),
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
