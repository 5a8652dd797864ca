/**
 * No pool to be had. The proxy (child process) is configured with pools on loopback ports nobody
 * listens on: it must say so before any miner shows up (/readyz, stratum_pool_up, /status), and a
 * miner that connects anyway is closed once every pool refused it, having seen no byte.
 */
import { performance } from 'node:perf_hooks';
import { RawMiner, within, freePort, getJson, httpRequest, scrapeMetrics, startProxyProcess, waitFor, type ProxyProcess } from '../src';

const PROBE_INTERVAL_MS = 1_000;

interface StatusPools {
  pools: { name: string; state: 'up' | 'down' | 'unknown'; lastError: string | null }[];
}

describe('whole path: pools unreachable', () => {
  const proxies: ProxyProcess[] = [];
  const raws: RawMiner[] = [];

  afterAll(async () => {
    for (const r of raws) r.destroy();
    await Promise.all(proxies.map((p) => p.stop()));
  }, 30_000);

  async function startProxy(pools: readonly string[]): Promise<{ proxy: ProxyProcess; startedAt: number }> {
    const startedAt = performance.now();
    const proxy = await startProxyProcess({
      pools: pools.map((name) => `stratum+tcp://${name}`),
      env: { POOL_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS), UPSTREAM_CONNECT_TIMEOUT_MS: '1000' },
    });
    proxies.push(proxy);
    return { proxy, startedAt };
  }

  it('a single pool on a closed port: /readyz is 503 and stratum_pool_up 0 within one probe interval, with no miner connected', async () => {
    const name = `127.0.0.1:${await freePort()}`;
    const { proxy } = await startProxy([name]);
    const healthyAt = performance.now();
    // The probe at start has been refused by then (a refusal takes no time on loopback); allow one interval.
    const status = await waitFor(
      async () => {
        const s = await getJson<StatusPools>(proxy.metricsPort, '/status');
        return s.pools[0]?.state === 'down' ? s : undefined;
      },
      { timeoutMs: PROBE_INTERVAL_MS, intervalMs: 50, what: 'the pool to be known down within one probe interval', context: proxy.logs },
    );
    expect(performance.now() - healthyAt).toBeLessThanOrEqual(PROBE_INTERVAL_MS + 200);
    expect(status.pools[0]?.lastError).toMatch(/ECONNREFUSED/);
    const readyz = await httpRequest(proxy.metricsPort, '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain(name);
    const m = await scrapeMetrics(proxy.metricsPort);
    expect(m.get('stratum_pool_up', { pool_host: name })).toBe(0);
    expect(m.sum('stratum_connections_total')).toBe(0);
    // Still alive and still saying so a few probes later.
    await new Promise((r) => setTimeout(r, 2 * PROBE_INTERVAL_MS));
    expect((await httpRequest(proxy.metricsPort, '/readyz')).status).toBe(503);
    expect((await httpRequest(proxy.metricsPort, '/healthz')).status).toBe(200);
  }, 30_000);

  it('every pool down: a miner is closed with reason upstream_failed after each pool refused it, and no pool is up', async () => {
    const names = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const { proxy } = await startProxy(names);
    await waitFor(async () => (await getJson<StatusPools>(proxy.metricsPort, '/status')).pools.every((p) => p.state === 'down'), {
      timeoutMs: 5_000,
      what: 'both pools down',
      context: proxy.logs,
    });

    const raw = await RawMiner.connect(proxy.proxyPort);
    raws.push(raw);
    await raw.request(1, 'mining.subscribe', ['raw/1.0']);
    await within(raw.peerEnded, 5_000, 'the proxy to close the miner');
    // Closed, not answered: nothing of any pool reached the miner.
    expect(raw.receivedBytes).toBe(0);

    const m = await waitFor(
      async () => {
        const s = await scrapeMetrics(proxy.metricsPort);
        return s.get('stratum_connection_closes_total', { side: 'proxy', reason: 'upstream_failed' }) === 1 ? s : undefined;
      },
      { timeoutMs: 5_000, what: 'the close to be counted as upstream_failed', context: proxy.logs },
    );
    expect(names.map((pool_host) => m.get('stratum_pool_up', { pool_host }))).toEqual([0, 0]);
    // Both pools were tried, in order, for this one miner: a pool known down is still better than a close.
    expect(names.map((pool_host) => m.get('stratum_upstream_connect_failures_total', { pool_host, reason: 'refused' }))).toEqual([1, 1]);
    expect(m.get('stratum_pool_failovers_total', { pool_host: names[0] as string })).toBe(1);
    expect(m.get('stratum_active_connections', { pool_host: 'none' }) ?? 0).toBe(0);
    expect((await httpRequest(proxy.metricsPort, '/readyz')).status).toBe(503);
  }, 30_000);
});
