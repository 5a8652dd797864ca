import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, OPTIONS, type ConfigKey } from '@stratum-relay/config';
import { formatDuration, isDurationKey, parseDurationText, parseMillisecondsText } from '../src/duration';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-durations-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const base = { argv: ['--pool-host', 'pool.example'] };

function problemsOf(env: Record<string, string>, argv: string[] = base.argv): readonly string[] {
  try {
    loadConfig({ argv, env });
  } catch (error) {
    expect((error as ConfigError).code).toBe('SRL_ERR_CONFIG');
    return (error as ConfigError).problems;
  }
  throw new Error('loadConfig did not throw');
}

const MS_OPTIONS = OPTIONS.filter((o) => o.env.endsWith('_MS'));

describe('parseDurationText', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0s', 0],
    ['-5s', -5_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationText(text)).toBe(ms);
  });

  it.each(['30', '30S', '10M', ' 30s', '30s ', '1m30s', '0.5ms', '1e3ms', 's', '', '30 s', '2d'])('is undefined for %j', (text) => {
    expect(parseDurationText(text)).toBeUndefined();
  });

  it('reads plain digits as milliseconds beside units in parseMillisecondsText', () => {
    expect([parseMillisecondsText('250'), parseMillisecondsText('2s'), parseMillisecondsText('-1'), parseMillisecondsText('1e3')]).toEqual([250, 2000, undefined, undefined]);
  });

  it('writes a millisecond count in the largest exact unit, and reads it back', () => {
    for (const ms of [0, 1, 250, 1_000, 1_500, 60_000, 90_000, 3_600_000, 7_200_000, 86_400_000]) {
      const text = formatDuration(ms);
      expect({ ms, back: ms === 0 ? 0 : parseDurationText(text) }).toEqual({ ms, back: ms });
    }
    expect([formatDuration(90_000), formatDuration(3_600_000), formatDuration(1_500)]).toEqual(['90s', '1h', '1500ms']);
  });
});

describe('every *_MS option takes a duration', () => {
  it('covers every option whose environment name ends in _MS, and only those', () => {
    expect(MS_OPTIONS.length).toBeGreaterThan(5);
    for (const o of OPTIONS) expect({ env: o.env, duration: isDurationKey(o.key) }).toEqual({ env: o.env, duration: o.env.endsWith('_MS') });
  });

  it.each(MS_OPTIONS.map((o) => [o.env, o]))('%s: 2m from env, 2m from the flag, "2m" in a file; a plain number is still ms', (_env, o) => {
    const fromEnv = loadConfig({ ...base, env: { [o.env]: '2m' } });
    const fromFlag = loadConfig({ argv: [...base.argv, o.flag, '2m'], env: {} });
    const fromInline = loadConfig({ argv: [...base.argv, `${o.flag}=2m`], env: {} });
    const file = join(dir, `${o.key}.yaml`);
    writeFileSync(file, `poolHost: pool.example\n${o.key}: 2m\n`);
    const fromYaml = loadConfig({ argv: ['--config', file], env: {} });
    const json = join(dir, `${o.key}.json`);
    writeFileSync(json, JSON.stringify({ poolHost: 'pool.example', [o.key]: '2m' }));
    const fromJson = loadConfig({ argv: ['--config', json], env: {} });
    const plain = loadConfig({ ...base, env: { [o.env]: '120000' } });
    const key: ConfigKey = o.key;
    expect([fromEnv, fromFlag, fromInline, fromYaml, fromJson, plain].map((c) => c[key])).toEqual([120_000, 120_000, 120_000, 120_000, 120_000, 120_000]);
  });

  it('accepts IDLE_TIMEOUT_MS=10s, the example from the issue', () => {
    expect(loadConfig({ ...base, env: { IDLE_TIMEOUT_MS: '10s' } }).idleTimeoutMs).toBe(10_000);
  });

  it('keeps none where an option took it, and 0 where 0 meant never', () => {
    expect(loadConfig({ ...base, env: { FAILBACK_DELAY_MS: 'none' } }).failbackDelayMs).toBeNull();
    expect(loadConfig({ ...base, env: { FAILBACK_DELAY_MS: '0s' } }).failbackDelayMs).toBe(0);
    expect(problemsOf({ IDLE_TIMEOUT_MS: 'none' })).toEqual([
      'IDLE_TIMEOUT_MS: "none" is not valid: expected a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)',
    ]);
  });

  it('checks the bounds on the milliseconds a duration stands for, and names them as durations', () => {
    expect(problemsOf({ POOL_PROBE_INTERVAL_MS: '50ms' })).toEqual([
      'POOL_PROBE_INTERVAL_MS: "50ms" is not valid: expected a duration of at least 100ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)',
    ]);
    expect(problemsOf({ IDLE_TIMEOUT_MS: '-1s' })).toHaveLength(1);
  });

  it('rejects a unit on an option that is not a time, and a time it cannot read', () => {
    expect(problemsOf({ MAX_LINE_BYTES: '30s' })).toEqual(['MAX_LINE_BYTES: "30s" is not valid: expected an integer from 256 to 67108864']);
    expect(problemsOf({ IDLE_TIMEOUT_MS: '10 s' })).toEqual([
      'IDLE_TIMEOUT_MS: "10 s" is not valid: expected a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)',
    ]);
  });

  it('keeps file types strict: a number is ms, "30s" a duration, "30000" not a number', () => {
    const file = join(dir, 'strict.json');
    writeFileSync(file, JSON.stringify({ poolHost: 'pool.example', idleTimeoutMs: '30000' }));
    expect(problemsOf({}, ['--config', file])).toEqual([
      `config file ${file}: idleTimeoutMs: "30000" is not valid: expected a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)`,
    ]);
  });
});
