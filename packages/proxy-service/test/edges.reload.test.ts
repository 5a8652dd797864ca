import { ConfigError } from '@stratum-relay/config';
import { cleanupAll, connectMiner, waitFor, type MinerClient } from './service-test-kit';
import {
  cleanupEdges,
  connectFrom,
  httpGet,
  scrape,
  startService,
  startTaggedPool,
  tempConfigFile,
  valueOf,
  type ConfigFile,
  type RunningService,
  type TaggedPool,
} from './helpers/edges-kit';

afterEach(async () => {
  await cleanupEdges();
  await cleanupAll();
});

/** What every version of the file keeps: loopback ports chosen by the OS, fast probes, no drain wait. */
const BASE = {
  proxyHost: '127.0.0.1',
  proxyPort: 0,
  metricsHost: '127.0.0.1',
  metricsPort: 0,
  poolProbeIntervalMs: 100,
  drainTimeoutMs: 0,
  logLevel: 'info',
};

const poolUrl = (pool: TaggedPool): string => `stratum+tcp://127.0.0.1:${pool.port}`;

interface Setup {
  readonly file: ConfigFile;
  readonly a: TaggedPool;
  readonly b: TaggedPool;
  readonly run: RunningService;
}

/** Pools a and b up; the proxy started from a config file naming only a (and nothing in the environment but CONFIG_FILE). */
async function startFromFile(extra: Record<string, unknown> = {}, openFilesLimit?: number | null): Promise<Setup> {
  const a = await startTaggedPool('a', 'aa000001');
  const b = await startTaggedPool('b', 'bb000002');
  const file = tempConfigFile();
  file.write({ ...BASE, pools: [poolUrl(a)], ...extra });
  const run = await startService({ CONFIG_FILE: file.path }, { defaults: false, ...(openFilesLimit !== undefined ? { openFilesLimit } : {}) });
  return { file, a, b, run };
}

/** Subscribe and authorize; resolves with the extranonce1 the pool handed out (which pool it is). */
async function handshake(miner: MinerClient, worker: string): Promise<string> {
  miner.send({ id: 1, method: 'mining.subscribe', params: ['edges/1.0'] });
  miner.send({ id: 2, method: 'mining.authorize', params: [worker, 'x'] });
  const subscribed = await miner.response(1);
  await miner.response(2);
  return (subscribed.result as [unknown, string, number])[1];
}

/** A submit relayed to the pool; resolves with the tag of the pool that answered. */
async function submit(miner: MinerClient, id: number, worker: string): Promise<string> {
  miner.send({ id, method: 'mining.submit', params: [worker, 'job1', '00000000', '5f5e1000', '12345678'] });
  await miner.response(id);
  const line = miner.lines.map((l) => JSON.parse(l) as { id?: unknown; pool?: string }).find((m) => m.id === id);
  return line?.pool ?? 'none';
}

describe('SIGHUP reload, in process', () => {
  it('applies a new pool order and allow-list to new connections, keeps the established miner relaying, and ignores a port change', async () => {
    const { file, a, b, run } = await startFromFile();
    const established = await connectMiner(run.proxyPort);
    expect(await handshake(established, 'alice.rig1')).toBe(a.extranonce1);
    expect(await submit(established, 3, 'alice.rig1')).toBe('a');

    file.write({ ...BASE, pools: [poolUrl(b), poolUrl(a)], allowFrom: ['127.0.0.1'], proxyPort: 3999 });
    const result = run.service.reload(run.reloadConfig());
    expect(result.ok).toBe(true);
    expect(result.ignored).toEqual(['proxyPort']);
    expect([...result.applied].sort()).toEqual(['allowFrom', 'pools']);
    expect(run.service.config.proxyPort).toBe(0);
    expect(run.service.config.pools.map((p) => p.port)).toEqual([b.port, a.port]);
    expect(run.log.find('config reload: these settings need a restart')).toMatchObject({ level: 'warn', keys: ['proxyPort'] });
    expect(run.log.find('config reloaded')).toMatchObject({ level: 'info' });

    // The established miner is untouched: still on a, still relayed both ways.
    expect(await submit(established, 4, 'alice.rig1')).toBe('a');
    expect(established.socket.destroyed).toBe(false);

    // A new miner goes to the new primary once a probe found it up.
    await waitFor('pool b up as the new primary', () => {
      const first = run.service.proxyServer?.upstreams.states()[0];
      return first?.port === b.port && first.up === true ? true : undefined;
    });
    const newcomer = await connectMiner(run.proxyPort);
    expect(await handshake(newcomer, 'bob.rig2')).toBe(b.extranonce1);
    expect(await submit(newcomer, 3, 'bob.rig2')).toBe('b');
    expect(b.minerSessions()).toBe(1);
    expect(a.minerSessions()).toBe(1);

    // 127.0.0.2 is not in the new allow-list: refused before any pool is dialled.
    expect(await connectFrom(run.proxyPort, '127.0.0.2')).toBe('closed');
    expect(a.minerSessions() + b.minerSessions()).toBe(2);

    const metrics = await scrape(run.metricsPort);
    expect(valueOf(metrics, 'stratum_connections_rejected_total', { reason: 'not_allowed' })).toBe(1);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'success' })).toBe(1);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'failure' })).toBe(0);
    const status = JSON.parse((await httpGet(run.metricsPort, '/status')).body) as {
      reload: { count: number; lastSuccessAt: string | null };
      pools: { port: number; priority: number }[];
    };
    expect(status.reload.count).toBe(1);
    expect(Date.parse(status.reload.lastSuccessAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(status.pools.map((p) => [p.port, p.priority])).toEqual([
      [b.port, 0],
      [a.port, 1],
    ]);
    expect(established.socket.destroyed).toBe(false);
  });

  // /status "config" is the config in force, not the one given at start.
  it('shows the reloaded config on /status', async () => {
    const { file, a, b, run } = await startFromFile();
    file.write({ ...BASE, pools: [poolUrl(b), poolUrl(a)], allowFrom: ['127.0.0.1'] });
    expect(run.service.reload(run.reloadConfig())).toMatchObject({ ok: true });
    const status = JSON.parse((await httpGet(run.metricsPort, '/status')).body) as { config: { allowFrom: unknown; pools: { port: number }[] } };
    expect(status.config.allowFrom).toEqual(['127.0.0.1/32']);
    expect(status.config.pools.map((p) => p.port)).toEqual([b.port, a.port]);
  });

  // What a reload reports as applied is applied: timeouts and caps for new connections.
  it('applies a new idle timeout it reports as applied to new connections', async () => {
    const { file, a, run } = await startFromFile();
    file.write({ ...BASE, pools: [poolUrl(a)], idleTimeoutMs: 300 });
    expect(run.service.reload(run.reloadConfig())).toMatchObject({ ok: true, applied: ['idleTimeoutMs'] });
    const miner = await connectMiner(run.proxyPort);
    await handshake(miner, 'idle.rig1');
    await waitFor('the idle miner closed by the 300 ms idle timeout', () => (miner.socket.destroyed ? true : undefined), 1_500);
  });

  // The drain deadline is the config in force's.
  it('drains with the reloaded DRAIN_TIMEOUT_MS', async () => {
    const { file, a, run } = await startFromFile({ drainTimeoutMs: 60_000 });
    file.write({ ...BASE, pools: [poolUrl(a)], drainTimeoutMs: 100 });
    expect(run.service.reload(run.reloadConfig())).toMatchObject({ ok: true, applied: ['drainTimeoutMs'] });
    const miner = await connectMiner(run.proxyPort);
    await handshake(miner, 'drain.rig1');
    const shutdown = run.service.shutdown('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([shutdown, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 1_500)))]);
    clearTimeout(timer);
    // At cleanup, a second shutdown() closes whatever is left at once.
    expect(result).toMatchObject({ forced: 1 });
  });

  // A reload probes the new pool list at once: a new primary does not wait a probe interval.
  it('sends the next new miner to the new primary without waiting for a probe interval', async () => {
    const { file, a, b, run } = await startFromFile({ poolProbeIntervalMs: 60_000 });
    await waitFor('pool a up', () => (run.service.proxyServer?.upstreams.states()[0]?.up === true ? true : undefined));
    file.write({ ...BASE, poolProbeIntervalMs: 60_000, pools: [poolUrl(b), poolUrl(a)] });
    expect(run.service.reload(run.reloadConfig())).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const miner = await connectMiner(run.proxyPort);
    expect(await handshake(miner, 'next.rig1')).toBe(b.extranonce1);
  });

  // Nor does /readyz turn 503 ("no pool has answered a probe yet") after a reload to an all-new
  // pool list: a load balancer would take the instance out of rotation.
  it('stays ready across a reload that swaps the pool list for pools that are up', async () => {
    const { file, b, run } = await startFromFile({ poolProbeIntervalMs: 60_000 });
    await waitFor('pool a up', () => (run.service.proxyServer?.upstreams.states()[0]?.up === true ? true : undefined));
    expect((await httpGet(run.metricsPort, '/readyz')).status).toBe(200);
    file.write({ ...BASE, poolProbeIntervalMs: 60_000, pools: [poolUrl(b)] });
    expect(run.service.reload(run.reloadConfig())).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await httpGet(run.metricsPort, '/readyz')).toMatchObject({ status: 200 });
  });

  it('rejects a file that does not validate: the failure is counted and logged, and the running config stays', async () => {
    const { file, a, run } = await startFromFile();
    const before = run.service.config;
    const limitBefore = valueOf(await scrape(run.metricsPort), 'stratum_max_connections');
    const miner = await connectMiner(run.proxyPort);
    expect(await handshake(miner, 'carol.rig3')).toBe(a.extranonce1);

    file.write({ ...BASE, pools: [poolUrl(a)], maxConnections: -1 });
    let caught: unknown;
    try {
      run.reloadConfig();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems.join('\n')).toMatch(/maxConnections/);
    run.service.rejectReload(problems);

    expect(run.service.config).toBe(before);
    const metrics = await scrape(run.metricsPort);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'failure' })).toBe(1);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'success' })).toBe(0);
    expect(valueOf(metrics, 'stratum_max_connections')).toBe(limitBefore);
    const rejected = run.log.find('config reload rejected');
    expect(rejected).toMatchObject({ level: 'error', errors: problems });
    const status = JSON.parse((await httpGet(run.metricsPort, '/status')).body) as { reload: { count: number; lastSuccessAt: string | null } };
    expect(status.reload).toEqual({ count: 0, lastSuccessAt: null });
    expect(await submit(miner, 3, 'carol.rig3')).toBe('a');
  });

  it('judges a reload by the config it will run: a TLS listener added by a reload is restart-only, so its certificate files are not needed', async () => {
    const { a, run } = await startFromFile();
    const before = run.service.config;
    const next = { ...before, tlsPort: 0, tlsCertFile: '/nonexistent/edges-cert.pem', tlsKeyFile: '/nonexistent/edges-key.pem' };
    const result = run.service.reload(next);
    expect(result.ok).toBe(true);
    expect(result.ignored).toEqual(['tlsPort']);
    expect(run.service.config.tlsPort).toBeNull();
    const miner = await connectMiner(run.proxyPort);
    expect(await handshake(miner, 'dave.rig4')).toBe(a.extranonce1);
  });
});

describe('MAX_CONNECTIONS and the open-files limit', () => {
  it('lowers the limit to what RLIMIT_NOFILE allows, warns, and shows both on /status and in stratum_max_connections', async () => {
    const pool = await startTaggedPool('a', 'aa000001');
    // 2 descriptors per miner plus a reserve of 100: 300 → 100 miners.
    const run = await startService({ POOL_HOST: '127.0.0.1', POOL_PORT: String(pool.port), MAX_CONNECTIONS: '5000' }, { openFilesLimit: 300 });
    expect(run.log.find('MAX_CONNECTIONS is above what the open-files limit allows')).toMatchObject({
      level: 'warn',
      max_connections: 5000,
      effective_max_connections: 100,
      open_files_limit: 300,
    });
    const status = JSON.parse((await httpGet(run.metricsPort, '/status')).body) as { maxConnections: unknown };
    expect(status.maxConnections).toEqual({ configured: 5000, effective: 100 });
    expect(valueOf(await scrape(run.metricsPort), 'stratum_max_connections')).toBe(100);
  });

  it('keeps the configured limit, without a warning, when the descriptors allow it or the limit is unknown', async () => {
    const pool = await startTaggedPool('a', 'aa000001');
    const run = await startService({ POOL_HOST: '127.0.0.1', POOL_PORT: String(pool.port), MAX_CONNECTIONS: '50' }, { openFilesLimit: null });
    expect(run.log.find('MAX_CONNECTIONS is above')).toBeUndefined();
    const status = JSON.parse((await httpGet(run.metricsPort, '/status')).body) as { maxConnections: unknown };
    expect(status.maxConnections).toEqual({ configured: 50, effective: 50 });
  });

  it('refuses the miner past the effective limit with reason max_connections', async () => {
    const pool = await startTaggedPool('a', 'aa000001');
    // (102 - 100) / 2 = 1 miner.
    const run = await startService({ POOL_HOST: '127.0.0.1', POOL_PORT: String(pool.port), MAX_CONNECTIONS: '10' }, { openFilesLimit: 102 });
    const first = await connectMiner(run.proxyPort);
    expect(await handshake(first, 'erin.rig5')).toBe(pool.extranonce1);
    const second = await connectMiner(run.proxyPort);
    await waitFor('the second miner refused', () => (second.socket.destroyed ? true : undefined), 5_000);
    expect(valueOf(await scrape(run.metricsPort), 'stratum_connections_rejected_total', { reason: 'max_connections' })).toBe(1);
    expect(first.socket.destroyed).toBe(false);
  });

  // /status shows the effective limit in force, as the gauge does.
  it('recomputes the effective limit when a reload changes MAX_CONNECTIONS, on /status as in the gauge', async () => {
    const { file, a, run } = await startFromFile({ maxConnections: 50 }, 300);
    expect(JSON.parse((await httpGet(run.metricsPort, '/status')).body)).toMatchObject({ maxConnections: { configured: 50, effective: 50 } });

    file.write({ ...BASE, pools: [poolUrl(a)], maxConnections: 5000 });
    expect(run.service.reload(run.reloadConfig())).toMatchObject({ ok: true, applied: ['maxConnections'] });
    expect(valueOf(await scrape(run.metricsPort), 'stratum_max_connections')).toBe(100);
    expect(JSON.parse((await httpGet(run.metricsPort, '/status')).body)).toMatchObject({ maxConnections: { configured: 5000, effective: 100 } });
  });
});
