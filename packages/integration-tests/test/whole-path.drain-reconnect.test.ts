/**
 * DRAIN_RECONNECT with real programs: miner-sim miners (which honour client.reconnect, as
 * cgminer-based firmware does) on instance A, SIGTERM to A with a drain deadline longer than the
 * test could wait: every miner is told to go to instance B, leaves A by itself (nobody forced)
 * and goes on mining through B. Without the reconnect A would hold them until the deadline.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim } from '@stratum-relay/pool-sim';
import { scrapeMetrics, startProxyProcess, waitFor, type ProxyProcess } from '../src';

const MINERS = 8;

function logLine(proxy: ProxyProcess, msg: string): Record<string, unknown> | undefined {
  for (const line of proxy.logs().split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed.msg === msg) return parsed;
  }
  return undefined;
}

describe('whole path: a drain that sends miners to another instance', () => {
  let pool: PoolSim;
  let a: ProxyProcess | undefined;
  let b: ProxyProcess | undefined;
  let farm: MinerFarm | undefined;

  beforeAll(async () => {
    pool = new PoolSim({ profile: 'easy', difficulty: 0.000002, seed: 31 });
    const { port } = await pool.listen();
    b = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: port });
    a = await startProxyProcess({
      poolHost: '127.0.0.1',
      poolPort: port,
      env: {
        LOG_LEVEL: 'info',
        // Far longer than the process is given to stop (ProxyProcess.stop kills it after 20 s).
        DRAIN_TIMEOUT_MS: '120s',
        DRAIN_RECONNECT: 'true',
        DRAIN_RECONNECT_HOST: '127.0.0.1',
        DRAIN_RECONNECT_PORT: String(b.proxyPort),
      },
    });
  }, 60_000);

  afterAll(async () => {
    await farm?.stop();
    await a?.stop();
    await b?.stop();
    await pool?.close();
  }, 60_000);

  it('moves every miner that honours client.reconnect before the deadline, nobody forced, and they mine on', async () => {
    const first = a as ProxyProcess;
    const second = b as ProxyProcess;
    farm = new MinerFarm({ url: `127.0.0.1:${first.proxyPort}`, miners: MINERS, user: 'mover', hashrate: 20_000, seed: 5, stopGraceMs: 10_000 });
    await farm.start();
    await waitFor(() => farm !== undefined && farm.summary().authorized === MINERS, { timeoutMs: 30_000, what: 'every miner authorized on A' });
    await waitFor(() => farm !== undefined && farm.progress().accepted >= MINERS, { timeoutMs: 60_000, what: 'shares accepted through A' });

    const exit = await first.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    const closed = logLine(first, 'connections closed');
    expect(closed).toMatchObject({ drained: MINERS, forced: 0, aborted: false });
    const told = closed?.reconnects as { sent: number; after_line: number; skipped: number };
    expect(told.sent + told.after_line).toBe(MINERS);
    expect(logLine(first, 'shutting down: no new connections, draining open ones')).toMatchObject({ drain_reconnect: true, open_connections: MINERS });

    await waitFor(async () => (await scrapeMetrics(second.metricsPort)).sum('stratum_active_connections') === MINERS, {
      timeoutMs: 30_000,
      what: 'every miner connected to B',
    });
    const before = farm.progress().accepted;
    await waitFor(() => farm !== undefined && farm.progress().accepted >= before + MINERS, { timeoutMs: 60_000, what: 'shares accepted through B' });
    expect(farm.summary().reconnects).toBe(MINERS);
    expect((await scrapeMetrics(second.metricsPort)).sum('stratum_accepted_shares_total')).toBeGreaterThan(0);
  }, 120_000);
});
