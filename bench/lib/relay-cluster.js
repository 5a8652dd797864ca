'use strict';
// stratum-relay with WORKERS (a primary and its relay workers) as a benchmark peer, and what
// /proc says about each of its processes. Not pinned: with WORKERS > 1 the relay is meant to
// have every core.
const { start, stop, freePort, waitHealthy, cpuSeconds, rssKiB, openFds, PROXY_BIN } = require('./procs');
const { httpGet } = require('./metrics-text');

/**
 * Start the relay in front of 127.0.0.1:`poolPort`, configured through the environment like an
 * operator would (`env` adds to or overrides the defaults). Resolves once /readyz answers 200 (a
 * worker listens and the pool is up) with {port, metricsPort, child, processes, stop}:
 * `processes` is [{name, pid}] for "primary", "worker-1", … — the names of the `process` label
 * on the merged /metrics (the worker's slot), read from /status.
 */
async function startRelayCluster(poolPort, env = {}) {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = start(PROXY_BIN, [], {
    env: {
      POOL_HOST: '127.0.0.1',
      POOL_PORT: String(poolPort),
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  child.stdout.resume();
  await waitHealthy(metricsPort);
  let status = null;
  for (let i = 0; ; i++) {
    const ready = await httpGet(metricsPort, '/readyz').then((r) => r.status === 200, () => false);
    if (ready) {
      status = JSON.parse((await httpGet(metricsPort, '/status')).body);
      const running = (status.workers ?? []).filter((w) => w.state === 'running').length;
      if (running === Number(env.WORKERS ?? 1) || status.workers === undefined) break;
    }
    if (i > 300) throw new Error('stratum-relay did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const processes = [{ name: 'primary', pid: child.pid }];
  for (const w of [...(status.workers ?? [])].sort((a, b) => a.slot - b.slot)) processes.push({ name: `worker-${w.slot}`, pid: w.pid });
  if (status.workers === undefined) processes[0].name = SINGLE; // WORKERS=1: one process, no `process` label
  return { port, metricsPort, child, processes, stop: () => stop(child) };
}

/** The name of the one process of a relay run with WORKERS=1 (its metrics carry no `process` label). */
const SINGLE = 'relay';

/** RSS (KiB), open descriptors and CPU seconds (utime + stime) of each process, read now. */
function sampleProcesses(processes) {
  return processes.map(({ name, pid }) => {
    let cpu = NaN;
    try {
      cpu = cpuSeconds(pid);
    } catch {
      // gone (a worker that crashed): NaN shows it
    }
    return { name, pid, rssKiB: rssKiB(pid), fds: openFds(pid), cpu };
  });
}

module.exports = { startRelayCluster, sampleProcesses, SINGLE };
