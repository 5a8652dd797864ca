import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type LoadConfigInput } from '@stratum-relay/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-formats-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeText(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(input: LoadConfigInput): readonly string[] {
  try {
    loadConfig(input);
  } catch (error) {
    expect((error as ConfigError).code).toBe('SRL_ERR_CONFIG');
    return (error as ConfigError).problems;
  }
  throw new Error('loadConfig did not throw');
}

const fromFile = (path: string): ReturnType<typeof loadConfig> => loadConfig({ argv: ['--config', path], env: {} });

describe('config files in YAML and TOML', () => {
  const expected = {
    pools: [expect.objectContaining({ host: 'pool.example.com', port: 3333 }), expect.objectContaining({ host: 'backup.example.com', port: 443, scheme: 'tls' })],
    proxyPort: 3334,
    proxyProtocol: true,
    allowFrom: ['10.0.0.0/8'],
    tlsPort: null,
    idleTimeoutMs: 600_000,
    failbackDelayMs: null,
    logFormat: 'pretty',
  };

  it('reads the same options from JSON, YAML (.yaml and .yml) and TOML', () => {
    const json = writeText(
      'farm.json',
      JSON.stringify({
        pools: ['stratum+tcp://pool.example.com:3333', 'stratum+ssl://backup.example.com:443'],
        proxyPort: 3334,
        proxyProtocol: true,
        allowFrom: ['10.0.0.0/8'],
        tlsPort: null,
        idleTimeoutMs: 600000,
        failbackDelayMs: 'none',
        logFormat: 'pretty',
      }),
    );
    const yaml = [
      '# comments are the point of YAML here',
      'pools:',
      '  - stratum+tcp://pool.example.com:3333',
      '  - stratum+ssl://backup.example.com:443 # the backup',
      'proxyPort: 3334',
      'proxyProtocol: true',
      'allowFrom: [10.0.0.0/8]',
      'tlsPort: null',
      'idleTimeoutMs: 10m',
      'failbackDelayMs: none',
      'logFormat: pretty',
      '',
    ].join('\n');
    const toml = [
      '# TOML has no null: none stands for it',
      'pools = ["stratum+tcp://pool.example.com:3333", "stratum+ssl://backup.example.com:443"]',
      'proxyPort = 3334',
      'proxyProtocol = true',
      'allowFrom = ["10.0.0.0/8"]',
      'tlsPort = "none"',
      'idleTimeoutMs = "10m"',
      'failbackDelayMs = "none"',
      'logFormat = "pretty"',
      '',
    ].join('\n');
    for (const path of [json, writeText('farm.yaml', yaml), writeText('farm.YML', yaml), writeText('farm.toml', toml)]) {
      expect({ path, config: fromFile(path) }).toEqual({ path, config: expect.objectContaining(expected) });
    }
  });

  it('accepts pool objects with names in YAML and TOML', () => {
    const yaml = writeText('named.yaml', 'pools:\n  - url: stratum+tcp://a.example:3333\n    name: main\n');
    const toml = writeText('named.toml', '[[pools]]\nurl = "stratum+tcp://a.example:3333"\nname = "main"\n');
    expect(fromFile(yaml).pools[0]?.name).toBe('main');
    expect(fromFile(toml).pools[0]?.name).toBe('main');
  });

  it('gives line and column for a YAML syntax error', () => {
    const file = writeText('broken.yaml', 'pools:\n  - stratum+tcp://a.example:3333\nproxyPort: [1,\nlogLevel: info\n');
    const [problem, ...rest] = problemsOf({ argv: ['--config', file], env: {} });
    expect(rest).toEqual([]);
    expect(problem).toMatch(new RegExp(`^config file ${file.replace(/[.]/g, '\\.')} is not valid YAML at line \\d+ column \\d+: \\S`));
  });

  it('reports a duplicate YAML key at its line', () => {
    const file = writeText('dup.yaml', 'poolHost: a.example\nproxyPort: 1\nproxyPort: 2\n');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([`config file ${file} is not valid YAML at line 3 column 1: Map keys must be unique`]);
  });

  it('gives line and column for a TOML syntax error', () => {
    const file = writeText('broken.toml', 'poolHost = "a.example"\nproxyPort = = 2\n');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([`config file ${file} is not valid TOML at line 2 column 13: invalid value`]);
  });

  it('keeps types strict: a YAML yes is the string "yes", not true', () => {
    const file = writeText('types.yaml', 'poolHost: a.example\nproxyProtocol: yes\nproxyPort: "3333"\n');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file}: proxyProtocol: "yes" is not valid: expected true or false`,
      `config file ${file}: proxyPort: "3333" is not valid: expected an integer from 0 to 65535`,
    ]);
  });

  it('names the unknown key with its closest known one, as for JSON', () => {
    const file = writeText('typo.toml', 'poolHots = "a.example"\n');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual(
      expect.arrayContaining([`config file ${file}: unknown key "poolHots" (did you mean "poolHost"?)`]),
    );
  });

  it('calls an empty YAML file an empty document, and a YAML list not a mapping', () => {
    const empty = writeText('empty.yaml', '# nothing here\n');
    const list = writeText('list.yml', '- a\n- b\n');
    expect(problemsOf({ argv: ['--config', empty], env: {} })).toEqual([
      `config file ${empty}: expected a YAML mapping of options at the top level, got an empty document`,
    ]);
    expect(problemsOf({ argv: ['--config', list], env: {} })).toEqual([`config file ${list}: expected a YAML mapping of options at the top level, got an array`]);
  });

  it('reads any other extension as JSON, as before, and says how to name a YAML file when that fails', () => {
    const conf = writeText('proxy.conf', '{"poolHost": "a.example"}');
    expect(fromFile(conf).pools[0]?.host).toBe('a.example');
    const yamlish = writeText('proxy.cfg', 'poolHost: a.example\n');
    expect(problemsOf({ argv: ['--config', yamlish], env: {} })).toEqual([
      `config file ${yamlish} is not valid JSON at line 1 column 1: Unexpected token 'p' (files are read as JSON unless named .yaml, .yml or .toml)`,
    ]);
  });
});
