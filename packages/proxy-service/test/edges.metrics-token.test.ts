import { writeFileSync } from 'node:fs';
import { ConfigError } from '@stratum-relay/config';
import { connectMiner, cleanupAll } from './service-test-kit';
import { basic, bearer, cleanupEdges, httpGet, scrape, startService, startTaggedPool, tempFile, valueOf, type RunningService } from './helpers/edges-kit';

afterEach(async () => {
  await cleanupEdges();
  await cleanupAll();
});

const TOKEN = 'edge-token-7Qx9zK2mW4pL';
const GUARDED = ['/metrics', '/status', '/no/such/path'] as const;
const OPEN = ['/healthz', '/readyz'] as const;

async function serviceWithPool(env: Record<string, string>): Promise<RunningService> {
  const pool = await startTaggedPool('a', 'aa000001');
  // A short probe interval: /readyz is 200 only once a pool answered a probe.
  return startService({ POOL_HOST: '127.0.0.1', POOL_PORT: String(pool.port), POOL_PROBE_INTERVAL_MS: '100', ...env });
}

async function readyOpen(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await httpGet(port, '/readyz')).status !== 200) {
    if (Date.now() > deadline) throw new Error('/readyz did not turn 200 within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The guarded paths answer `status` with these headers. */
async function expectGuarded(port: number, headers: Record<string, string>, status: number): Promise<void> {
  for (const path of GUARDED) {
    const expected = path === '/no/such/path' && status === 200 ? 404 : status;
    expect({ path, status: (await httpGet(port, path, headers)).status }).toEqual({ path, status: expected });
  }
}

describe('METRICS_TOKEN on the metrics port', () => {
  it('answers 401 without credentials and with a wrong token on every path but /healthz and /readyz', async () => {
    const run = await serviceWithPool({ METRICS_TOKEN: TOKEN });
    await readyOpen(run.metricsPort);
    await expectGuarded(run.metricsPort, {}, 401);
    await expectGuarded(run.metricsPort, bearer('wrong-token'), 401);
    await expectGuarded(run.metricsPort, bearer(`${TOKEN}x`), 401);
    await expectGuarded(run.metricsPort, bearer(TOKEN.slice(0, -1)), 401);
    await expectGuarded(run.metricsPort, basic('prometheus', 'wrong-token'), 401);
    // The token as the user name is not the token as the password.
    await expectGuarded(run.metricsPort, basic(TOKEN, 'x'), 401);
    await expectGuarded(run.metricsPort, { authorization: TOKEN }, 401);
    const refused = await httpGet(run.metricsPort, '/metrics');
    expect(JSON.parse(refused.body)).toEqual({ error: 'unauthorized' });
    for (const path of OPEN) expect({ path, status: (await httpGet(run.metricsPort, path)).status }).toEqual({ path, status: 200 });
  });

  it('answers 200 to "Authorization: Bearer <token>" and to basic auth with any user and the token as password', async () => {
    const run = await serviceWithPool({ METRICS_TOKEN: TOKEN });
    await expectGuarded(run.metricsPort, bearer(TOKEN), 200);
    await expectGuarded(run.metricsPort, { authorization: `bearer ${TOKEN}` }, 200);
    await expectGuarded(run.metricsPort, basic('prometheus', TOKEN), 200);
    await expectGuarded(run.metricsPort, basic('', TOKEN), 200);
    const metrics = await httpGet(run.metricsPort, '/metrics', bearer(TOKEN));
    expect(metrics.body).toContain('# TYPE stratum_config_reloads_total counter');
  });

  it('never shows the token in /status or in a log line, even with a miner connected and a reload', async () => {
    const run = await serviceWithPool({ METRICS_TOKEN: TOKEN });
    const miner = await connectMiner(run.proxyPort);
    miner.send({ id: 1, method: 'mining.subscribe', params: ['edges/1.0'] });
    miner.send({ id: 2, method: 'mining.authorize', params: ['alice.rig1', 'x'] });
    await miner.response(2);
    expect(run.service.reload(run.reloadConfig())).toMatchObject({ ok: true });

    const status = await httpGet(run.metricsPort, '/status', bearer(TOKEN));
    expect(status.status).toBe(200);
    expect(status.body).not.toContain(TOKEN);
    const body = JSON.parse(status.body) as { config: Record<string, unknown>; connections: unknown[] };
    expect(body.connections).toHaveLength(1);
    expect(Object.keys(body.config).filter((k) => /token/i.test(k))).toEqual([]);
    // The 401s above and below must not log what was presented either.
    await httpGet(run.metricsPort, '/metrics', bearer('presented-wrong-token'));

    await run.service.shutdown('test');
    expect(run.log.lines.length).toBeGreaterThan(3);
    expect(run.log.lines.join('\n')).not.toContain(TOKEN);
    expect(run.log.lines.join('\n')).not.toContain('presented-wrong-token');
    expect(run.log.find('metrics HTTP server listening')).toMatchObject({ metrics_token: true });
  });
});

describe('METRICS_TOKEN_FILE', () => {
  it('guards the same paths with the token the file holds (surrounding whitespace ignored)', async () => {
    const file = tempFile('metrics.token', `\n  ${TOKEN}  \n`);
    const run = await serviceWithPool({ METRICS_TOKEN_FILE: file });
    await readyOpen(run.metricsPort);
    await expectGuarded(run.metricsPort, {}, 401);
    await expectGuarded(run.metricsPort, bearer('wrong-token'), 401);
    await expectGuarded(run.metricsPort, bearer(TOKEN), 200);
    await expectGuarded(run.metricsPort, basic('scraper', TOKEN), 200);
    for (const path of OPEN) expect((await httpGet(run.metricsPort, path)).status).toBe(200);
    const status = await httpGet(run.metricsPort, '/status', bearer(TOKEN));
    expect(status.body).not.toContain(TOKEN);
    expect(run.log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('after the file is rewritten and the config reloaded, the new token works and the old one gets 401', async () => {
    const file = tempFile('metrics.token', `${TOKEN}\n`);
    const run = await serviceWithPool({ METRICS_TOKEN_FILE: file });
    const rotated = 'rotated-token-Vb3nM8qR';
    writeFileSync(file, `${rotated}\n`);
    // Until the reload, the token read at start stays in force.
    expect((await httpGet(run.metricsPort, '/metrics', bearer(TOKEN))).status).toBe(200);
    expect((await httpGet(run.metricsPort, '/metrics', bearer(rotated))).status).toBe(401);

    expect(run.service.reload(run.reloadConfig())).toEqual({ ok: true, applied: [], ignored: [], errors: [] });
    await expectGuarded(run.metricsPort, bearer(rotated), 200);
    await expectGuarded(run.metricsPort, basic('prometheus', rotated), 200);
    await expectGuarded(run.metricsPort, bearer(TOKEN), 401);
    await expectGuarded(run.metricsPort, basic('prometheus', TOKEN), 401);
    const metrics = await scrape(run.metricsPort, bearer(rotated));
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'success' })).toBe(1);
    expect(run.log.lines.join('\n')).not.toContain(rotated);
  });

  it('keeps the running token when the file is emptied mid-rotation: the reload is rejected', async () => {
    const file = tempFile('metrics.token', `${TOKEN}\n`);
    const run = await serviceWithPool({ METRICS_TOKEN_FILE: file });

    // Emptied before the config is loaded: loadConfig refuses the file.
    writeFileSync(file, '\n');
    let problems: readonly string[] = [];
    try {
      run.reloadConfig();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems.join('\n')).toMatch(/METRICS_TOKEN_FILE/);
    run.service.rejectReload(problems);

    // Emptied between loading the config and applying it: the reload itself refuses it.
    writeFileSync(file, `${TOKEN}\n`);
    const next = run.reloadConfig();
    writeFileSync(file, '   \n');
    const result = run.service.reload(next);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toMatch(/METRICS_TOKEN_FILE/);

    await expectGuarded(run.metricsPort, bearer(TOKEN), 200);
    await expectGuarded(run.metricsPort, {}, 401);
    const metrics = await scrape(run.metricsPort, bearer(TOKEN));
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'failure' })).toBe(2);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'success' })).toBe(0);
    const rejected = run.log.json().filter((l) => l.msg === 'config reload rejected: the running config stays');
    expect(rejected).toHaveLength(2);
    expect(run.log.lines.join('\n')).not.toContain(TOKEN);
  });
});
