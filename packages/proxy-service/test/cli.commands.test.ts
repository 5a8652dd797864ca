import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleConfig, loadConfig } from '@stratum-relay/config';
import { runProxyCommand } from '../src/cli/run-command';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-cli-commands-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Run a subcommand in-process; what it printed and its exit code. */
async function run(command: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runProxyCommand(command, argv, { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

describe('stratum-proxy init', () => {
  it('prints the YAML example on stdout by default', async () => {
    expect(await run('init', [])).toEqual({ code: 0, out: exampleConfig('yaml'), err: '' });
    expect((await run('init', ['--format', 'toml'])).out).toBe(exampleConfig('toml'));
  });

  it('writes -o FILE in the format its extension names, private to the owner, and keeps an existing file unless --force', async () => {
    const file = join(dir, 'proxy.toml');
    const first = await run('init', ['-o', file]);
    expect(first.code).toBe(0);
    expect(first.err).toContain(`stratum-proxy check-config ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(exampleConfig('toml'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadConfig({ argv: ['--config', file], env: {} }).pools).toHaveLength(1);

    writeFileSync(file, 'mine');
    expect(await run('init', ['--output', file])).toEqual({ code: 1, out: '', err: `stratum-proxy init: cannot write ${file}: it exists (use --force to replace it)\n` });
    expect(readFileSync(file, 'utf8')).toBe('mine');
    expect((await run('init', ['-o', file, '--force'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(exampleConfig('toml'));
  });

  it('refuses a format the file name would not load as, an unknown format and a stray word', async () => {
    const mismatch = await run('init', ['--format', 'json', '-o', join(dir, 'x.yaml')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toContain('a json config must be named .json');
    expect((await run('init', ['--format', 'ini'])).err).toContain('--format: "ini" is not valid: expected one of json, yaml, toml');
    expect((await run('init', ['proxy.yaml'])).code).toBe(2);
    expect((await run('init', ['--fromat', 'json'])).err).toContain('unknown option "--fromat" (did you mean --format?)');
  });
});

describe('stratum-proxy check-config', () => {
  it('prints the effective config with secrets hidden and URL passwords masked, and exits 0', async () => {
    const file = join(dir, 'secrets.yaml');
    writeFileSync(
      file,
      ['pools:', '  - stratum+tcp://acct.w:poolpass@pool.example:3333', 'metricsToken: s3cret-token', 'shareJournal: postgres://relay:dbpass@db.example/shares', 'idleTimeoutMs: 5m', ''].join('\n'),
    );
    const result = await run('check-config', [file]);
    expect(result.code).toBe(0);
    expect(result.err).toBe(`${file}: valid\n`);
    expect(result.out).not.toMatch(/poolpass|s3cret-token|dbpass/);
    const shown = JSON.parse(result.out) as Record<string, unknown>;
    expect(shown).toMatchObject({
      metricsToken: '(hidden)',
      shareJournal: 'postgres://relay:***@db.example/shares',
      idleTimeoutMs: 300_000,
      pools: [expect.objectContaining({ host: 'pool.example', account: 'acct.w', password: '(hidden)' })],
    });
  });

  it('applies the environment and options given after FILE, as the relay would', async () => {
    const file = join(dir, 'plain.json');
    writeFileSync(file, JSON.stringify({ poolHost: 'pool.example' }));
    const result = await run('check-config', [file, '--proxy-port', '4444'], { IDLE_TIMEOUT_MS: '30s' });
    expect(JSON.parse(result.out)).toMatchObject({ proxyPort: 4444, idleTimeoutMs: 30_000 });
  });

  it('lists every problem and exits 2 for an invalid file, a missing FILE or a missing file', async () => {
    const file = join(dir, 'bad.toml');
    writeFileSync(file, 'poolHots = "a"\nproxyPort = "x"\n');
    const bad = await run('check-config', [file]);
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(bad.err).toContain(`config error: config file ${file}: unknown key "poolHots" (did you mean "poolHost"?)`);
    expect(bad.err).toContain(`config error: config file ${file}: proxyPort: "x" is not valid`);
    expect(bad.err).toMatch(/invalid \(\d problems\)\n$/);
    expect((await run('check-config', [])).code).toBe(2);
    expect((await run('check-config', ['--proxy-port', '1'])).code).toBe(2);
    expect((await run('check-config', [join(dir, 'nope.yaml')])).code).toBe(2);
  });
});

describe('stratum-proxy status (against a stand-in HTTP server)', () => {
  let server: Server;
  let url: string;
  let difficulty = 100;
  const seen: Array<string | undefined> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== 'Bearer t0ken') {
        res.writeHead(401).end('unauthorized');
        return;
      }
      if (req.url === '/status') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ version: '9.9.9', uptimeSeconds: 100, pools: [{ name: 'main', host: 'a', port: 1, scheme: 'tcp', priority: 0, state: 'up', miners: 1 }], connections: [{}] }));
      } else if (req.url === '/metrics') {
        difficulty += 50;
        res.end(
          [
            `stratum_accepted_difficulty_total{client_id="w.1",pool_host="main"} ${difficulty}`,
            'stratum_accepted_shares_total{client_id="w.1",pool_host="main"} 10',
            'stratum_rejected_shares_total{client_id="w.1",pool_host="main",reason="stale"} 3',
            'stratum_submits_total{client_id="w.1",pool_host="main"} 13',
            '',
          ].join('\n'),
        );
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the token as Bearer and prints the summary', async () => {
    const result = await run('status', ['--url', url, '--token', 't0ken']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain(`stratum-relay 9.9.9 at ${url}, up 1m 40s`);
    expect(result.out).toContain('Shares:    13 submitted, 10 accepted, 3 rejected (23.1 %), 0 timed out');
    expect(result.out).toMatch(/w\.1 +3 +10 +23\.1 %/);
    expect(seen.slice(-2)).toEqual(['Bearer t0ken', 'Bearer t0ken']);
  });

  it('reads the token from --token-file, or METRICS_TOKEN_FILE / METRICS_TOKEN in the environment', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 't0ken\n');
    expect((await run('status', ['--url', url, '--token-file', file])).code).toBe(0);
    expect((await run('status', ['--url', url], { METRICS_TOKEN_FILE: file })).code).toBe(0);
    expect((await run('status', ['--url', url], { METRICS_TOKEN: 't0ken' })).code).toBe(0);
  });

  it('says a token is needed, or wrong, and exits 1', async () => {
    const none = await run('status', ['--url', url]);
    expect(none).toEqual({ code: 1, out: '', err: `stratum-proxy status: ${url}/status: 401 unauthorized: the instance has a METRICS_TOKEN; give it with --token-file or --token\n` });
    expect((await run('status', ['--url', url, '--token', 'nope'])).err).toContain('the token given is not the one the instance has');
  });

  it('takes the hashrate over --sample, and prints JSON with --json', async () => {
    const result = await run('status', ['--url', url, '--token', 't0ken', '--sample', '50ms', '--json']);
    const report = JSON.parse(result.out) as { hashrateOver: string; hashrate: number; shares: { rejected: number } };
    expect(report.shares.rejected).toBe(3);
    expect(report.hashrateOver).toMatch(/^\d+ms$/);
    expect(report.hashrate).toBeGreaterThan(0);
  });

  it('exits 1 when nothing answers, and 2 for bad flags', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await run('status', ['--url', `127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.err).toContain(`http://127.0.0.1:${port}/status: no answer (ECONNREFUSED)`);
    expect((await run('status', ['--url', 'ftp://x'])).code).toBe(2);
    expect((await run('status', ['--sample', 'soon'])).err).toContain('--sample: "soon" is not valid');
    expect((await run('status', ['--token', 'a', '--token-file', 'b'])).err).toContain('--token and --token-file cannot be used together');
  });
});

describe('stratum-proxy --version', () => {
  it('prints the program, its version and the commit line', async () => {
    const result = await run('--version', []);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^stratum-proxy 0\.1\.0 \(commit ([0-9a-f]{12}|unknown)\)\n$/);
  });
});
