/**
 * When miners leave, however they leave, the proxy forgets them: no open connection in
 * stratum_active_connections, no request left in stratum_pending_requests, nobody on /status.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim } from '@stratum-relay/pool-sim';
import { RawMiner, getJson, scrapeMetrics, startProxyProcess, waitFor, type MetricSamples, type ProxyProcess } from '../src';

interface StatusBody {
  connections: { connectionId: number; worker: string | null }[];
}

describe('whole path: cleanup after miners leave', () => {
  let pool: PoolSim;
  let proxy: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;
  const raws: RawMiner[] = [];

  beforeAll(async () => {
    pool = new PoolSim({ profile: 'easy', difficulty: 0.000002, seed: 21 });
    const { port } = await pool.listen();
    proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: port });
  }, 60_000);

  afterAll(async () => {
    for (const r of raws) r.destroy();
    await farm?.stop();
    await proxy?.stop();
    await pool?.close();
  }, 60_000);

  const scrape = (): Promise<MetricSamples> => scrapeMetrics((proxy as ProxyProcess).metricsPort);
  const active = (m: MetricSamples): number | undefined => m.sum('stratum_active_connections');

  async function rawMiner(): Promise<RawMiner> {
    const raw = await RawMiner.connect((proxy as ProxyProcess).proxyPort);
    raws.push(raw);
    return raw;
  }

  it('returns to zero connections, zero pending requests and an empty /status after every kind of exit', async () => {
    const p = proxy as ProxyProcess;
    farm = new MinerFarm({ url: `127.0.0.1:${p.proxyPort}`, miners: 5, user: 'leave', hashrate: 20_000, seed: 2, stopGraceMs: 10_000 });
    await farm.start();

    // A miner that leaves with requests in flight: a burst of submits, then a reset at once.
    const crasher = await rawMiner();
    await crasher.request(1, 'mining.subscribe', []);
    await crasher.waitForResponse(1);
    await crasher.request(2, 'mining.authorize', ['crasher.1', 'x']);
    await crasher.waitForResponse(2);
    const burst = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: 100 + i, method: 'mining.submit', params: ['crasher.1', 'feed', '00000000', '5f5e1000', '00000000'] })).join('\n');
    await crasher.send(`${burst}\n`);
    crasher.reset();
    // A miner that sends a request and half-closes before the answer.
    const quitter = await rawMiner();
    await quitter.send('{"id":1,"method":"mining.subscribe","params":[]}\n{"id":2,"method":"mining.authorize","params":["quitter.1","x"]}\n');
    // A miner that connects and closes without a word, and one that never finishes its line.
    const silent = await rawMiner();
    const halfLine = await rawMiner();
    await halfLine.send('{"id":1,"method":"mining.subscr');

    await waitFor(() => farm !== undefined && farm.summary().authorized === 5, { timeoutMs: 30_000, what: 'the 5 miners to be authorized' });
    await waitFor(() => farm !== undefined && farm.progress().accepted >= 5, { timeoutMs: 60_000, what: 'a few accepted shares' });
    const during = await scrape();
    expect(active(during)).toBeGreaterThanOrEqual(5);
    const busy = await getJson<StatusBody>(p.metricsPort, '/status');
    expect(busy.connections.filter((c) => c.worker?.startsWith('leave.'))).toHaveLength(5);

    await quitter.end();
    await silent.end();
    halfLine.destroy();
    const summary = await farm.stop();
    expect(summary.connected).toBe(0);

    const after = await waitFor(
      async () => {
        const m = await scrape();
        return active(m) === 0 && m.get('stratum_pending_requests') === 0 ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'no open connection and no pending request', context: p.logs },
    );
    // 5 miners + the crasher, the quitter and the half line; the silent one left before its first
    // byte, so admission closed it before any pool was dialled: never a relayed connection.
    expect(after.sum('stratum_connections_total')).toBe(5 + 3);
    const status = await getJson<StatusBody>(p.metricsPort, '/status');
    expect(status.connections).toEqual([]);
    await waitFor(() => pool.stats().sessions.open === 0, { timeoutMs: 20_000, what: 'the pool to have no open session' });
    // Nothing the crasher had pending became a timeout: it was released with its connection.
    expect(after.sum('stratum_submit_timeouts_total')).toBe(0);
  }, 120_000);

  it('is still healthy and ready afterwards, and exits 0 on SIGTERM', async () => {
    const p = proxy as ProxyProcess;
    expect(await getJson(p.metricsPort, '/healthz')).toEqual({ status: 'ok' });
    expect(await getJson(p.metricsPort, '/readyz')).toEqual({ status: 'ready' });
    expect(await p.stop()).toEqual({ code: 0, signal: null });
  }, 30_000);
});
