import type { Direction } from '@stratum-relay/shared-types';
import { ProxyEventBus } from './event-bus';

/** CONTRACT STUB (the core helper implements). */
export interface ProxyServerOptions {
  listenHost: string;
  /** 0 = ephemeral port (tests). */
  listenPort: number;
  poolHost: string;
  poolPort: number;
  maxConnections: number;
  /** 0 disables. */
  idleTimeoutMs: number;
  upstreamConnectTimeoutMs: number;
  maxLineBytes: number;
  /** Bytes from the miner held while the upstream connects; past it the connection closes with reason `limit`. */
  preConnectBufferBytes: number;
}

export interface ConnectionSnapshot {
  connectionId: number;
  remoteAddress: string;
  remotePort: number;
  /** Wall-clock ms when the miner connected. */
  connectedAt: number;
  upstreamConnected: boolean;
  bytesMinerToPool: number;
  bytesPoolToMiner: number;
}

export interface DrainResult {
  /** Connections that ended by themselves before the deadline. */
  drained: number;
  /** Connections destroyed at the deadline (reported closed with reason `drain`). */
  forced: number;
}

export class ProxyServer {
  readonly events: ProxyEventBus = new ProxyEventBus();
  constructor(readonly options: ProxyServerOptions) {}
  /** Resolves with the bound address; rejects with ProxyCoreError SRL_ERR_ADDRESS_IN_USE / SRL_ERR_LISTEN. */
  listen(): Promise<{ host: string; port: number }> {
    throw new Error('not implemented');
  }
  get listening(): boolean {
    throw new Error('not implemented');
  }
  get connectionCount(): number {
    throw new Error('not implemented');
  }
  connections(): ConnectionSnapshot[] {
    throw new Error('not implemented');
  }
  /** Stop accepting: the listening socket closes; new connections are refused by the OS. */
  stopAccepting(): Promise<void> {
    throw new Error('not implemented');
  }
  /** Stop accepting, wait up to `timeoutMs` for open connections to end, destroy the rest. */
  drain(_timeoutMs: number): Promise<DrainResult> {
    throw new Error('not implemented');
  }
  /** Destroy everything now. */
  close(): Promise<void> {
    throw new Error('not implemented');
  }
}

export type { Direction };
