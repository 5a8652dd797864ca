/** Test-only: startObservability against a stand-in ProxyServer (a real event bus, a settable `listening`). */
import { ProxyEventBus } from '@stratum-relay/proxy-core';
import type { ProxyServer } from '@stratum-relay/proxy-core';
import { configSchema } from '@stratum-relay/config';
import type { Config } from '@stratum-relay/config';
import { startObservability } from '../../src/observability';
import type { Observability } from '../../src/observability';

export interface FakeServer {
  events: ProxyEventBus;
  listening: boolean;
}

export const silentLogger = { info() {}, warn() {}, error() {} };

export function testConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...configSchema.parse({ poolHost: '127.0.0.1', metricsHost: '127.0.0.1', metricsPort: 0 }), ...overrides });
}

export async function startWithFakeServer(
  config: Config = testConfig(),
  server: FakeServer = { events: new ProxyEventBus(), listening: true },
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
