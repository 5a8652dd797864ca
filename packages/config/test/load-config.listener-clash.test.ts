import { ConfigError, loadConfig, type LoadConfigInput } from '@stratum-relay/config';

const withHost = { POOL_HOST: 'pool.example' };

function problemsOf(input: LoadConfigInput): readonly string[] {
  try {
    loadConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SRL_ERR_CONFIG');
    return (error as ConfigError).problems;
  }
  throw new Error('loadConfig did not throw');
}

describe('listeners on the same port', () => {
  it('names both options and where each port came from when the proxy and metrics ports are equal', () => {
    expect(problemsOf({ argv: ['--metrics-port', '3333'], env: withHost })).toEqual([
      'PROXY_PORT and METRICS_PORT are both 3333 (PROXY_PORT from default, METRICS_PORT from --metrics-port) on 0.0.0.0: each listener needs its own port',
    ]);
  });

  it('catches the TLS port equal to either, with TLS_HOST none meaning the proxy host', () => {
    // Any readable regular files will do: the check looks at ports and hosts only.
    const tls = { ...withHost, TLS_CERT_FILE: __filename, TLS_KEY_FILE: __filename };
    expect(problemsOf({ argv: ['--tls-port', '9333'], env: { ...tls, METRICS_HOST: '127.0.0.1' } })).toEqual([
      'TLS_PORT and METRICS_PORT are both 9333 (TLS_PORT from --tls-port, METRICS_PORT from default) on 0.0.0.0 and 127.0.0.1: each listener needs its own port',
    ]);
    expect(problemsOf({ argv: ['--tls-host', 'none'], env: { ...tls, PROXY_HOST: '127.0.0.1', TLS_PORT: '3333' } })).toEqual([
      'PROXY_PORT and TLS_PORT are both 3333 (PROXY_PORT from default, TLS_PORT from TLS_PORT) on 127.0.0.1: each listener needs its own port',
    ]);
  });

  it('treats :: as every address and 0.0.0.0 as every IPv4 address', () => {
    expect(problemsOf({ argv: [], env: { ...withHost, PROXY_PORT: '9000', METRICS_PORT: '9000', PROXY_HOST: '::', METRICS_HOST: '::1' } })).toHaveLength(1);
    expect(problemsOf({ argv: [], env: { ...withHost, PROXY_PORT: '9000', METRICS_PORT: '9000', PROXY_HOST: '[::1]', METRICS_HOST: '::1' } })).toHaveLength(1);
  });

  it('accepts the same port on distinct addresses, and port 0 everywhere', () => {
    expect(loadConfig({ argv: [], env: { ...withHost, PROXY_PORT: '9000', METRICS_PORT: '9000', PROXY_HOST: '10.0.0.1', METRICS_HOST: '127.0.0.1' } }).metricsPort).toBe(9000);
    expect(loadConfig({ argv: [], env: { ...withHost, PROXY_PORT: '9000', METRICS_PORT: '9000', PROXY_HOST: '0.0.0.0', METRICS_HOST: '::1' } }).metricsPort).toBe(9000);
    expect(loadConfig({ argv: [], env: { ...withHost, PROXY_PORT: '0', METRICS_PORT: '0' } }).proxyPort).toBe(0);
  });

  it('says nothing about a port whose own value was rejected', () => {
    expect(problemsOf({ argv: [], env: { ...withHost, PROXY_PORT: '9333', METRICS_PORT: 'http' } })).toHaveLength(1);
    expect(problemsOf({ argv: [], env: { ...withHost, PROXY_PORT: '9333', METRICS_PORT: 'http' } })[0]).toMatch(/^METRICS_PORT/);
  });
});
