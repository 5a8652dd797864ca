import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, helpText, loadConfig } from '@stratum-relay/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-share-audit-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fromEnv = (text: string): unknown => loadConfig({ argv: ['--pool-host', 'h'], env: { SHARE_AUDIT: text } }).shareAudit;
const fromFlags = (...argv: string[]): unknown => loadConfig({ argv: ['--pool-host', 'h', ...argv], env: {} }).shareAudit;
function fromFile(value: unknown): unknown {
  const path = join(dir, 'c.json');
  writeFileSync(path, JSON.stringify({ poolHost: 'h', shareAudit: value }));
  return loadConfig({ argv: ['--config', path], env: {} }).shareAudit;
}
function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('SHARE_AUDIT modes', () => {
  it.each([
    ['all', true],
    ['ALL', true],
    ['off', false],
    ['Off', false],
    ['true', true],
    ['false', false],
    ['rejected', { mode: 'rejected', fraction: 0.01 }],
    ['rejected:0.05', { mode: 'rejected', fraction: 0.05 }],
    ['sample:0.1', { mode: 'sample', fraction: 0.1 }],
    ['sample:.25', { mode: 'sample', fraction: 0.25 }],
    ['sample:1', true],
    ['rejected:1.0', true],
  ])('reads SHARE_AUDIT=%s as %j', (text, expected) => {
    expect(fromEnv(text)).toEqual(expected);
  });

  it.each(['sample', 'sample:0', 'sample:1.5', 'sample:-0.1', 'sample:1e-3', 'rejected:', 'rejected:abc', 'some', 'rejected:0.1:2'])('refuses SHARE_AUDIT=%s, saying what it takes', (text) => {
    expect(problemsOf(() => fromEnv(text))).toEqual([
      `SHARE_AUDIT: "${text}" is not valid: expected all, rejected, rejected:<fraction>, sample:<fraction> or off (a fraction above 0 and at most 1, e.g. sample:0.05; true/false/1/0/yes/no also mean all/off)`,
    ]);
  });

  it('takes a mode after --share-audit, and keeps a bare flag as all and --no-share-audit as off', () => {
    expect(fromFlags('--share-audit', 'rejected')).toEqual({ mode: 'rejected', fraction: 0.01 });
    expect(fromFlags('--share-audit=sample:0.2')).toEqual({ mode: 'sample', fraction: 0.2 });
    expect(fromFlags('--share-audit')).toBe(true);
    expect(fromFlags('--share-audit', '--pool-port', '3334')).toBe(true);
    expect(fromFlags('--no-share-audit')).toBe(false);
  });

  it('takes booleans, the mode words and the object /status shows from the config file, nothing looser', () => {
    expect(fromFile(true)).toBe(true);
    expect(fromFile(false)).toBe(false);
    expect(fromFile('all')).toBe(true);
    expect(fromFile('off')).toBe(false);
    expect(fromFile('rejected:0.02')).toEqual({ mode: 'rejected', fraction: 0.02 });
    expect(fromFile({ mode: 'sample', fraction: 0.3 })).toEqual({ mode: 'sample', fraction: 0.3 });
    for (const bad of ['yes', 1, { mode: 'sample', fraction: 1.5 }, { mode: 'all' }]) {
      expect(problemsOf(() => fromFile(bad))).toHaveLength(1);
    }
  });

  it('freezes a sampling setting like the rest of the config', () => {
    expect(Object.isFrozen(fromEnv('sample:0.1'))).toBe(true);
  });

  it('says on --help what each mode can tell, and that a block candidate is only certain under all', () => {
    const help = helpText();
    expect(help).toContain('--share-audit <all|rejected|sample:f|off>');
    expect(help).toContain('a block candidate is only certain under all');
  });
});
