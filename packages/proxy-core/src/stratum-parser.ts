import type { Direction } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from './event-bus';

/** CONTRACT STUB. The one small interface every parser implementation sits behind. */
export interface LineObserver {
  /** Observe a chunk that has already been relayed. Never throws. */
  push(chunk: Buffer): void;
  /** The stream ended: a final line without newline is observed too. */
  end(): void;
}

export interface StratumParserOptions {
  connectionId: number;
  direction: Direction;
  maxLineBytes: number;
  bus: ProxyEventBus;
}

export class StratumParser implements LineObserver {
  constructor(_options: StratumParserOptions) {}
  push(_chunk: Buffer): void {
    throw new Error('not implemented');
  }
  end(): void {
    throw new Error('not implemented');
  }
}
