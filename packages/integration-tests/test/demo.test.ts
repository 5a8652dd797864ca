/**
 * The README's main job, `node scripts/demo.js`: pool-sim + proxy + miners started through their
 * CLIs. It must move /metrics within seconds and stop by itself with exit 0.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT, freePort, scrapeMetrics, spawnNode, waitFor, type TrackedProcess } from '../src';

const DEMO = resolve(REPO_ROOT, 'scripts/demo.js');

describe('the demo script', () => {
  let demo: TrackedProcess | undefined;

  afterAll(async () => {
    // SIGTERM lets the demo stop its own children in order; SIGKILL only if it hangs.
    await demo?.stop({ signal: 'SIGTERM', graceMs: 30_000 });
  }, 40_000);

  it('exists where the README says', () => {
    expect(existsSync(DEMO)).toBe(true);
  });

  it('runs pool-sim, proxy and miners on the given ports, shows accepted shares, and exits 0 after --duration', async () => {
    const ports = new Set<number>();
    while (ports.size < 4) ports.add(await freePort());
    const [proxyPort, metricsPort, poolPort, controlPort] = [...ports] as [number, number, number, number];
    demo = spawnNode(DEMO, ['--duration', '8'], {
      cwd: REPO_ROOT,
      env: {
        DEMO_PROXY_PORT: String(proxyPort),
        DEMO_METRICS_PORT: String(metricsPort),
        DEMO_POOL_PORT: String(poolPort),
        DEMO_CONTROL_PORT: String(controlPort),
        LOG_LEVEL: 'warn',
      },
    });
    const d = demo;
    const accepted = await waitFor(
      async () => {
        if (d.exitStatus() !== null) throw new Error(`the demo exited early: ${JSON.stringify(d.exitStatus())}`);
        const n = (await scrapeMetrics(metricsPort)).sum('stratum_accepted_shares_total');
        return n > 0 ? n : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 250, what: 'accepted shares on the demo proxy /metrics', context: d.logs },
    );
    expect(accepted).toBeGreaterThan(0);
    const status = await Promise.race([d.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 60_000).unref())]);
    expect({ status, logs: status === 'still running' || status.code !== 0 ? d.logs() : '' }).toEqual({ status: { code: 0, signal: null }, logs: '' });
  }, 120_000);
});
