import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type LoadConfigInput } from '@stratum-relay/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-errors-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeText(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The problems loadConfig reports (fails the test when it does not throw a ConfigError). */
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

const withHost = { POOL_HOST: 'h' };

describe('loadConfig problems', () => {
  it('names the env variable, the value and the expected range for an out-of-range port', () => {
    expect(problemsOf({ argv: [], env: { ...withHost, POOL_PORT: '70000' } })).toEqual([
      'POOL_PORT: "70000" is not valid: expected an integer from 1 to 65535',
    ]);
  });

  it.each(['12abc', '1e3', '', '-1', ' 12', '0x10', '3.5', '99999999999999999999'])('rejects POOL_PORT=%j as not a strict integer in range', (text) => {
    expect(problemsOf({ argv: [], env: { ...withHost, POOL_PORT: text } })).toEqual([
      `POOL_PORT: ${JSON.stringify(text)} is not valid: expected an integer from 1 to 65535`,
    ]);
  });

  it('names the flag and lists the allowed values for a bad log level', () => {
    expect(problemsOf({ argv: ['--log-level', 'loud'], env: withHost })).toEqual([
      '--log-level: "loud" is not valid: expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('explains every place a pool can be set when none is', () => {
    expect(problemsOf({ argv: [], env: {} })).toEqual([
      'a pool is required: set --pools, POOLS or "pools" in the config file, or the one-pool shortcut --pool-host, POOL_HOST or "poolHost"',
    ]);
  });

  it('still asks for a pool when only POOL_PORT is given', () => {
    expect(problemsOf({ argv: [], env: { POOL_PORT: '3334' } })).toEqual([
      'a pool is required: set --pools, POOLS or "pools" in the config file, or the one-pool shortcut --pool-host, POOL_HOST or "poolHost"',
    ]);
  });

  it('rejects an empty pool host without also calling it missing', () => {
    expect(problemsOf({ argv: [], env: { POOL_HOST: '' } })).toEqual(['POOL_HOST: "" is not valid: expected a non-empty string']);
  });

  it.each([
    ['SHARE_AUDIT', 'maybe', 'all, rejected, rejected:<fraction>, sample:<fraction> or off (a fraction above 0 and at most 1, e.g. sample:0.05; true/false/1/0/yes/no also mean all/off)'],
    ['MAX_CLIENT_IDS', 'unlimited', 'an integer of at least 0, or none for no limit'],
    ['IDLE_TIMEOUT_MS', '-5', 'a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)'],
    ['SUBMIT_TIMEOUT_MS', '0', 'a duration of at least 1ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)'],
    ['MAX_LINE_BYTES', '100', 'an integer from 256 to 67108864'],
    ['LOG_FORMAT', 'xml', 'one of json, pretty'],
  ])('says what %s expects when given %j', (env, text, expected) => {
    expect(problemsOf({ argv: [], env: { ...withHost, [env]: text } })).toEqual([`${env}: "${text}" is not valid: expected ${expected}`]);
  });

  it('reports an unknown flag with the closest known one', () => {
    expect(problemsOf({ argv: ['--pool-hots', 'x'], env: withHost })).toEqual(['unknown option "--pool-hots" (did you mean --pool-host?)']);
    expect(problemsOf({ argv: ['--frobnicate'], env: withHost })).toEqual(['unknown option "--frobnicate"']);
  });

  it('reports a flag missing its value, at the end or before another flag', () => {
    expect(problemsOf({ argv: ['--proxy-port'], env: withHost })).toEqual(['--proxy-port: missing value: expected an integer from 0 to 65535']);
    expect(problemsOf({ argv: ['--pool-host', '--proxy-port', '1'], env: {} })).toEqual([
      '--pool-host: missing value: expected a non-empty string',
    ]);
    expect(problemsOf({ argv: ['--config'], env: withHost })).toEqual(['--config: missing value: expected the path of a config file (.json, .yaml, .yml or .toml)']);
  });

  it('reports a stray positional argument', () => {
    expect(problemsOf({ argv: ['pool.example'], env: withHost })).toEqual([
      'unexpected argument "pool.example": this program takes only --options (see --help)',
    ]);
  });

  it('reports all problems at once, flags first, then environment, then file', () => {
    const file = writeText('bad-values.json', JSON.stringify({ poolPort: 'abc', poolHots: 'x' }));
    expect(problemsOf({ argv: ['--config', file, '--log-level=loud'], env: { PROXY_PORT: '1e3' } })).toEqual([
      '--log-level: "loud" is not valid: expected one of fatal, error, warn, info, debug, trace, silent',
      'PROXY_PORT: "1e3" is not valid: expected an integer from 0 to 65535',
      `config file ${file}: poolPort: "abc" is not valid: expected an integer from 1 to 65535`,
      `config file ${file}: unknown key "poolHots" (did you mean "poolHost"?)`,
      'a pool is required: set --pools, POOLS or "pools" in the config file, or the one-pool shortcut --pool-host, POOL_HOST or "poolHost"',
    ]);
  });

  it('checks a value even when a higher-precedence source overrides it', () => {
    expect(problemsOf({ argv: ['--pool-host', 'h', '--pool-port', '1'], env: { POOL_PORT: 'x' } })).toEqual([
      'POOL_PORT: "x" is not valid: expected an integer from 1 to 65535',
    ]);
  });

  it('requires JSON types in the file: a quoted number or boolean is a mismatch naming the key', () => {
    const file = writeText('types.json', JSON.stringify({ poolHost: 'h', poolPort: '3333', shareAudit: 'yes', maxConnections: 1.5 }));
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file}: poolPort: "3333" is not valid: expected an integer from 1 to 65535`,
      `config file ${file}: shareAudit: "yes" is not valid: expected true, false, or one of "all", "rejected", "rejected:<fraction>", "sample:<fraction>", "off" (a fraction above 0 and at most 1)`,
      `config file ${file}: maxConnections: 1.5 is not valid: expected an integer from 1 to 1000000`,
    ]);
  });

  it('suggests the key for a file that uses env names', () => {
    const file = writeText('env-names.json', JSON.stringify({ poolHost: 'h', PROXY_PORT: 1 }));
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file}: unknown key "PROXY_PORT" (did you mean "proxyPort"?)`,
    ]);
  });

  it('gives line and column for a file that is not valid JSON', () => {
    const file = writeText('broken.json', '{\n  "poolHost": "h",\n  "poolPort": 3333,\n}\n');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file} is not valid JSON at line 4 column 1: Expected double-quoted property name`,
    ]);
  });

  it('gives line and column even when V8 does not name a position', () => {
    const file = writeText('no-position.json', '{\n  "poolHost": \n}');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file} is not valid JSON at line 3 column 1: Unexpected token '}'`,
    ]);
    const empty = writeText('empty.json', '');
    expect(problemsOf({ argv: ['--config', empty], env: {} })).toEqual([
      `config file ${empty} is not valid JSON at line 1 column 1: Unexpected end of JSON input`,
    ]);
  });

  it('rejects a file whose top level is not an object', () => {
    const file = writeText('array.json', '[1]');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file}: expected a JSON object of options at the top level, got an array`,
    ]);
  });

  it('says when the config file does not exist, without also calling the pool missing', () => {
    const missing = join(dir, 'missing.json');
    expect(problemsOf({ argv: [], env: { CONFIG_FILE: missing } })).toEqual([`config file ${missing} does not exist`]);
  });

  it('says when the config file is a directory', () => {
    const sub = join(dir, 'sub.json');
    mkdirSync(sub);
    expect(problemsOf({ argv: ['--config', sub], env: {} })).toEqual([`config file ${sub} is a directory, not a file`]);
  });

  it('says when a parent of the config file path is not a directory', () => {
    const file = join(writeText('plain.json', '{}'), 'child.json');
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([`config file ${file} does not exist (a parent is not a directory)`]);
  });

  it('rejects an empty CONFIG_FILE', () => {
    expect(problemsOf({ argv: [], env: { ...withHost, CONFIG_FILE: '' } })).toEqual([
      'CONFIG_FILE: "" is not valid: expected the path of a config file (.json, .yaml, .yml or .toml)',
    ]);
  });

  it('cuts a huge value short in the message', () => {
    const [problem] = problemsOf({ argv: [], env: { ...withHost, POOL_PORT: 'x'.repeat(10_000) } });
    expect(problem).toMatch(/^POOL_PORT: "x{76}\.\.\. is not valid: expected an integer from 1 to 65535$/);
  });
});
