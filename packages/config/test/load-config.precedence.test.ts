import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, loadConfig, OPTIONS, type ConfigKey, type LoadConfigInput } from '@stratum-relay/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(data));
  return path;
}

describe('loadConfig precedence', () => {
  it('fills every unset option with the schema default', () => {
    const config = loadConfig({ argv: ['--pool-host', 'pool.example'], env: {} });
    const pool = { name: 'pool.example:3333', scheme: 'tcp', host: 'pool.example', port: 3333, account: null, password: null };
    expect(config).toEqual({ ...configSchema.parse({ poolHost: 'pool.example' }), pools: [pool] });
  });

  it('prefers a CLI flag over the environment over the config file over the default', () => {
    const file = writeJson('layers.json', { poolHost: 'file-host', poolPort: 1001, proxyPort: 2001, metricsPort: 3001 });
    const config = loadConfig({
      argv: ['--config', file, '--pool-port', '1003'],
      env: { POOL_PORT: '1002', PROXY_PORT: '2002' },
    });
    expect(config.poolPort).toBe(1003);
    expect(config.proxyPort).toBe(2002);
    expect(config.metricsPort).toBe(3001);
    expect(config.poolHost).toBe('file-host');
    expect(config.idleTimeoutMs).toBe(600_000);
  });

  it('reads the config file named by CONFIG_FILE when --config is absent', () => {
    const file = writeJson('env-named.json', { poolHost: 'from-env-file' });
    expect(loadConfig({ argv: [], env: { CONFIG_FILE: file } }).poolHost).toBe('from-env-file');
  });

  it('prefers --config over CONFIG_FILE', () => {
    const a = writeJson('a.json', { poolHost: 'a' });
    const b = writeJson('b.json', { poolHost: 'b' });
    expect(loadConfig({ argv: [`--config=${a}`], env: { CONFIG_FILE: b } }).poolHost).toBe('a');
  });

  it('accepts --flag=value and --flag value alike, and the last repeated flag wins', () => {
    const config = loadConfig({ argv: ['--pool-host=h', '--pool-port=4000', '--proxy-port', '5000', '--proxy-port', '5001'], env: {} });
    expect(config).toMatchObject({ poolHost: 'h', poolPort: 4000, proxyPort: 5001 });
  });

  it('keeps an = inside a flag value', () => {
    expect(loadConfig({ argv: ['--pool-host=a=b'], env: {} }).poolHost).toBe('a=b');
  });

  it.each([
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['No', false],
  ])('reads SHARE_AUDIT=%s as %s', (text, expected) => {
    expect(loadConfig({ argv: ['--pool-host', 'h'], env: { SHARE_AUDIT: text } }).shareAudit).toBe(expected);
  });

  it('treats a bare boolean flag as true and --no-<flag> as false', () => {
    expect(loadConfig({ argv: ['--pool-host', 'h', '--share-audit'], env: { SHARE_AUDIT: 'false' } }).shareAudit).toBe(true);
    expect(loadConfig({ argv: ['--pool-host', 'h', '--no-share-audit'], env: {} }).shareAudit).toBe(false);
    expect(loadConfig({ argv: ['--pool-host', 'h', '--share-audit', 'no'], env: {} }).shareAudit).toBe(false);
  });

  it('reads MAX_CLIENT_IDS=none as no cap (null), from env, flag and file', () => {
    expect(loadConfig({ argv: ['--pool-host', 'h'], env: { MAX_CLIENT_IDS: 'none' } }).maxClientIds).toBeNull();
    expect(loadConfig({ argv: ['--pool-host', 'h', '--max-client-ids', 'none'], env: {} }).maxClientIds).toBeNull();
    const file = writeJson('none.json', { poolHost: 'h', maxClientIds: null });
    expect(loadConfig({ argv: ['--config', file], env: {} }).maxClientIds).toBeNull();
    expect(loadConfig({ argv: ['--pool-host', 'h', '--max-client-ids', '0'], env: {} }).maxClientIds).toBe(0);
  });

  it('accepts log levels in any case and stores the schema spelling', () => {
    expect(loadConfig({ argv: ['--pool-host', 'h'], env: { LOG_LEVEL: 'DEBUG' } }).logLevel).toBe('debug');
  });

  it('ignores environment variables it does not know', () => {
    expect(() => loadConfig({ argv: ['--pool-host', 'h'], env: { PATH: '/bin', POOL_HOSTS: 'x' } })).not.toThrow();
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ argv: ['--pool-host', 'h'], env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { poolPort: number }).poolPort = 1;
    }).toThrow(TypeError);
  });

  describe.each(['environment variable', 'flag', 'config file'] as const)('sets every option from its %s', (origin) => {
    const sample = (key: ConfigKey): Sample => samples(dir)[key];
    it.each(OPTIONS.map((o) => [o.key, o]))('%s', (key, option) => {
      const { text, value, file = value, context = { POOL_HOST: 'h' } } = sample(key);
      let input: LoadConfigInput;
      if (origin === 'environment variable') input = { argv: [], env: { ...context, [option.env]: text } };
      else if (origin === 'flag') input = { argv: [`${option.flag}=${text}`], env: context };
      else input = { argv: ['--config', writeJson(`every-${key}.json`, { [key]: file })], env: context };
      expect(loadConfig(input)[key]).toEqual(value);
    });
  });
});

interface Sample {
  /** As written in an environment variable or a flag. */
  readonly text: string;
  /** What Config holds then. */
  readonly value: unknown;
  /** As written in the config file, when not `value`. */
  readonly file?: unknown;
  /** Environment the option needs beside it (default: a pool host). */
  readonly context?: Record<string, string>;
}

/** One non-default value per option; keyed by ConfigKey so a new option without a sample does not compile. */
function samples(dir: string): { readonly [K in ConfigKey]: Sample } {
  const pem = (name: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `-----BEGIN ${name}-----\n-----END ${name}-----\n`);
    return path;
  };
  const cert = pem('cert.pem');
  const key = pem('key.pem');
  const ca = pem('ca.pem');
  const token = join(dir, 'token');
  writeFileSync(token, 'token-from-file\n');
  const pool = { name: 'pool.example:3334', scheme: 'tls', host: 'pool.example', port: 3334, account: 'acct', password: 'pw' };
  return {
    pools: { text: 'stratum+ssl://acct:pw@pool.example:3334', value: [pool], file: ['stratum+ssl://acct:pw@pool.example:3334'], context: {} },
    poolHost: { text: 'example.org', value: 'example.org', context: {} },
    poolPort: { text: '1024', value: 1024 },
    poolProbeIntervalMs: { text: '250', value: 250 },
    failbackDelayMs: { text: '0', value: 0 },
    failbackRate: { text: '0.5', value: 0.5 },
    poolCaFile: { text: ca, value: ca },
    poolTlsInsecure: { text: 'true', value: true },
    proxyHost: { text: '127.0.0.1', value: '127.0.0.1' },
    proxyPort: { text: '3334', value: 3334 },
    tlsHost: { text: '::1', value: '::1' },
    tlsPort: { text: '0', value: 0, context: { POOL_HOST: 'h', TLS_CERT_FILE: cert, TLS_KEY_FILE: key } },
    tlsCertFile: { text: cert, value: cert },
    tlsKeyFile: { text: key, value: key },
    proxyProtocol: { text: 'yes', value: true },
    proxyProtocolFrom: { text: '10.0.0.1, 2001:db8::/32', value: ['10.0.0.1/32', '2001:db8::/32'], file: ['10.0.0.1', '2001:db8::/32'] },
    allowFrom: { text: '192.168.0.0/16,::1', value: ['192.168.0.0/16', '::1/128'], file: '192.168.0.0/16,::1' },
    metricsHost: { text: 'localhost', value: 'localhost' },
    metricsPort: { text: '0', value: 0 },
    metricsToken: { text: 's3cret-token', value: 's3cret-token' },
    metricsTokenFile: { text: token, value: token },
    logLevel: { text: 'warn', value: 'warn' },
    logFormat: { text: 'pretty', value: 'pretty' },
    maxConnections: { text: '7', value: 7 },
    maxConnectionsPerIp: { text: '3', value: 3 },
    connectionsPerSecondPerIp: { text: '2.5', value: 2.5 },
    listenBacklog: { text: '511', value: 511 },
    firstByteTimeoutMs: { text: '0', value: 0 },
    authorizeTimeoutMs: { text: '5000', value: 5000 },
    idleTimeoutMs: { text: '1000', value: 1000 },
    upstreamConnectTimeoutMs: { text: '1000', value: 1000 },
    maxLineBytes: { text: '1024', value: 1024 },
    preConnectBufferBytes: { text: '2048', value: 2048 },
    drainTimeoutMs: { text: '0', value: 0 },
    drainReconnect: { text: 'yes', value: true },
    drainReconnectHost: { text: 'relay2.example', value: 'relay2.example', context: { POOL_HOST: 'h', DRAIN_RECONNECT_PORT: '3334' } },
    drainReconnectPort: { text: '3334', value: 3334, context: { POOL_HOST: 'h', DRAIN_RECONNECT_HOST: 'relay2.example' } },
    logSummaryIntervalMs: { text: '0', value: 0 },
    submitTimeoutMs: { text: '1000', value: 1000 },
    maxClientIds: { text: '7', value: 7 },
    shareAudit: { text: 'false', value: false },
    traceLines: { text: '0', value: 0 },
    traceKeepClosedMs: { text: '5000', value: 5000 },
    traceMaxBytes: { text: '1048576', value: 1048576 },
    shareJournal: { text: '/var/lib/stratum-relay/journal.sqlite', value: '/var/lib/stratum-relay/journal.sqlite' },
    shareJournalMaxQueue: { text: '5000', value: 5000 },
    shareJournalRetentionDays: { text: '7', value: 7 },
    workers: { text: '4', value: 4 },
  };
}
