import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, loadConfig, OPTIONS } from '@stratum-relay/config';

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
    expect(config).toEqual(configSchema.parse({ poolHost: 'pool.example' }));
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

  it('sets every option from its environment variable and from its flag', () => {
    const samples: Record<string, [string, unknown]> = {
      string: ['example.org', 'example.org'],
      int: ['1024', 1024],
      bool: ['false', false],
      'int-or-none': ['7', 7],
    };
    for (const option of OPTIONS) {
      const [text, value] =
        option.kind === 'enum' ? (option.key === 'logLevel' ? ['warn', 'warn'] : ['pretty', 'pretty']) : (samples[option.kind] as [string, unknown]);
      const base = option.key === 'poolHost' ? {} : { POOL_HOST: 'h' };
      expect(loadConfig({ argv: [], env: { ...base, [option.env]: text } })[option.key]).toEqual(value);
      const flagArgv = option.key === 'poolHost' ? [] : ['--pool-host', 'h'];
      expect(loadConfig({ argv: [...flagArgv, `${option.flag}=${text}`], env: {} })[option.key]).toEqual(value);
    }
  });
});
