/**
 * MAX_CONNECTIONS above what the open-files limit allows. Measured before: the proxy accepted
 * miners it could not serve, their upstream connects failed with EMFILE (counted as pool
 * failures), stratum_pool_up flapped and /healthz stopped answering. Now the proxy lowers its
 * limit to 2 descriptors per miner plus a reserve, refuses at that limit, and keeps answering
 * /healthz, /readyz and /metrics while full.
 */
import { connect, type Socket } from 'node:net';
import { PoolSim } from '@stratum-relay/pool-sim';
import { getJson, httpRequest, scrapeMetrics, startProxyProcess, waitFor, type ProxyProcess } from '../src';

const OPEN_FILES = 400;
/** (400 − the reserve of 100) / 2 descriptors per miner. */
const EFFECTIVE = 150;
const MINERS = 200;

describe('whole path: MAX_CONNECTIONS above the open-files limit', () => {
  let pool: PoolSim;
  let proxy: ProxyProcess | undefined;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    pool = new PoolSim({ profile: 'easy', difficulty: 0.0001, seed: 5, jobIntervalMs: 0 });
    const { port } = await pool.listen();
    proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: port, openFilesLimit: OPEN_FILES });
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await proxy?.stop();
    await pool?.close();
  }, 60_000);

  it('warns, refuses at the lowered limit instead of failing with EMFILE, and keeps its HTTP endpoints answering', async () => {
    const p = proxy as ProxyProcess;
    expect(p.logs()).toContain('effective_max_connections');
    let answered = 0;
    let closed = 0;
    for (let i = 0; i < MINERS; i++) {
      const socket = connect({ host: '127.0.0.1', port: p.proxyPort });
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => closed++);
      socket.once('connect', () => socket.write(`{"id":1,"method":"mining.subscribe","params":["fd/${i}"]}\n`));
      socket.once('data', () => answered++);
    }
    await waitFor(() => answered + closed >= MINERS, { timeoutMs: 20_000, what: 'every miner answered or refused', context: p.logs });
    expect(answered).toBe(EFFECTIVE);
    expect(closed).toBe(MINERS - EFFECTIVE);

    // Full, and still observable: descriptors were kept in reserve for exactly this.
    expect((await httpRequest(p.metricsPort, '/healthz')).status).toBe(200);
    expect((await httpRequest(p.metricsPort, '/readyz')).status).toBe(200);
    const m = await scrapeMetrics(p.metricsPort);
    expect(m.get('stratum_max_connections')).toBe(EFFECTIVE);
    expect(m.get('stratum_connections_rejected_total', { reason: 'max_connections' })).toBe(MINERS - EFFECTIVE);
    expect(m.sum('stratum_upstream_connect_failures_total')).toBe(0);
    const status = await getJson<{ maxConnections: { configured: number; effective: number } }>(p.metricsPort, '/status');
    expect(status.maxConnections).toEqual({ configured: 10_000, effective: EFFECTIVE });
  }, 60_000);
});
