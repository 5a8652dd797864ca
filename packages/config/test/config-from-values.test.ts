import { ConfigError, configFromValues, loadConfig } from '@stratum-relay/config';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SRL_ERR_CONFIG');
    return (error as ConfigError).problems;
  }
  throw new Error('did not throw');
}

describe('configFromValues', () => {
  it('resolves values written in code the way loadConfig resolves the same options', () => {
    expect(configFromValues({ poolHost: 'h', metricsPort: 0 })).toEqual(loadConfig({ argv: ['--pool-host', 'h', '--metrics-port', '0'], env: {} }));
    const pools = [{ name: 'main', scheme: 'tls', host: '::1', port: 3333, account: 'acct', password: 'pw' }] as const;
    const config = configFromValues({ pools, allowFrom: ['10.0.0.0/8'] });
    expect(config.pools).toEqual(pools);
    expect(Object.isFrozen(config) && Object.isFrozen(config.pools) && Object.isFrozen(config.pools[0])).toBe(true);
    expect(JSON.stringify(config)).not.toContain('"pw"');
  });

  it('needs a pool, and rejects what the schema rejects', () => {
    expect(problemsOf(() => configFromValues({}))).toEqual([
      'a pool is required: set --pools, POOLS or "pools" in the config file, or the one-pool shortcut --pool-host, POOL_HOST or "poolHost"',
    ]);
    expect(problemsOf(() => configFromValues({ poolHost: 'h', proxyPort: 70000 }))).toEqual(['proxyPort: Number must be less than or equal to 65535']);
  });
});
