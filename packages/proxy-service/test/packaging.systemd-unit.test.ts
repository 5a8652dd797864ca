/**
 * packaging/stratum-relay.service: checked by `systemd-analyze verify` (works offline on a unit
 * file, no systemd running as PID 1 needed) and against the config's defaults it must fit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FILE_ENV, configSchema, OPTIONS } from '@stratum-relay/config';
import { effectiveMaxConnections } from '../src/edge-settings';

const ROOT = join(__dirname, '..', '..', '..');
const UNIT_PATH = join(ROOT, 'packaging', 'stratum-relay.service');
const unitText = readFileSync(UNIT_PATH, 'utf8');
const defaults = configSchema.parse({ poolHost: 'pool.example' });

/** `Key=value` lines of the unit, by section; a key given twice keeps every value. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq === -1) throw new Error(`unreadable unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** A systemd time span (`45s`, `2min`, `500ms`, `1min 30s`) in milliseconds. */
function timeSpanMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let total = 0;
  for (const part of text.trim().split(/\s+/)) {
    const m = /^(\d+)(ms|s|sec|m|min|h)?$/.exec(part);
    if (m === null) throw new Error(`not a time span: ${text}`);
    total += Number(m[1]) * (units[m[2] ?? 's'] as number);
  }
  return total;
}

const service = parseUnit(unitText).get('Service') ?? new Map<string, string[]>();
const one = (key: string): string => {
  const values = service.get(key);
  if (values === undefined || values.length !== 1) throw new Error(`[Service] ${key}: expected exactly one value, got ${JSON.stringify(values)}`);
  return values[0] as string;
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-systemd-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `systemd-analyze verify` on a copy of the unit whose node path is this machine's node. */
function verify(text: string, name: string): { status: number | null; stderr: string } {
  // Only the interpreter's path is adapted (verify checks that ExecStart's program exists).
  const path = join(dir, name);
  writeFileSync(path, text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  const result = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stderr: result.stderr };
}

describe('packaging/stratum-relay.service', () => {
  it('passes systemd-analyze verify without a warning', () => {
    expect(execFileSync('systemd-analyze', ['--version'], { encoding: 'utf8' })).toMatch(/^systemd \d+/);
    expect(verify(unitText, 'stratum-relay.service')).toEqual({ status: 0, stderr: '' });
  });

  it('is a check that fails: verify reports a misspelt setting in a copy', () => {
    const broken = verify(unitText.replace('KillMode=mixed', 'KillMode=mixd'), 'stratum-relay-broken.service');
    expect(broken.stderr).toMatch(/Failed to parse kill mode/);
  });

  it('runs the bin shim of the repository as a dedicated non-root user, reading the config from CONFIG_FILE', () => {
    const [node, script] = one('ExecStart').split(/\s+/);
    expect(node).toBe('/usr/bin/node');
    expect(script).toMatch(/\/packages\/proxy-service\/bin\/stratum-proxy\.js$/);
    expect(existsSync(join(ROOT, 'packages/proxy-service/bin/stratum-proxy.js'))).toBe(true);
    const dynamic = service.get('DynamicUser')?.[0] === 'yes';
    if (!dynamic) expect(['root', '0', '']).not.toContain(one('User'));
    const env = (service.get('Environment') ?? []).map((e) => e.split('=')[0]);
    const known = new Set([...OPTIONS.map((o) => o.env), CONFIG_FILE_ENV, 'NODE_ENV']);
    expect(env.filter((name) => !known.has(name as string))).toEqual([]);
    expect(env).toContain(CONFIG_FILE_ENV);
  });

  it('is hardened: ProtectSystem=strict, NoNewPrivileges, no capabilities, only IP and unix sockets', () => {
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
  });

  it('gives the descriptors MAX_CONNECTIONS needs (2 per miner plus the reserve) at its default', () => {
    const limit = Number(one('LimitNOFILE'));
    expect(limit).toBeGreaterThanOrEqual(2 * defaults.maxConnections);
    expect(effectiveMaxConnections(defaults.maxConnections, limit)).toEqual({ max: defaults.maxConnections, lowered: false });
  });

  it('reloads with SIGHUP, stops with SIGTERM to the primary after the drain, restarts on failure but not on a bad config', () => {
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(one('KillMode')).toBe('mixed');
    expect(timeSpanMs(one('TimeoutStopSec'))).toBeGreaterThan(defaults.drainTimeoutMs);
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')).toBe('2');
  });

  it('documents the in-place upgrade with SIGUSR2 to the main process', () => {
    expect(unitText).toMatch(/systemctl kill --kill-whom=main --signal=SIGUSR2 stratum-relay/);
  });
});
