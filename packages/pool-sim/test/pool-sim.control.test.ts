import { PoolSim, type PoolStats } from '../src';
import { useFixture } from './helpers/fixture';
import { findNonce } from './helpers/stratum-test-client';

async function http(port: number, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.json() };
}

describe('pool-sim control port', () => {
  const fx = useFixture();

  it('serves healthz, the stats as JSON, and advances the tip on POST /advance-tip', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    const h = await c.handshake('carol');
    const nonce = findNonce(h.job, h.extranonce1, '00000001', 0.00001);
    await c.request('mining.submit', ['carol', h.job.jobId, '00000001', h.job.ntime, nonce], 3);

    expect(await http(control.port, 'GET', '/healthz')).toEqual({ status: 200, body: { ok: true } });
    const stats = (await http(control.port, 'GET', '/stats')).body as PoolStats;
    expect(stats).toEqual(JSON.parse(JSON.stringify(pool.stats())));
    expect(stats.workers.carol?.accepted).toBe(1);
    expect(stats.totals.rejected).toEqual({ stale: 0, duplicate: 0, low_difficulty: 0, unauthorized: 0, not_subscribed: 0, other: 0 });

    const before = stats.tip.height;
    const adv = await http(control.port, 'POST', '/advance-tip');
    expect(adv).toEqual({ status: 200, body: { ok: true, height: before + 1 } });
    const notify = await c.nextNotification('mining.notify');
    expect(notify.params?.[8]).toBe(true);
  });

  it('answers 404 for unknown paths and 405 for a wrong method', async () => {
    const { pool } = await fx.pool();
    const control = await pool.controlListen(0);
    expect((await http(control.port, 'GET', '/nope')).status).toBe(404);
    expect((await http(control.port, 'GET', '/advance-tip')).status).toBe(405);
  });

  it('changes the difficulty through POST /difficulty', async () => {
    const { pool, port } = await fx.pool();
    const control = await pool.controlListen(0);
    const c = await fx.client(port);
    await c.handshake('dave');
    expect((await http(control.port, 'POST', '/difficulty?value=0.5')).status).toBe(200);
    expect((await c.nextNotification('mining.set_difficulty')).params).toEqual([0.5]);
    expect((await http(control.port, 'POST', '/difficulty?value=-1')).status).toBe(400);
  });

  it('closes the control server with the pool', async () => {
    const pool = new PoolSim({ jobIntervalMs: 0 });
    const control = await pool.controlListen(0);
    await pool.close();
    await expect(fetch(`http://127.0.0.1:${control.port}/healthz`)).rejects.toThrow();
  });
});
