import type { Config } from '@stratum-relay/config';
import type { ProxyServer } from '@stratum-relay/proxy-core';

/**
 * CONTRACT STUB (the metrics helper implements): metrics collector + HTTP endpoints attached to a
 * running ProxyServer. The service calls it after the proxy listens and closes it last.
 */
export interface Observability {
  /** Shutdown began: /readyz turns 503 from now on. */
  markClosing(): void;
  /** Address of the HTTP server (null when not listening). */
  httpAddress(): { host: string; port: number } | null;
  /** Stop the HTTP server and detach the collector. */
  close(): Promise<void>;
}

export interface ObservabilityOptions {
  config: Config;
  server: ProxyServer;
  /** pino logger (typed loosely here to keep this contract free of the logger package). */
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  version: string;
}

export async function startObservability(_options: ObservabilityOptions): Promise<Observability> {
  return {
    markClosing() {},
    httpAddress() {
      return null;
    },
    async close() {},
  };
}
