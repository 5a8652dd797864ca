import { configFromValues, type Config } from '@stratum-relay/config';
import { ClusterPrimary } from '../src/cluster/primary';
import { fakeFork, memoryLogger, type FakeWorker, type FakeWorkerBehaviour } from './helpers/cluster-fakes';

const primaries: ClusterPrimary[] = [];
afterEach(async () => {
  for (const p of primaries.splice(0)) await p.shutdown('test end');
});

function config(values: Partial<Config> = {}): Config {
  return configFromValues({ poolHost: '127.0.0.1', metricsHost: '127.0.0.1', metricsPort: 0, workers: 2, drainTimeoutMs: 100, ...values });
}

async function startPrimary(
  values: Partial<Config> = {},
  behaviours: FakeWorkerBehaviour[] = [{}],
  workers = 2,
  restartAfterMs = 5,
): Promise<{ primary: ClusterPrimary; base: string; forked: FakeWorker[]; lines: Array<Record<string, unknown>> }> {
  const { fork, forked } = fakeFork(...behaviours);
  const { logger, lines } = memoryLogger();
  const primary = new ClusterPrimary({
    config: config(values),
    logger,
    version: '9.9.9',
    workers,
    fork,
    requestTimeoutMs: 100,
    backoff: { initialMs: restartAfterMs },
    collectDefaultMetrics: false,
  });
  primaries.push(primary);
  const started = await primary.start();
  return { primary, base: `http://127.0.0.1:${started.metrics?.port}`, forked, lines };
}

async function until(what: string, check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function sample(text: string, key: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line === undefined ? undefined : Number(line.slice(key.length + 1));
}

describe('the primary of several workers, over HTTP', () => {
  it("serves /metrics summed over the workers with its own worker gauges, and /status merged", async () => {
    const { base, forked } = await startPrimary();
    forked[0]!.metrics.cells.acceptedShares.cell({ client_id: 'rig1', pool_host: 'p' }).add(4);
    forked[1]!.metrics.cells.acceptedShares.cell({ client_id: 'rig1', pool_host: 'p' }).add(6);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'stratum_accepted_shares_total{client_id="rig1",pool_host="p"}')).toBe(10);
    expect(sample(text, 'stratum_workers{state="running"}')).toBe(2);
    expect(sample(text, 'stratum_worker_restarts_total')).toBe(0);
    const status = (await (await fetch(`${base}/status`)).json()) as { workers: Array<{ workerId: number; answered: boolean }> };
    expect(status.workers.map((w) => [w.workerId, w.answered])).toEqual([
      [forked[0]!.id, true],
      [forked[1]!.id, true],
    ]);
  });

  it('keeps the counts of a crashed worker from its last scrape, counts the restart and serves the replacement', async () => {
    const { primary, base, forked } = await startPrimary();
    forked[0]!.metrics.cells.submits.cell({ client_id: 'rig1', pool_host: 'p' }).add(7);
    forked[1]!.metrics.cells.submits.cell({ client_id: 'rig1', pool_host: 'p' }).add(2);
    const key = 'stratum_submits_total{client_id="rig1",pool_host="p"}';
    expect(sample(await (await fetch(`${base}/metrics`)).text(), key)).toBe(9);
    // Counted after the last scrape, then the crash: those 100 are lost, the 7 are not.
    forked[0]!.metrics.cells.submits.cell({ client_id: 'rig1', pool_host: 'p' }).add(100);
    forked[0]!.exit(null, 'SIGKILL');
    await until('the replacement to listen', () => forked.length === 3 && primary.pool.counts().running === 2);
    forked[2]!.metrics.cells.submits.cell({ client_id: 'rig1', pool_host: 'p' }).add(1);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, key)).toBe(10);
    expect(sample(text, 'stratum_worker_restarts_total')).toBe(1);
  });

  it('does not let a stuck worker hold /metrics: its previous snapshot stands in', async () => {
    const { base, forked } = await startPrimary();
    forked[0]!.metrics.cells.submits.cell({ client_id: 'rig', pool_host: 'p' }).add(3);
    await fetch(`${base}/metrics`);
    forked[0]!.behaviour.silentScrapes = true;
    forked[0]!.metrics.cells.submits.cell({ client_id: 'rig', pool_host: 'p' }).add(3);
    const started = Date.now();
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sample(text, 'stratum_submits_total{client_id="rig",pool_host="p"}')).toBe(3);
  });

  it('asks for the metrics token on /metrics and /status, not on /healthz and /readyz', async () => {
    const { base } = await startPrimary({ metricsToken: 'primary-token' });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/status`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer primary-token' } })).status).toBe(200);
    const basic = Buffer.from('prometheus:primary-token').toString('base64');
    expect((await fetch(`${base}/status`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('is ready while one worker is, says why when none is, and turns 503 while draining', async () => {
    const { primary, base, forked } = await startPrimary({}, [{ readiness: { ready: false, reason: 'no pool is up (p: refused)' } }, {}]);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    forked[1]!.behaviour.readiness = null; // stuck
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not_ready',
      reason: `worker ${forked[0]!.id}: no pool is up (p: refused); worker ${forked[1]!.id}: did not answer`,
    });
    forked[1]!.behaviour.readiness = { ready: true };
    const shutdown = primary.shutdown('SIGTERM');
    // Marked at once, before any worker has been told to drain.
    expect(await primary.readiness()).toEqual({ ready: false, reason: 'closing' });
    await shutdown;
  });

  it('answers /healthz 503 once no worker process is alive', async () => {
    // The replacement is due a minute later: the check must see the moment with none alive (with
    // the usual 5 ms a slow machine answered the request after the restart).
    const { base, forked, primary } = await startPrimary({}, [{}], 1, 60_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    forked[0]!.exit(1, null);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy', reason: 'no worker process is alive' });
    await primary.shutdown('SIGTERM');
  });

  it('rotates the token on a reload every worker accepted, and keeps it when one refused', async () => {
    const { primary, base, forked, lines } = await startPrimary({ metricsToken: 'old' });
    forked[1]!.behaviour.reload = { ok: false, applied: [], ignored: [], errors: ['TLS_CERT_FILE: not a usable certificate'] };
    expect(await primary.reload({ config: config({ metricsToken: 'new' }) })).toEqual({ ok: false, applied: 1, workers: 2 });
    expect(lines.find((l) => l.msg === 'config reload rejected by a worker: the primary keeps its running config')).toMatchObject({
      workers: [{ worker_id: forked[1]!.id, errors: ['TLS_CERT_FILE: not a usable certificate'] }],
    });
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer old' } })).status).toBe(200);

    forked[1]!.behaviour.reload = undefined;
    expect(await primary.reload({ config: config({ metricsToken: 'new', logLevel: 'warn', metricsPort: 1 }) })).toEqual({ ok: true, applied: 2, workers: 2 });
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer old' } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer new' } })).status).toBe(200);
    // Restart-only keys keep their running values.
    expect(primary.config.metricsPort).toBe(0);
    expect(primary.config.logLevel).toBe('warn');
    expect(forked.every((w) => w.received.filter((m) => m.type === 'request' && m.kind === 'reload').length === 2)).toBe(true);
  });

  it('drains every worker on shutdown and sums what they report; a second call forces them', async () => {
    const { primary, forked } = await startPrimary({}, [{ retireResult: { drained: 2, forced: 1, aborted: false, ok: true } }]);
    const first = primary.shutdown('SIGTERM');
    const second = primary.shutdown('SIGINT');
    expect(second).toBe(first);
    expect(await first).toEqual({ signal: 'SIGTERM', drained: 4, forced: 2, aborted: true, ok: true });
    expect(forked.every((w) => w.received.some((m) => m.type === 'retire') && w.received.some((m) => m.type === 'force'))).toBe(true);
  });
});
