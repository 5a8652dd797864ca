import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { readFileSync } from 'node:fs';
import { buildCommit, versionLine } from '@stratum-relay/config';
import { parseCliArgs, runCli, VERSION } from '@stratum-relay/miner-sim';
import { ScriptedPool } from './helpers/scripted-pool';
import { waitFor } from './helpers/wait-for';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'packages/miner-sim/bin/miner-sim.js');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI; `onSpawn` may signal it. Killed after a generous deadline. */
function runBin(args: string[], onSpawn?: (pid: number) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
    if (onSpawn !== undefined && child.pid !== undefined) onSpawn(child.pid);
  });
}

describe('miner-sim CLI (built binary)', () => {
  let pool: ScriptedPool;

  beforeAll(() => {
    // The bin shim runs dist/: build this package (and its references) first.
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/miner-sim'], { cwd: ROOT, stdio: 'pipe' });
  });
  beforeEach(async () => {
    pool = new ScriptedPool({ difficulty: 1e-6 });
    await pool.listen();
  });
  afterEach(async () => {
    await pool.close();
  });

  it('prints its version and commit for --version and -V, and exits 0', async () => {
    expect(VERSION).toBe((JSON.parse(readFileSync(path.join(ROOT, 'packages/miner-sim/package.json'), 'utf8')) as { version: string }).version);
    for (const flag of ['--version', '-V']) {
      const r = await runBin([flag]);
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: versionLine('miner-sim', VERSION, buildCommit(ROOT)), stderr: '' });
    }
  });

  it('prints usage for --help and exits 0', async () => {
    const r = await runBin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: miner-sim');
    expect(r.stdout).toContain('--expect-accept-ratio');
  });

  it.each([
    [['--bogus'], /unknown option "--bogus"/],
    [['--miners', 'many'], /--miners: expected a number/],
    [['--miners', '0'], /--miners: must be ≥ 1/],
    [['--url', 'stratum+ssl://x:1'], /--url: invalid pool url/],
    [['--fault', 'explode'], /--fault: invalid fault/],
    [['--id-style', 'weird'], /--id-style: expected one of/],
    [['--expect-accept-ratio', '2'], /must be ≤ 1/],
    [['positional'], /positional/i],
    [['--handshake-timeout', 'soon'], /--handshake-timeout: expected a number/],
    [['--backoff-max', '0'], /--backoff-max: must be ≥ 0.001/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const r = await runBin(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("Try 'miner-sim --help'");
    expect(r.stdout).toBe('');
  });

  it('mines until --shares and prints a JSON summary', async () => {
    const r = await runBin(['--url', pool.url, '--miners', '2', '--shares', '6', '--hashrate', '500k', '--json', '--expect-accept-ratio', '0.9']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s['accepted']).toEqual(expect.any(Number));
    expect(s['accepted'] as number).toBeGreaterThanOrEqual(6);
    expect(s['accept_ratio']).toBe(1);
    expect(s['passed']).toBe(true);
    expect(s['per_miner']).toBeUndefined();
    expect(s['latency_ms']).toEqual(expect.objectContaining({ p50: expect.any(Number), p99: expect.any(Number) }));
    // One key style with the relay's logs: snake_case at every depth.
    const keys = (v: unknown): string[] => (typeof v === 'object' && v !== null ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
    expect(keys(s).filter((k) => !/^[a-z][a-z0-9_]*$/.test(k))).toEqual([]);
    expect(r.stderr).toBe(''); // no progress line when stderr is not a TTY
  });

  it('exits 1 when the accept ratio is below --expect-accept-ratio', async () => {
    const r = await runBin(['--url', pool.url, '--shares', '4', '--hashrate', '500k', '--fault', 'invalid_nonce:1.0', '--expect-accept-ratio', '0.5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('low_difficulty');
    expect(r.stderr).toMatch(/accept ratio 0\.0000 is below --expect-accept-ratio 0\.5/);
  });

  it('stops cleanly on SIGINT and prints the summary', async () => {
    let pid = 0;
    const done = runBin(['--url', pool.url, '--hashrate', '200k'], (p) => (pid = p));
    await waitFor('an accepted share from the CLI', () => pool.submits.some((s) => s.accepted));
    process.kill(pid, 'SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('miner-sim summary');
    expect(r.stdout).toMatch(/latency\s+p50 [0-9.]+ ms, p99 [0-9.]+ ms/);
    await waitFor('the pool sees the close', () => pool.openConns.length === 0);
  });
});

describe('runCli in-process', () => {
  function io(isTTY: boolean): { stdout: PassThrough; stderr: PassThrough & { isTTY?: boolean }; out: () => string; err: () => string } {
    const stdout = new PassThrough();
    const stderr: PassThrough & { isTTY?: boolean } = new PassThrough();
    stderr.isTTY = isTTY;
    let o = '';
    let e = '';
    stdout.on('data', (d: Buffer) => (o += d.toString()));
    stderr.on('data', (d: Buffer) => (e += d.toString()));
    return { stdout, stderr, out: () => o, err: () => e };
  }

  it('treats --expect-accept-ratio with no answered share as a failure', async () => {
    const pool = new ScriptedPool({ difficulty: 1e9 });
    await pool.listen();
    try {
      const s = io(false);
      const code = await runCli(['--url', pool.url, '--duration', '0.3', '--expect-accept-ratio', '0.1', '--json'], {
        stdout: s.stdout,
        stderr: s.stderr,
        interrupted: new Promise(() => undefined),
      });
      expect(code).toBe(1);
      expect(JSON.parse(s.out())).toEqual(expect.objectContaining({ accept_ratio: null, expect_accept_ratio: 0.1, passed: false }));
      expect(s.err()).toContain('no answered shares');
    } finally {
      await pool.close();
    }
  });

  it('reports per miner its connects, reconnects and the extranonce1 it ended on in the --per-miner JSON summary', async () => {
    const pool = new ScriptedPool({ difficulty: 1e-6 });
    await pool.listen();
    try {
      const s = io(false);
      const code = await runCli(['--url', pool.url, '--miners', '2', '--shares', '4', '--hashrate', '500k', '--json', '--per-miner'], {
        stdout: s.stdout,
        stderr: s.stderr,
        interrupted: new Promise(() => undefined),
      });
      expect(code).toBe(0);
      const out = JSON.parse(s.out()) as { reconnects: number; per_miner: Array<Record<string, unknown>> };
      expect(out.reconnects).toBe(0);
      expect(out.per_miner.map((m) => m['worker'])).toEqual(['sim.1', 'sim.2']);
      const handedOut = pool.conns.map((c) => c.extranonce1).sort();
      expect(out.per_miner.map((m) => m['extranonce1']).sort()).toEqual(handedOut);
      for (const m of out.per_miner) expect(m).toEqual(expect.objectContaining({ connects: 1, reconnects: 0 }));
    } finally {
      await pool.close();
    }
  });

  it('draws a \\r progress line on a TTY and clears it before the summary', async () => {
    const pool = new ScriptedPool({ difficulty: 1e-6 });
    await pool.listen();
    try {
      const s = io(true);
      const code = await runCli(['--url', pool.url, '--duration', '1.3', '--hashrate', '100k'], {
        stdout: s.stdout,
        stderr: s.stderr,
        interrupted: new Promise(() => undefined),
      });
      expect(code).toBe(0);
      expect(s.err()).toMatch(/^\rminers 1\/1 connected \| accepted \d+ rejected 0 \| [0-9.]+ shares\/s/);
      expect(s.err().endsWith('\r\x1b[K')).toBe(true);
      expect(s.out()).toContain('accept ratio 100.00 %');
    } finally {
      await pool.close();
    }
  });

  it('maps every flag onto farm options', () => {
    const cmd = parseCliArgs([
      '--url', 'pool:1', '--miners', '3', '--user', 'u', '--password', 'p', '--duration', '1.5', '--shares', '9',
      '--hashrate', '2M', '--ramp-up', '10', '--id-style', 'reuse', '--fault', 'stale:0.5', '--fault', 'dup',
      '--seed', '7', '--submit-timeout', '2', '--version-rolling', '--extranonce-subscribe', '--json', '--per-miner',
      '--expect-accept-ratio', '0.75', '--connect-timeout', '3', '--handshake-timeout', '0.5', '--silence-timeout', '90',
      '--backoff-base', '0.1', '--backoff-max', '5', '--no-reconnect',
    ]);
    expect(cmd).toEqual({
      kind: 'run',
      json: true,
      perMiner: true,
      expectAcceptRatio: 0.75,
      farm: {
        url: 'pool:1', miners: 3, user: 'u', password: 'p', durationMs: 1500, shares: 9, hashrate: 2_000_000, rampUp: 10,
        idStyle: 'reuse', faults: [{ mode: 'stale', probability: 0.5 }, { mode: 'duplicate', count: 1 }], seed: 7,
        submitTimeoutMs: 2000, versionRolling: true, extranonceSubscribe: true, connectTimeoutMs: 3000, handshakeTimeoutMs: 500,
        silenceTimeoutMs: 90_000, backoffBaseMs: 100, backoffMaxMs: 5000, reconnect: false,
      },
    });
  });
});
