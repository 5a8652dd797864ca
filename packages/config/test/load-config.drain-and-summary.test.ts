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

describe('the drain reconnect target', () => {
  it('is off and without parameters by default', () => {
    expect(loadConfig({ argv: [], env: withHost })).toMatchObject({ drainReconnect: false, drainReconnectHost: null, drainReconnectPort: null, logSummaryIntervalMs: 60_000 });
  });

  it('takes a host and a port together', () => {
    expect(loadConfig({ argv: ['--drain-reconnect', '--drain-reconnect-host', 'relay2.example', '--drain-reconnect-port', '3334'], env: withHost })).toMatchObject({
      drainReconnect: true,
      drainReconnectHost: 'relay2.example',
      drainReconnectPort: 3334,
    });
  });

  it('refuses a host without a port and a port without a host', () => {
    expect(problemsOf({ argv: ['--drain-reconnect-host', 'relay2.example'], env: withHost })).toEqual([
      'DRAIN_RECONNECT_HOST (from --drain-reconnect-host) needs DRAIN_RECONNECT_PORT too: client.reconnect names a host and a port, or neither (the address the miner used)',
    ]);
    expect(problemsOf({ argv: [], env: { ...withHost, DRAIN_RECONNECT_PORT: '3334' } })).toEqual([
      'DRAIN_RECONNECT_PORT (from DRAIN_RECONNECT_PORT) needs DRAIN_RECONNECT_HOST too: client.reconnect names a host and a port, or neither (the address the miner used)',
    ]);
  });
});

describe('the summary log interval', () => {
  it('takes a duration, 0 or none', () => {
    expect(loadConfig({ argv: [], env: { ...withHost, LOG_SUMMARY_INTERVAL_MS: '5m' } }).logSummaryIntervalMs).toBe(300_000);
    expect(loadConfig({ argv: [], env: { ...withHost, LOG_SUMMARY_INTERVAL_MS: '0' } }).logSummaryIntervalMs).toBe(0);
    expect(loadConfig({ argv: [], env: { ...withHost, LOG_SUMMARY_INTERVAL_MS: 'none' } }).logSummaryIntervalMs).toBeNull();
  });
});
