import type { Direction } from '@stratum-relay/shared-types';
import { ProxyServer } from '../../src/proxy-server';
import type { ObserverFactory, ProxyServerOptions } from '../../src/proxy-server';
import type { LineObserver } from '../../src/stratum-parser';
import type { Cleanup } from './cleanup';
import { EventRecorder } from './event-recorder';

/** Observes nothing: keeps these relay tests independent of the parser (another package's work). */
export const noopObserverFactory: ObserverFactory = () => ({ push() {}, end() {} });

/** Keeps what each observer was given, to prove observers see exactly the relayed bytes. */
export class RecordingObservers {
  readonly seen = new Map<string, { chunks: Buffer[]; ended: boolean }>();
  readonly factory: ObserverFactory = (connectionId: number, direction: Direction): LineObserver => {
    const record = { chunks: [] as Buffer[], ended: false };
    this.seen.set(`${connectionId}:${direction}`, record);
    return {
      push(chunk: Buffer) {
        record.chunks.push(chunk);
      },
      end() {
        record.ended = true;
      },
    };
  };

  bytes(connectionId: number, direction: Direction): Buffer {
    return Buffer.concat(this.seen.get(`${connectionId}:${direction}`)?.chunks ?? []);
  }
}

export interface StartedProxy {
  readonly proxy: ProxyServer;
  readonly port: number;
  readonly recorder: EventRecorder;
}

export async function startProxy(
  cleanup: Cleanup,
  poolPort: number,
  overrides: Partial<ProxyServerOptions> = {},
  keepBytesEvents = false,
): Promise<StartedProxy> {
  const proxy = new ProxyServer({
    listenHost: '127.0.0.1',
    listenPort: 0,
    poolHost: '127.0.0.1',
    poolPort,
    maxConnections: 100,
    idleTimeoutMs: 0,
    upstreamConnectTimeoutMs: 5_000,
    maxLineBytes: 64 * 1024,
    preConnectBufferBytes: 256 * 1024,
    observerFactory: noopObserverFactory,
    ...overrides,
  });
  const recorder = new EventRecorder(proxy.events, keepBytesEvents);
  cleanup.add(() => proxy.close());
  const { port } = await proxy.listen();
  return { proxy, port, recorder };
}
