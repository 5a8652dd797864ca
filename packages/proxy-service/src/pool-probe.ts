import * as net from 'node:net';

export type PoolProbeResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface PoolProbeOptions {
  readonly host: string;
  readonly port: number;
  /** Give up on one probe after this long (the proxy's upstream connect timeout). */
  readonly timeoutMs: number;
  /** Tests inject a connector; defaults to net.connect. */
  readonly connect?: (options: net.TcpNetConnectOpts) => net.Socket;
}

/**
 * A bare TCP connect to the pool, closed at once (nothing is sent), to learn whether a pool that
 * failed a miner's connect is back.
 *
 * Why: /readyz is 503 after the latest upstream connect failed. Behind a load balancer that
 * checks /readyz, an instance that is out of rotation gets no new miners, so no miner connect
 * would ever tell it the pool recovered: it would stay out for good. While the pool is down the
 * service probes it on a timer instead.
 */
export class PoolProbe {
  private socket: net.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly connect: (options: net.TcpNetConnectOpts) => net.Socket;

  constructor(private readonly options: PoolProbeOptions) {
    this.connect = options.connect ?? net.connect;
  }

  get inFlight(): boolean {
    return this.socket !== null;
  }

  /** Starts one probe unless one is running; `onResult` is called exactly once. Never throws. */
  probe(onResult: (result: PoolProbeResult) => void): void {
    if (this.socket !== null) return;
    let socket: net.Socket;
    try {
      socket = this.connect({ host: this.options.host, port: this.options.port });
    } catch (err) {
      queueMicrotask(() => onResult({ ok: false, error: describe(err) }));
      return;
    }
    this.socket = socket;
    const finish = (result: PoolProbeResult): void => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      socket.destroy();
      onResult(result);
    };
    this.timer = setTimeout(() => finish({ ok: false, error: `ETIMEDOUT: no answer within ${this.options.timeoutMs} ms` }), this.options.timeoutMs);
    this.timer.unref();
    socket.once('connect', () => finish({ ok: true }));
    socket.on('error', (err) => finish({ ok: false, error: describe(err) }));
  }

  /** Abandons a running probe without reporting it. */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.destroy();
    this.socket = null;
  }
}

// Duck-typed, not `instanceof Error`: errors can come from another realm (vm contexts, jest).
function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') {
    const code = (err as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? `${code}: ${(err as Error).message}` : (err as Error).message;
  }
  return String(err);
}
