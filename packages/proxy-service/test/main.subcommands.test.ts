/**
 * The built `stratum-proxy` bin with its subcommands: --version, --help listing them, init ->
 * check-config -> run on the file written, and status against a running relay with a token.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommit, versionLine } from '@stratum-relay/config';
import { VERSION } from '@stratum-relay/proxy-service';
import { PROXY_COMMANDS, TOOL_COMMANDS } from '../src/cli/commands';
import { BIN, cleanupAll, connectMiner, PACKAGE_DIR, runProgram, runToExit, startLoopbackPool } from './service-test-kit';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-subcommands-'));
});
afterEach(cleanupAll);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The HTTP address a relay logged, whichever key style its log uses. */
function portOf(line: Record<string, unknown>, ...keys: string[]): number {
  for (const key of keys) {
    const address = line[key] as { port?: number } | undefined;
    if (typeof address?.port === 'number') return address.port;
  }
  throw new Error(`no address among ${keys.join(', ')} in ${JSON.stringify(line)}`);
}

describe('stratum-proxy (built bin) subcommands', () => {
  it('prints its version and commit for --version, -V and run --version, and exits 0', async () => {
    const line = versionLine('stratum-proxy', VERSION, buildCommit(PACKAGE_DIR));
    for (const args of [['--version'], ['-V'], ['run', '--version'], ['--pools', 'stratum+tcp://a:1', '--version']]) {
      expect(await runToExit(args, {})).toEqual({ code: 0, stdout: line.trimEnd(), stderr: '' });
    }
  });

  it('lists every subcommand in --help, and the bin sends the tool commands where the list says', async () => {
    const help = await runToExit(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: stratum-proxy \[command\] \[options\]/);
    for (const c of PROXY_COMMANDS) expect(help.stdout).toContain(c.usage);
    expect((await runToExit(['run', '--help'], {})).stdout).toBe(help.stdout);
    const shim = readFileSync(BIN, 'utf8');
    const listed = /const TOOL_COMMANDS = \[([^\]]*)\]/.exec(shim)?.[1]?.match(/'[^']+'/g)?.map((w) => w.slice(1, -1));
    expect(listed).toEqual([...TOOL_COMMANDS]);
    for (const word of ['status', 'init', 'check-config']) {
      const sub = await runToExit([word, '--help'], {});
      expect({ word, code: sub.code, usage: sub.stdout.split('\n')[0] }).toEqual({ word, code: 0, usage: expect.stringContaining(`stratum-proxy ${word}`) });
    }
  });

  it('writes a config with init, checks it with check-config and runs the relay on it; plain flags still run it', async () => {
    const pool = await startLoopbackPool();
    const file = join(dir, 'proxy.yaml');
    expect((await runToExit(['init', '-o', file], {})).code).toBe(0);
    writeFileSync(file, readFileSync(file, 'utf8').replace('stratum+tcp://pool.example.com:3333', `stratum+tcp://127.0.0.1:${pool.port}`));
    const checked = await runToExit(['check-config', file, '--proxy-port', '0', '--metrics-port', '0'], {});
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ pools: [expect.objectContaining({ port: pool.port })], proxyPort: 0 });

    for (const args of [
      ['run', '--config', file, '--proxy-port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0'],
      ['--pools', `stratum+tcp://127.0.0.1:${pool.port}`, '--proxy-port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0'],
    ]) {
      const relay = runProgram(args, { IDLE_TIMEOUT_MS: '10m' });
      await relay.waitForLog('proxy listening');
      relay.child.kill('SIGTERM');
      expect((await relay.exited).code).toBe(0);
    }
  });

  it('status summarizes a running relay: its pool, a miner and an accepted share; without the token it exits 1', async () => {
    const pool = await startLoopbackPool();
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'status-test-token\n');
    const relay = runProgram([], {
      POOLS: `stratum+tcp://127.0.0.1:${pool.port}`,
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      METRICS_TOKEN_FILE: tokenFile,
      POOL_PROBE_INTERVAL_MS: '200ms',
    });
    const url = `http://127.0.0.1:${portOf(await relay.waitForLog('metrics HTTP server listening'), 'metrics_address', 'metricsAddress')}`;
    const proxyPort = portOf(await relay.waitForLog('proxy listening'), 'proxy_address', 'proxyAddress', 'address');
    const miner = await connectMiner(proxyPort);
    miner.send({ id: 1, method: 'mining.subscribe', params: [] });
    miner.send({ id: 2, method: 'mining.authorize', params: ['farm.rig1', 'x'] });
    miner.send({ id: 3, method: 'mining.submit', params: ['farm.rig1', 'job', '00000000', '00000000', '00000000'] });
    await miner.response(3);

    const denied = await runToExit(['status', '--url', url], {});
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('401 unauthorized');

    const shown = await runToExit(['status', '--url', url, '--token-file', tokenFile], {});
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`stratum-relay ${VERSION} at ${url}`);
    expect(shown.stdout).toMatch(new RegExp(`0 +127\\.0\\.0\\.1:${pool.port} +up +1 +127\\.0\\.0\\.1:${pool.port}`));
    expect(shown.stdout).toContain('Miners:    1 connected');
    expect(shown.stdout).toContain('Shares:    1 submitted, 1 accepted, 0 rejected (0.0 %), 0 timed out');
  });
});
