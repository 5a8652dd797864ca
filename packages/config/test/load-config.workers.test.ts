import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, helpText, loadConfig, RESTART_ONLY_KEYS, type LoadConfigInput } from '@stratum-relay/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-workers-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const withHost = { POOL_HOST: 'h' };
const EXPECTED = 'expected an integer from 1 to 1024, or auto for one per CPU core';

function configFile(values: object): string {
  const path = join(dir, `workers-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ poolHost: 'h', ...values }));
  return path;
}

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

describe('WORKERS', () => {
  it('defaults to 1: one process, no cluster', () => {
    expect(loadConfig({ argv: [], env: withHost }).workers).toBe(1);
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['16', 16],
    ['1024', 1024],
    ['auto', 'auto'],
    ['AUTO', 'auto'],
    ['Auto', 'auto'],
  ])('takes WORKERS=%s as %j', (text, value) => {
    expect(loadConfig({ argv: [], env: { ...withHost, WORKERS: text } }).workers).toBe(value);
  });

  it('takes --workers and "workers" in the config file, the flag first', () => {
    expect(loadConfig({ argv: ['--workers', '3'], env: withHost }).workers).toBe(3);
    expect(loadConfig({ argv: ['--workers=auto'], env: withHost }).workers).toBe('auto');
    expect(loadConfig({ argv: ['--config', configFile({ workers: 'auto' })], env: {} }).workers).toBe('auto');
    expect(loadConfig({ argv: ['--config', configFile({ workers: 6 })], env: {} }).workers).toBe(6);
    expect(loadConfig({ argv: ['--workers', '2', '--config', configFile({ workers: 6 })], env: { WORKERS: 'auto' } }).workers).toBe(2);
  });

  it.each(['0', '-1', 'abc', '1.5', '', ' 2', '2x', '1e2', '0x10', '1025', 'none'])('rejects WORKERS=%j, naming the variable, the value and what is expected', (text) => {
    expect(problemsOf({ argv: [], env: { ...withHost, WORKERS: text } })).toEqual([`WORKERS: ${JSON.stringify(text)} is not valid: ${EXPECTED}`]);
  });

  it('rejects a bad --workers and a missing value by the flag', () => {
    expect(problemsOf({ argv: ['--workers', '0'], env: withHost })).toEqual([`--workers: "0" is not valid: ${EXPECTED}`]);
    expect(problemsOf({ argv: ['--workers'], env: withHost })).toEqual([`--workers: missing value: ${EXPECTED}`]);
  });

  it('wants a JSON number or "auto" in the config file: "2" is a string, null is not none', () => {
    for (const value of ['2', 0, null, 'AUTO', true]) {
      const path = configFile({ workers: value });
      expect(problemsOf({ argv: ['--config', path], env: {} })).toEqual([`config file ${path}: workers: ${JSON.stringify(value)} is not valid: ${EXPECTED}`]);
    }
  });

  it('reports a bad WORKERS together with every other problem', () => {
    expect(problemsOf({ argv: [], env: { WORKERS: 'many', POOL_PORT: 'x' } })).toEqual([
      'POOL_PORT: "x" is not valid: expected an integer from 1 to 65535',
      `WORKERS: "many" is not valid: ${EXPECTED}`,
      'a pool is required: set --pools, POOLS or "pools" in the config file, or the one-pool shortcut --pool-host, POOL_HOST or "poolHost"',
    ]);
  });

  it('needs a restart to change, and --help says so with its default', () => {
    expect(RESTART_ONLY_KEYS.has('workers')).toBe(true);
    const text = helpText();
    expect(text).toMatch(/^ {2}--workers <n\|auto> +WORKERS +default 1$/m);
    expect(text.slice(text.indexOf('On SIGHUP'))).toContain('--workers');
  });
});
