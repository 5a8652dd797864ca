import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommit, versionLine } from '@stratum-relay/config';
import { parseCli, VERSION } from '../src';
import { StratumTestClient } from './helpers/stratum-test-client';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(__dirname, '..', 'bin', 'pool-sim.js');

function runToEnd(args: string[]): { code: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The Stratum and control ports from the program's "listening" line. */
async function listeningPorts(child: ChildProcess): Promise<[number, number]> {
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${String(code)}`)));
  });
  const m = /^pool-sim listening on 127\.0\.0\.1:(\d+) \(control on http:\/\/127\.0\.0\.1:(\d+)\)$/.exec(line);
  if (m === null) throw new Error(`unexpected first line: ${line}`);
  return [Number(m[1]), Number(m[2])];
}

describe('parseCli', () => {
  it('maps every flag to an option', () => {
    const cmd = parseCli([
      '--host', '0.0.0.0', '--port', '0', '--profile', 'realistic', '--difficulty', '0.0001',
      '--extranonce1-size', '8', '--extranonce2-size', '2', '--job-interval', '30s', '--tip-interval', '2m',
      '--no-vardiff', '--seed', '7', '--control-port', '9334', '--stats-file', 'out.json', '--log-level', 'warn',
      '--extranonce1-prefix', 'B1', '--name', 'backup', '--trace-entries', '0',
    ]);
    expect(cmd).toEqual({
      kind: 'run',
      options: {
        host: '0.0.0.0', port: 0, profile: 'realistic', difficulty: 0.0001, extranonce1Size: 8, extranonce2Size: 2,
        jobIntervalMs: 30_000, tipIntervalMs: 120_000, vardiff: false, seed: 7, logLevel: 'warn',
        extranonce1Prefix: 'B1', name: 'backup', traceEntries: 0,
      },
      controlPort: 9334,
      statsFile: 'out.json',
    });
  });

  it.each([
    [['--nope']],
    [['--port', '99999']],
    [['--difficulty', '0']],
    [['--profile', 'insane']],
    [['--job-interval', 'soon']],
    [['--log-level', 'loud']],
    [['positional']],
    [['--extranonce1-prefix', 'xyz']],
    [['--name', ' ']],
    [['--trace-entries', '-1']],
    [['--trace-entries', '1000001']],
  ])('rejects %j with SRL_ERR_POOL_SIM_CLI', (args) => {
    expect(() => parseCli(args)).toThrow(expect.objectContaining({ code: 'SRL_ERR_POOL_SIM_CLI' }));
  });
});

describe('pool-sim program (built bin)', () => {
  const children: ChildProcess[] = [];
  let dir = '';

  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/pool-sim'], {
      cwd: ROOT,
      stdio: 'pipe',
      timeout: 240_000,
    });
    dir = mkdtempSync(join(tmpdir(), 'pool-sim-cli-'));
  }, 300_000);

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('prints its version and commit for --version and -V, and exits 0', () => {
    expect(VERSION).toBe((JSON.parse(readFileSync(join(ROOT, 'packages/pool-sim/package.json'), 'utf8')) as { version: string }).version);
    for (const flag of ['--version', '-V']) expect(runToEnd([flag])).toEqual({ code: 0, stdout: versionLine('pool-sim', VERSION, buildCommit(ROOT)), stderr: '' });
  });

  it('prints the usage on --help and exits 0', () => {
    const r = runToEnd(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pool-sim');
    expect(r.stdout).toContain('--control-port');
  });

  it('exits 2 with a clear message on a bad flag', () => {
    const r = runToEnd(['--port', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port');
    expect(r.stderr).toContain('pool-sim --help');
    expect(runToEnd(['--what']).code).toBe(2);
    // The prefix is valid hex but leaves no byte of a 1-byte extranonce1 free: the options check says so.
    const tooLong = runToEnd(['--extranonce1-size', '1', '--extranonce1-prefix', 'ab']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('extranonce1Prefix');
  });

  it('gives extranonce1 values with its prefix, reports its name and kills sessions through POST /sessions/kill', async () => {
    const child = spawn(process.execPath, [BIN, '--port', '0', '--control-port', '0', '--log-level', 'silent', '--name', 'backup', '--extranonce1-prefix', 'b1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const [port, controlPort] = await listeningPorts(child);
    const client = await StratumTestClient.connect(port);
    try {
      expect((await client.handshake('w')).extranonce1).toMatch(/^b1[0-9a-f]{6}$/);
      const stats = (await (await fetch(`http://127.0.0.1:${controlPort}/stats`)).json()) as { name: string };
      expect(stats.name).toBe('backup');
      const kill = await fetch(`http://127.0.0.1:${controlPort}/sessions/kill`, { method: 'POST' });
      expect(await kill.json()).toEqual({ ok: true, killed: 1 });
      await new Promise<void>((resolve) => (client.closed ? resolve() : client.socket.once('close', () => resolve())));
    } finally {
      await client.close();
    }
  });

  it('serves miners, reports on its control port and writes the stats file on SIGTERM', async () => {
    const statsFile = join(dir, 'stats.json');
    const child = spawn(process.execPath, [BIN, '--port', '0', '--control-port', '0', '--stats-file', statsFile, '--log-level', 'silent'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const [port, controlPort] = await listeningPorts(child);
    const client = await StratumTestClient.connect(port);
    try {
      await client.handshake('cli-worker');
      const res = await fetch(`http://127.0.0.1:${controlPort}/stats`);
      const stats = (await res.json()) as { sessions: { open: number } };
      expect(stats.sessions.open).toBe(1);
    } finally {
      await client.close();
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const written = JSON.parse(readFileSync(statsFile, 'utf8')) as { sessions: { total: number } };
    expect(written.sessions.total).toBe(1);
  });
});
