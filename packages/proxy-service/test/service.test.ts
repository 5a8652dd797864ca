import { loadConfig, type Config } from '@stratum-relay/config';
import { createLogger, type LogDestination } from '@stratum-relay/logger';
import { createMetrics } from '@stratum-relay/metrics';
import { Registry } from 'prom-client';
import { ProxyCoreError, ProxyEventBus, type DrainResult, type ProxyServer, type ProxyServerOptions } from '@stratum-relay/proxy-core';
import { ProxyService, ProxyServiceError, type Observability } from '@stratum-relay/proxy-service';
import { cleanupAll, cleanupLater, closedPort, occupiedPort } from './service-test-kit';

afterEach(cleanupAll);

function capture(): LogDestination & { json(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    write(line: string) {
      lines.push(line);
    },
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const config: Config = loadConfig({
  argv: [],
  env: { POOL_HOST: 'pool.example', POOL_PORT: '4444', PROXY_HOST: '127.0.0.1', PROXY_PORT: '0', DRAIN_TIMEOUT_MS: '1234' },
});

/** A ProxyServer stand-in that records calls in `calls`; drain resolves when `finishDrain` is called. */
function fakeServer(calls: string[], options: { listenError?: unknown } = {}) {
  let finishDrain: (result: DrainResult) => void = () => undefined;
  let created: ProxyServerOptions | undefined;
  const server = {
    events: new ProxyEventBus(),
    connectionCount: 1,
    listening: false,
    startHealth() {
      calls.push('startHealth');
    },
    stopHealth() {
      calls.push('stopHealth');
    },
    tlsAddress: () => null,
    async listen() {
      calls.push('listen');
      if (options.listenError) throw options.listenError;
      this.listening = true;
      return { host: '127.0.0.1', port: 40001 };
    },
    drain(timeoutMs: number) {
      calls.push(`drain(${timeoutMs})`);
      return new Promise<DrainResult>((resolve) => {
        finishDrain = resolve;
      });
    },
    async close() {
      calls.push('close');
      finishDrain({ drained: 0, forced: 0 });
    },
  };
  return {
    server,
    createServer: (o: ProxyServerOptions) => {
      created = o;
      return server as unknown as ProxyServer;
    },
    created: () => created,
    finishDrain: (result: DrainResult) => finishDrain(result),
  };
}

function fakeObservability(calls: string[], failWith?: unknown) {
  return async (): Promise<Observability> => {
    calls.push('startObservability');
    if (failWith) throw failWith;
    return {
      metrics: createMetrics(new Registry(), { collectDefault: false }),
      markClosing: () => calls.push('markClosing'),
      httpAddress: () => ({ host: '127.0.0.1', port: 9999 }),
      readiness: () => ({ ready: true }),
      status: () => ({}),
      close: async () => {
        calls.push('observability.close');
      },
    };
  };
}

function service(calls: string[], serverOptions: { listenError?: unknown } = {}, observabilityError?: unknown) {
  const dest = capture();
  const fake = fakeServer(calls, serverOptions);
  const svc = new ProxyService({
    config,
    logger: createLogger({ level: 'info', format: 'json', destination: dest }),
    version: '9.9.9',
    openFilesLimit: null,
    createServer: fake.createServer,
    startObservability: fakeObservability(calls, observabilityError),
  });
  return { svc, fake, dest };
}

describe('ProxyService', () => {
  it('builds the ProxyServer from the config with its pool list, starts observability, then pool health, then listens', async () => {
    const calls: string[] = [];
    const { svc, fake } = service(calls);
    await expect(svc.start()).resolves.toEqual({ proxy: { host: '127.0.0.1', port: 40001 }, metrics: { host: '127.0.0.1', port: 9999 } });
    expect(calls).toEqual(['startObservability', 'startHealth', 'listen']);
    expect(fake.created()).toEqual({
      listenHost: '127.0.0.1',
      listenPort: 0,
      pools: [{ name: 'pool.example:4444', scheme: 'tcp', host: 'pool.example', port: 4444, account: null, password: null }],
      poolProbeIntervalMs: config.poolProbeIntervalMs,
      failbackDelayMs: config.failbackDelayMs,
      failbackRate: config.failbackRate,
      userAgent: 'stratum-relay/9.9.9 probe',
      poolTls: { ca: null, insecure: false },
      tls: null,
      admission: {
        allowFrom: null,
        maxConnectionsPerIp: null,
        connectionsPerSecondPerIp: null,
        proxyProtocol: false,
        proxyProtocolFrom: null,
        firstByteTimeoutMs: config.firstByteTimeoutMs,
      },
      authorizeTimeoutMs: config.authorizeTimeoutMs,
      listenBacklog: config.listenBacklog,
      maxConnections: config.maxConnections,
      idleTimeoutMs: config.idleTimeoutMs,
      upstreamConnectTimeoutMs: config.upstreamConnectTimeoutMs,
      maxLineBytes: config.maxLineBytes,
      preConnectBufferBytes: config.preConnectBufferBytes,
      // The message trace (TRACE_LINES, default 200) sees each line through the relay's tap.
      lineTap: expect.anything(),
    });
    expect(fake.created()?.pools).toBe(config.pools);
    expect(fake.server.events.listenerCount).toBe(1);
  });

  it('shuts down in order: log, markClosing, drain with the configured deadline, observability.close', async () => {
    const calls: string[] = [];
    const { svc, fake, dest } = service(calls);
    await svc.start();
    const done = svc.shutdown('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['startObservability', 'startHealth', 'listen', 'markClosing', 'drain(1234)']);
    fake.finishDrain({ drained: 1, forced: 0 });
    await expect(done).resolves.toEqual({ signal: 'SIGTERM', drained: 1, forced: 0, aborted: false, ok: true });
    expect(calls.slice(5)).toEqual(['observability.close']);
    expect(fake.server.events.listenerCount).toBe(0);
    const messages = dest.json().map((l) => l.msg);
    expect(messages.indexOf('shutting down: no new connections, draining open ones')).toBeGreaterThan(-1);
    expect(messages.slice(-3)).toEqual(['connections closed', 'summary', 'shutdown complete']);
  });

  it('closes every connection at once on a second shutdown request and reports it aborted', async () => {
    const calls: string[] = [];
    const { svc } = service(calls);
    await svc.start();
    const first = svc.shutdown('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    const second = svc.shutdown('SIGINT');
    expect(second).toBe(first);
    await expect(first).resolves.toMatchObject({ aborted: true, ok: true });
    expect(calls).toEqual(['startObservability', 'startHealth', 'listen', 'markClosing', 'drain(1234)', 'close', 'observability.close']);
    svc.shutdown('SIGINT');
    expect(calls.filter((c) => c === 'close')).toHaveLength(1);
  });

  it('maps a taken proxy port to SRL_ERR_ADDRESS_IN_USE naming PROXY_PORT / --proxy-port', async () => {
    const calls: string[] = [];
    const inUse = new ProxyCoreError('SRL_ERR_ADDRESS_IN_USE', 'address in use');
    const { svc, fake } = service(calls, { listenError: inUse });
    const error = await svc.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxyServiceError);
    expect(error).toMatchObject({
      code: 'SRL_ERR_ADDRESS_IN_USE',
      message: 'cannot listen on 127.0.0.1:0: address already in use (PROXY_PORT / --proxy-port)',
      cause: inUse,
    });
    expect(calls).toEqual(['startObservability', 'startHealth', 'listen', 'stopHealth', 'observability.close']);
    expect(fake.server.events.listenerCount).toBe(0);
  });

  it('maps other listen failures to SRL_ERR_START', async () => {
    const cause = Object.assign(new Error('listen EACCES: permission denied'), { code: 'EACCES' });
    const { svc } = service([], { listenError: new ProxyCoreError('SRL_ERR_LISTEN', 'cannot listen', { cause }) });
    await expect(svc.start()).rejects.toMatchObject({
      code: 'SRL_ERR_START',
      message: 'cannot start the proxy on 127.0.0.1:0: listen EACCES: permission denied',
    });
  });

  it('does not listen for miners when observability cannot start', async () => {
    const calls: string[] = [];
    const failure = Object.assign(new Error('in use'), { code: 'SRL_ERR_METRICS_ADDRESS_IN_USE' });
    const { svc } = service(calls, {}, failure);
    await expect(svc.start()).rejects.toMatchObject({
      code: 'SRL_ERR_ADDRESS_IN_USE',
      message: `cannot listen on 0.0.0.0:${config.metricsPort}: address already in use (METRICS_PORT / --metrics-port)`,
    });
    expect(calls).toEqual(['startObservability']);
  });

  it('refuses to start twice', async () => {
    const { svc } = service([]);
    await svc.start();
    await expect(svc.start()).rejects.toMatchObject({ code: 'SRL_ERR_SERVICE_STATE' });
  });

  it('reports a real taken port through the real ProxyServer', async () => {
    const port = await occupiedPort();
    const svc = new ProxyService({
      // A pool on loopback that refuses: the probes started before listen() need no DNS.
      config: loadConfig({ argv: [], env: { POOL_HOST: '127.0.0.1', POOL_PORT: String(await closedPort()), PROXY_HOST: '127.0.0.1', PROXY_PORT: String(port), METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' } }),
      logger: createLogger({ level: 'silent', format: 'json', destination: capture() }),
    });
    // start() leaves the probes running when listen() fails; stop them here whatever happens.
    cleanupLater(() => svc.proxyServer?.stopHealth());
    await expect(svc.start()).rejects.toMatchObject({
      code: 'SRL_ERR_ADDRESS_IN_USE',
      message: `cannot listen on 127.0.0.1:${port}: address already in use (PROXY_PORT / --proxy-port)`,
    });
  });
});
