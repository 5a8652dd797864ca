import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIONS } from '@stratum-relay/config';
import { assertBuilt, cleanupAll, occupiedPort, runToExit } from './service-test-kit';

const POOL_REQUIRED = 'a pool is required: set --pools, POOLS or "pools" in the config file, or the one-pool shortcut --pool-host, POOL_HOST or "poolHost"';

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'srl-main-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(cleanupAll);

describe('stratum-proxy command line', () => {
  it('prints every option with its env name and default for --help and exits 0', async () => {
    const { code, stdout, stderr } = await runToExit(['--help'], {});
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const option of OPTIONS) {
      const line = stdout.split('\n').find((l) => l.trimStart().startsWith(`${option.flag} `));
      expect(line).toContain(option.env);
      // A pool is required, as POOLS or as the POOL_HOST shortcut: each says it needs the other otherwise.
      expect(line).toMatch(option.key === 'pools' || option.key === 'poolHost' ? /required unless --pool(s|-host)$/ : /default \S+$/);
    }
    expect(stdout).toMatch(/--config <file> +CONFIG_FILE/);
  });

  it('prints help with -h even when the environment is invalid', async () => {
    const { code, stdout } = await runToExit(['-h'], { POOL_PORT: 'nope' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: stratum-proxy/);
  });

  it('exits 2 with the exact message for a bad environment value', async () => {
    const { code, stdout, stderr } = await runToExit([], { POOL_HOST: 'pool.example', POOL_PORT: '70000' });
    expect(code).toBe(2);
    expect(stderr).toBe('config error: POOL_PORT: "70000" is not valid: expected an integer from 1 to 65535');
    expect(stdout).toBe('');
  });

  it('exits 2 when no pool is given, naming both ways to give one', async () => {
    const { code, stderr } = await runToExit([], {});
    expect(code).toBe(2);
    expect(stderr).toBe(`config error: ${POOL_REQUIRED}`);
  });

  it('exits 2 when both POOLS and POOL_HOST are given', async () => {
    const { code, stderr } = await runToExit([], { POOLS: 'stratum+tcp://127.0.0.1:3333', POOL_HOST: '127.0.0.1' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^config error: POOLS and POOL_HOST\/POOL_PORT cannot be used together/);
  });

  it('never prints the password of a pool URL it rejects', async () => {
    const { code, stderr } = await runToExit([], { POOLS: 'stratum+tcp://acct:s3cr3t-pw@127.0.0.1:notaport' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^config error: POOLS/);
    expect(stderr).not.toContain('s3cr3t-pw');
  });

  it('prints every problem on its own line', async () => {
    const { code, stderr } = await runToExit(['--log-level', 'loud', '--pool-hots', 'x'], { MAX_CLIENT_IDS: 'lots' });
    expect(code).toBe(2);
    expect(stderr.split('\n')).toEqual([
      'config error: --log-level: "loud" is not valid: expected one of fatal, error, warn, info, debug, trace, silent',
      'config error: unknown option "--pool-hots" (did you mean --pool-host?)',
      'config error: MAX_CLIENT_IDS: "lots" is not valid: expected an integer of at least 0, or none for no limit',
      `config error: ${POOL_REQUIRED}`,
    ]);
  });

  it('exits 2 with line and column for a config file that is not valid JSON', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "poolHost": "pool.example",\n  "poolPort": 3333,,\n}\n');
    const { code, stderr } = await runToExit(['--config', file], {});
    expect(code).toBe(2);
    expect(stderr).toBe(`config error: config file ${file} is not valid JSON at line 3 column 20: Expected double-quoted property name`);
  });

  it('exits 1 with one clear line when the proxy port is in use', async () => {
    const port = await occupiedPort();
    const { code, stderr } = await runToExit([], {
      POOL_HOST: '127.0.0.1',
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: String(port),
      METRICS_PORT: '0',
    });
    expect(code).toBe(1);
    expect(stderr).toBe(`cannot listen on 127.0.0.1:${port}: address already in use (PROXY_PORT / --proxy-port)`);
  });

  it('logs a start failure as one fatal line with the sentence once and its code, the stack only at debug', async () => {
    const port = await occupiedPort();
    const env = { POOL_HOST: '127.0.0.1', PROXY_HOST: '127.0.0.1', PROXY_PORT: String(port), METRICS_PORT: '0' };
    const sentence = `cannot listen on 127.0.0.1:${port}: address already in use (PROXY_PORT / --proxy-port)`;
    const { stdout } = await runToExit([], env);
    const fatal = stdout.split('\n').filter((l) => l.includes('"level":"fatal"'));
    expect(fatal).toHaveLength(1);
    expect(JSON.parse(fatal[0] as string)).toMatchObject({ msg: 'cannot start', err: { type: 'ProxyServiceError', message: sentence, code: 'SRL_ERR_ADDRESS_IN_USE' } });
    expect(fatal[0]?.split('already in use')).toHaveLength(2);
    expect(fatal[0]).not.toContain('stack');
    const debug = await runToExit([], { ...env, LOG_LEVEL: 'debug' });
    const debugFatal = debug.stdout.split('\n').find((l) => l.includes('"level":"fatal"')) as string;
    expect((JSON.parse(debugFatal) as { err: { stack: string } }).err.stack).toContain('EADDRINUSE');
  });

  it('reports the proxy and metrics on the same port as a config error naming both', async () => {
    const { code, stderr } = await runToExit([], { POOL_HOST: '127.0.0.1', PROXY_PORT: '9444', METRICS_PORT: '9444' });
    expect(code).toBe(2);
    expect(stderr).toBe('config error: PROXY_PORT and METRICS_PORT are both 9444 (PROXY_PORT from PROXY_PORT, METRICS_PORT from METRICS_PORT) on 0.0.0.0: each listener needs its own port');
  });

  it('exits 1 with one clear line when the metrics port is in use', async () => {
    const port = await occupiedPort();
    const { code, stderr } = await runToExit([], {
      POOL_HOST: '127.0.0.1',
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(port),
    });
    expect(code).toBe(1);
    expect(stderr).toBe(`cannot listen on 127.0.0.1:${port}: address already in use (METRICS_PORT / --metrics-port)`);
  });
});
