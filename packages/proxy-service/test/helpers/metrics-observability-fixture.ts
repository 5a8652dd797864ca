/** Test-only: startObservability against a stand-in ProxyServer (a real event bus and pool list, a settable `listening`). */
import { ProxyEventBus, UpstreamPools } from '@stratum-relay/proxy-core';
import type { ProxyServer } from '@stratum-relay/proxy-core';
import { loadConfig } from '@stratum-relay/config';
import type { Config } from '@stratum-relay/config';
import { startObservability } from '../../src/observability';
import type { Observability } from '../../src/observability';

export interface FakeServer {
  events: ProxyEventBus;
  listening: boolean;
  /** The real pool list: tests drive its health with reportUp/reportDown. */
  upstreams: UpstreamPools;
}

export const silentLogger = { info() {}, warn() {}, error() {} };

/**
 * A Config as the program loads it, from environment variables: POOL_HOST=127.0.0.1 (unless
 * `env` gives POOLS) and the metrics server on 127.0.0.1, port 0, unless `env` says otherwise.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  const pool = env['POOLS'] === undefined ? { POOL_HOST: '127.0.0.1' } : {};
  return loadConfig({ argv: [], env: { ...pool, METRICS_HOST: '127.0.0.1', METRICS_PORT: '0', ...env } });
}

export function fakeServer(config: Config, listening = true): FakeServer {
  const events = new ProxyEventBus();
  return { events, listening, upstreams: new UpstreamPools({ pools: config.pools, bus: events }) };
}

export async function startWithFakeServer(
  config: Config = testConfig(),
  server: FakeServer = fakeServer(config),
): Promise<{ obs: Observability; server: FakeServer; base: string }> {
  const obs = await startObservability({
    config,
    server: server as unknown as ProxyServer,
    logger: silentLogger,
    version: '9.9.9-test',
    collectDefaultMetrics: false,
  });
  const addr = obs.httpAddress();
  if (addr === null) throw new Error('observability is not listening');
  return { obs, server, base: `http://127.0.0.1:${addr.port}` };
}
