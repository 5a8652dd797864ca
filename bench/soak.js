'use strict';
// Soak: does stratum-relay stay flat for minutes under a pool that misbehaves?
//
//   miner-sim (2,000 miners) ──► stratum-relay WORKERS=2 ──► pool-sim --profile chaos
//
// The chaos profile (packages/pool-sim/src/profiles.ts), per share answer: 5 % never answered,
// 20 % answered 50-1,500 ms late, 1 % the session reset instead, 3 % a garbage line first, 0.5 %
// a client.reconnect after it; a job every 10 s and a new block every 60 s. Each miner submits a
// real share every 10 s on average (1 H/s, one hash in 10 is a share), so at 2,000 miners the
// relay sees ~200 shares/s, ~2 pool resets/s and ~1 client.reconnect/s, and miner-sim reconnects
// after each (its default backoff).
//
// Every --sample-s seconds: each relay process's RSS and open descriptors (/proc), its JS heap
// (/metrics), and its event-loop lag p99: the merged /metrics' `nodejs_eventloop_lag_p99_seconds
// {process=…}` less prom-client's 10 ms sampling period, read every --lag-every-s seconds (the
// histogram restarts at each collection), the largest since the previous sample. At the end: the samples, and the least-squares slope per
// minute of each series over the samples after the warm-up (the first minute; the first third of
// a run shorter than 3 minutes), with its standard error (SE). Only growth matters, so each
// series is judged against a limit on its slope:
//   RSS (all processes together)   1 MiB/min
//   open descriptors (together)    5 /min (a leak of one socket every 12 s shows)
//   event-loop lag p99 (each)      1 ms/min
// "flat" when slope + 2 SE < limit (under the limit beyond the noise), "grows" when
// slope − 2 SE > limit, "unclear" otherwise (too few samples or too noisy: run longer). The
// verdict is flat when every series is flat. A heap still growing toward its first major GCs can
// make a short run (--minutes 1) say "grows" or "unclear"; the 10-minute default is the judge.
// Bounded: the run ends after --minutes; the miners stop by themselves shortly after.
//
// Run after `npx tsc -b`.
//   node bench/soak.js [--minutes 10] [--miners 2000] [--workers 2] [--share-interval 10] [--sample-s 10]
//                      [--lag-every-s 2] [--ramp 1000]
//   short:  node bench/soak.js --minutes 1 --miners 300
const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { parseArgs } = require('./lib/args');
const { stop, maxOpenFiles } = require('./lib/procs');
const { startPoolSim, startMinerSim, difficultyFor } = require('./lib/sims');
const { startRelayCluster, sampleProcesses, SINGLE } = require('./lib/relay-cluster');
const { scrape, httpGet, eventLoopLagMs } = require('./lib/metrics-text');

const args = parseArgs(process.argv.slice(2));
const MINUTES = Number(args.minutes ?? 10);
const MINERS = Number(args.miners ?? 2_000);
const WORKERS = Number(args.workers ?? 2);
const SHARE_INTERVAL_S = Number(args['share-interval'] ?? 10);
const SAMPLE_S = Number(args['sample-s'] ?? 10);
// The lag histograms restart at every collection (and the primary collects every 5 s itself), so
// /metrics is read more often than the samples are taken: a sample's lag is the largest p99 read
// since the previous sample.
const LAG_EVERY_S = Math.min(SAMPLE_S, Number(args['lag-every-s'] ?? 2));
const RAMP = Number(args.ramp ?? 1_000);
const HASHRATE = 1;
const DIFFICULTY = difficultyFor(HASHRATE * SHARE_INTERVAL_S);
const LIMITS = { rssMiB: 1, fds: 5, lagMs: 1 }; // per minute: what "flat" allows

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (msg) => process.stderr.write(`${msg}\n`);

/** Least-squares fit y = a + b·x: {slope b, se (its standard error), n}. */
function fit(allXs, allYs) {
  const keep = allYs.map((y) => Number.isFinite(y));
  const xs = allXs.filter((_, i) => keep[i]);
  const ys = allYs.filter((_, i) => keep[i]);
  const n = xs.length;
  if (n < 3) return { slope: NaN, se: NaN, n };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  const slope = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - (my + slope * (xs[i] - mx))) ** 2;
  return { slope, se: Math.sqrt(sse / (n - 2) / sxx), n };
}

async function main() {
  if (MINERS + 100 > maxOpenFiles() || (2 * MINERS) / WORKERS + 100 > maxOpenFiles()) {
    throw new Error(`${MINERS} miners need more descriptors than the open-files limit ${maxOpenFiles()} allows in one process`);
  }
  const runMs = MINUTES * 60_000;
  const warmupS = Math.min(60, (MINUTES * 60) / 3);
  log(`soak: ${MINERS} miners, a share per ${SHARE_INTERVAL_S} s each, through stratum-relay WORKERS=${WORKERS} to pool-sim chaos, ${MINUTES} min, a sample every ${SAMPLE_S} s`);

  const pool = await startPoolSim(['--profile', 'chaos', '--difficulty', String(DIFFICULTY), '--name', 'soak']);
  const relay = await startRelayCluster(pool.port, { WORKERS: String(WORKERS), MAX_CONNECTIONS: String(MINERS + 500), LOG_LEVEL: 'warn' });
  log(`relay up: ${relay.processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`);
  const miners = startMinerSim([
    '--url', `127.0.0.1:${relay.port}`, '--miners', String(MINERS), '--user', 'soak', '--hashrate', String(HASHRATE),
    '--ramp-up', String(RAMP), '--seed', '7', '--duration', String(Math.ceil(MINERS / RAMP + MINUTES * 60 + 60)),
  ]);

  // Samples from the moment the miners start, so the ramp is in the table (and out of the fit).
  const names = relay.processes.map((p) => p.name);
  const samples = [];
  const t0 = now();
  const ticksPerSample = Math.max(1, Math.round(SAMPLE_S / LAG_EVERY_S));
  let lagMax = new Map();
  for (let i = 0; now() - t0 < runMs; i++) {
    await sleep(Math.max(0, t0 + (i + 1) * LAG_EVERY_S * 1000 - now()));
    let m = null;
    try {
      m = await scrape(relay.metricsPort, ['stratum_active_connections', 'nodejs_eventloop_lag_p99_seconds', 'stratum_submits_total', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes']);
    } catch (err) {
      log(`  /metrics failed: ${err.message}`);
    }
    for (const [n, v] of m?.by('nodejs_eventloop_lag_p99_seconds', 'process', SINGLE) ?? []) {
      const lag = eventLoopLagMs(v);
      if (Number.isFinite(lag)) lagMax.set(n, Math.max(lagMax.get(n) ?? 0, lag));
    }
    if ((i + 1) % ticksPerSample !== 0) continue;
    const procs = sampleProcesses(relay.processes);
    const s = {
      t: (now() - t0) / 1000,
      connections: m === null ? NaN : m.sum('stratum_active_connections'),
      submits: m === null ? NaN : m.sum('stratum_submits_total'),
      rssMiB: Object.fromEntries(procs.map((p) => [p.name, p.rssKiB / 1024])),
      fds: Object.fromEntries(procs.map((p) => [p.name, p.fds])),
      heapUsedMiB: Object.fromEntries(names.map((n) => [n, m === null ? NaN : (m.by('nodejs_heap_size_used_bytes', 'process', SINGLE).get(n) ?? NaN) / 2 ** 20])),
      heapTotalMiB: Object.fromEntries(names.map((n) => [n, m === null ? NaN : (m.by('nodejs_heap_size_total_bytes', 'process', SINGLE).get(n) ?? NaN) / 2 ** 20])),
      lagMs: Object.fromEntries(names.map((n) => [n, lagMax.get(n) ?? NaN])),
    };
    lagMax = new Map();
    s.rssTotal = names.reduce((a, n) => a + s.rssMiB[n], 0);
    s.fdsTotal = names.reduce((a, n) => a + s.fds[n], 0);
    s.heapUsedTotal = names.reduce((a, n) => a + s.heapUsedMiB[n], 0);
    samples.push(s);
    log(`  t=${s.t.toFixed(0)} s: ${s.connections} connections, RSS ${s.rssTotal.toFixed(1)} MiB, ${s.fdsTotal} fds, lag p99 ${names.map((n) => `${n} ${s.lagMs[n].toFixed(1)}`).join(' ')} ms`);
  }
  const metricsText = await httpGet(relay.metricsPort, '/metrics').then((r) => r.body, () => '');
  const restarts = Number(/^stratum_worker_restarts_total(?:\{[^}]*\})? (\S+)/m.exec(metricsText)?.[1] ?? 0);
  const poolStats = await httpGet(pool.controlPort, '/stats').then((r) => JSON.parse(r.body), () => null);
  await stop(miners.child);
  const farm = await miners.summary();
  await relay.stop();
  await stop(pool.child);

  // ---- report --------------------------------------------------------------------------------
  console.log(
    `\nSoak: ${MINERS} miners (one miner-sim, ${HASHRATE} H/s, a share per ${SHARE_INTERVAL_S} s each on average) through stratum-relay WORKERS=${WORKERS} to pool-sim --profile chaos; ` +
      `${MINUTES} min, a sample every ${SAMPLE_S} s. node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end.\n`,
  );
  const perProc = (label) => names.map((n) => `${label} ${n}`).join(' | ');
  console.log(`| t (s) | connections | shares/s | RSS total (MiB) | ${perProc('RSS')} | JS heap used total (MiB) | descriptors total | ${perProc('lag p99 ms')} |`);
  console.log(`|${'---:|'.repeat(6 + names.length * 2)}`);
  samples.forEach((s, i) => {
    const prev = samples[i - 1];
    const rate = prev === undefined ? NaN : (s.submits - prev.submits) / (s.t - prev.t);
    console.log(
      `| ${s.t.toFixed(0)} | ${s.connections} | ${Number.isFinite(rate) ? rate.toFixed(0) : ''} | ${s.rssTotal.toFixed(1)} | ${names.map((n) => s.rssMiB[n].toFixed(1)).join(' | ')} | ${s.heapUsedTotal.toFixed(1)} | ${s.fdsTotal} | ${names.map((n) => s.lagMs[n].toFixed(1)).join(' | ')} |`,
    );
  });

  const steady = samples.filter((s) => s.t >= warmupS);
  const minutes = steady.map((s) => s.t / 60);
  const series = [
    { what: 'RSS, all processes (MiB)', ys: steady.map((s) => s.rssTotal), limit: LIMITS.rssMiB, unit: 'MiB/min' },
    // Not judged, for reading a growing RSS: V8 sizing its heap up (heap total grows, heap used
    // does not) is not a leak; heap used growing is.
    ...names.map((n) => ({ what: `RSS ${n} (MiB)`, ys: steady.map((s) => s.rssMiB[n]), limit: null, unit: 'MiB/min' })),
    ...names.map((n) => ({ what: `JS heap used ${n} (MiB)`, ys: steady.map((s) => s.heapUsedMiB[n]), limit: null, unit: 'MiB/min' })),
    ...names.map((n) => ({ what: `JS heap total ${n} (MiB)`, ys: steady.map((s) => s.heapTotalMiB[n]), limit: null, unit: 'MiB/min' })),
    { what: 'open descriptors, all processes', ys: steady.map((s) => s.fdsTotal), limit: LIMITS.fds, unit: '/min' },
    ...names.map((n) => ({ what: `event-loop lag p99 ${n} (ms)`, ys: steady.map((s) => s.lagMs[n]), limit: LIMITS.lagMs, unit: 'ms/min' })),
  ];
  console.log(`\nSlopes over the ${steady.length} samples from t = ${warmupS.toFixed(0)} s (least squares; ± one standard error):\n`);
  console.log('| series | first → last | slope per minute ± SE | limit | |');
  console.log('|---|---:|---:|---:|---|');
  const notFlat = [];
  for (const s of series) {
    const f = fit(minutes, s.ys);
    let judged = '';
    if (s.limit !== null) {
      judged = !Number.isFinite(f.se) ? 'unclear' : f.slope + 2 * f.se < s.limit ? 'flat' : f.slope - 2 * f.se > s.limit ? 'GROWS' : 'unclear';
      if (judged !== 'flat') notFlat.push(`${s.what}: ${judged}`);
    }
    const finite = s.ys.filter((y) => Number.isFinite(y));
    const first = finite[0];
    const lastY = finite[finite.length - 1];
    console.log(
      `| ${s.what} | ${first?.toFixed(1) ?? 'n/a'} → ${lastY?.toFixed(1) ?? 'n/a'} | ${f.slope.toFixed(2)} ± ${f.se.toFixed(2)} ${s.unit} | ${s.limit === null ? '' : `${s.limit} ${s.unit}`} | ${judged} |`,
    );
  }
  const t = poolStats?.totals;
  const chaos = t === undefined ? null : `accepted ${t.accepted}, answers dropped or sessions reset ${t.dropped}, sessions ${poolStats.sessions.total}`;
  console.log(
    `\nFarm (miner-sim): submitted ${farm?.submitted}, accepted ${farm?.accepted}, rejected ${farm?.rejected}, timeouts ${farm?.timeouts}, unanswered at a close ${farm?.unanswered}, ` +
      `connects ${farm?.connects} (reconnects ${farm?.reconnects}), disconnects ${farm?.disconnects}, failed connects ${farm?.connect_failures}, pool errors seen ${farm?.pool_errors}; ` +
      `relay worker restarts ${restarts}${chaos === null ? '' : `; pool-sim: ${chaos}`}.`,
  );
  console.log(`\nVerdict: ${notFlat.length === 0 ? 'flat' : `not flat (${notFlat.join('; ')})`}`);
  console.log('(flat: slope + 2 SE under the limit; GROWS: slope − 2 SE over it; unclear: neither, run longer)');
  if (notFlat.length > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
