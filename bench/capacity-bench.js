'use strict';
// Capacity: what 18,000 connected miners cost stratum-relay with WORKERS=2 on one machine.
//
//   miner-sim × 6 (3,000 miners each) ──► stratum-relay WORKERS=2 ──► pool-sim (one process)
//   miner-sim probe (500) ──────────────► stratum-relay ─────────────┘
//   miner-sim probe (500) ──────────────► bench/lib/pipe-relay.js ───┘ (same pool, same time)
//
// Every miner is a real miner-sim miner: it subscribes, authorizes, hashes at 1 H/s and the pool's
// difficulty makes one hash in 10 a share, so each submits a real share (valid against the pool's
// job, audited by the relay) every 10 s on average, Poisson-like: 18,000 miners ≈ 1,800 shares/s.
// The miners connect at --ramp per second in total. Once all are relayed and --settle seconds
// have passed, the measurement window (--seconds) starts, and with it two probe sets of
// --probe-miners miners at the same share rate: one through the relay (on top of the farm), one
// through the bare pipe relay, both to the same pool-sim, so the round-trip difference is what
// the relay adds at this load (same pool, same machine, same minute).
//
// Why one pool-sim: a pool list is one address for every miner, and one pool-sim holding 18,000
// + 2 × 500 sessions is ~19,000 descriptors, under the 20,000 open-files cap; it judges 1,900
// shares/s (two sha256d each) and sends a job to every session every 30 s, a few percent of a
// core. The script refuses to start when a process would pass the cap.
//
// Run after `npx tsc -b`. Nothing is pinned: the relay's two workers are meant to have both
// cores; the miners and the pool share them (CPU is read per process from /proc, so the relay's
// CPU figures do not depend on that; its event-loop lag and the round trips do).
//
//   node bench/capacity-bench.js [--miners 18000] [--processes 6] [--workers 2] [--ramp 1000]
//        [--share-interval 10] [--settle 30] [--seconds 120] [--probe-miners 500] [--sample-s 5]
//   small:  node bench/capacity-bench.js --miners 600 --processes 2 --ramp 200 --settle 10 --seconds 20 --probe-miners 100
const path = require('node:path');
const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { parseArgs } = require('./lib/args');
const { start, jsonLines, stop, maxOpenFiles, cpuSeconds, rssKiB } = require('./lib/procs');
const { startPoolSim, startMinerSim, difficultyFor } = require('./lib/sims');
const { startRelayCluster, sampleProcesses, SINGLE } = require('./lib/relay-cluster');
const { scrape, eventLoopLagMs, ELD_RESOLUTION_S } = require('./lib/metrics-text');

const args = parseArgs(process.argv.slice(2));
const MINERS = Number(args.miners ?? 18_000);
const PER_PROCESS_MAX = 3_000;
const PROCESSES = Number(args.processes ?? Math.max(1, Math.ceil(MINERS / PER_PROCESS_MAX)));
const WORKERS = Number(args.workers ?? 2);
const RAMP = Number(args.ramp ?? 1_000); // connects per second, all miner-sim processes together
const SHARE_INTERVAL_S = Number(args['share-interval'] ?? 10);
const SETTLE_S = Number(args.settle ?? 30);
const SECONDS = Number(args.seconds ?? 120);
const PROBE = Number(args['probe-miners'] ?? 500);
const SAMPLE_S = Number(args['sample-s'] ?? 5);
const HASHRATE = 1; // H/s per miner: the share interval is set by the difficulty
const DIFFICULTY = difficultyFor(HASHRATE * SHARE_INTERVAL_S);
const RSS_TARGET_KIB = 16;
const ACCEPT_POLL_MS = 1_000;
const IDLE_SAMPLES = 2; // scrapes during the idle phase, SAMPLE_S apart

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (msg) => process.stderr.write(`${msg}\n`);
const median = (xs) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const sumOf = (rows, key) => rows.reduce((n, r) => n + r[key], 0);

/** Each process must stay under the open-files cap; say which one would not, before starting. */
function checkDescriptors() {
  const cap = maxOpenFiles();
  const perWorker = Math.ceil((MINERS + PROBE) / WORKERS);
  const needs = [
    ['pool-sim', MINERS + 2 * PROBE + 100, 'lower --probe-miners or --miners'],
    ['a relay worker', 2 * perWorker + 100, 'raise --workers'],
    ['a miner-sim process', Math.ceil(MINERS / PROCESSES) + 100, 'raise --processes'],
    ['the pipe relay', 2 * PROBE + 100, 'lower --probe-miners'],
  ];
  for (const [who, n, fix] of needs) {
    if (n > cap) throw new Error(`${who} would need ~${n} descriptors, over the open-files limit ${cap}: ${fix}`);
  }
  return { cap, perWorker };
}

/** Scrape what the bench reads from the merged /metrics. */
async function relayMetrics(port) {
  const m = await scrape(port, ['stratum_active_connections', 'stratum_submits_total', 'nodejs_eventloop_lag_p99_seconds', 'stratum_worker_restarts_total', 'stratum_workers']);
  return {
    relayed: m.sum('stratum_active_connections', { pool_host: (h) => h !== 'none' }),
    open: m.sum('stratum_active_connections'),
    submits: m.sum('stratum_submits_total'),
    lagP99: m.by('nodejs_eventloop_lag_p99_seconds', 'process', SINGLE),
    restarts: m.sum('stratum_worker_restarts_total'),
    running: m.sum('stratum_workers', { state: 'running' }),
  };
}

async function main() {
  const { cap, perWorker } = checkDescriptors();
  const maxConnections = perWorker + 500;
  log(
    `capacity: ${MINERS} miners in ${PROCESSES} miner-sim processes at ${RAMP}/s, a share per ${SHARE_INTERVAL_S} s each (difficulty ${DIFFICULTY.toExponential(4)} at ${HASHRATE} H/s); ` +
      `WORKERS=${WORKERS}, MAX_CONNECTIONS=${maxConnections} per worker; open-files limit ${cap}`,
  );

  const pool = await startPoolSim(['--profile', 'easy', '--difficulty', String(DIFFICULTY), '--job-interval', '30s', '--name', 'capacity']);
  const pipe = start(path.join(__dirname, 'lib/pipe-relay.js'), [`127.0.0.1:${pool.port}`]);
  const { port: pipePort } = await jsonLines(pipe)();
  const relay = await startRelayCluster(pool.port, { WORKERS: String(WORKERS), MAX_CONNECTIONS: String(maxConnections), LOG_LEVEL: 'warn' });
  log(`relay up: ${relay.processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`);

  // ---- idle ----------------------------------------------------------------------------------
  // Scraped as often as in the window, so "idle" has the scrapes' own cost and allocations too.
  await sleep(3_000);
  await relayMetrics(relay.metricsPort);
  const idle0 = sampleProcesses(relay.processes);
  const idleT0 = now();
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    await sleep(SAMPLE_S * 1000);
    await relayMetrics(relay.metricsPort);
  }
  const idle = sampleProcesses(relay.processes);
  const idleCpuRate = idle.reduce((n, s, i) => n + (s.cpu - idle0[i].cpu), 0) / ((now() - idleT0) / 1000);

  // ---- ramp ----------------------------------------------------------------------------------
  const perProcess = Math.ceil(MINERS / PROCESSES);
  const rampS = MINERS / RAMP;
  const boundS = Math.ceil(rampS * 3 + SETTLE_S + SECONDS + 120); // the miners stop by themselves after this
  const miners = [];
  const rampStart = now();
  for (let k = 0; k < PROCESSES; k++) {
    const n = Math.min(perProcess, MINERS - k * perProcess);
    if (n <= 0) break;
    miners.push(
      startMinerSim([
        '--url', `127.0.0.1:${relay.port}`, '--miners', String(n), '--user', `cap${k}`, '--hashrate', String(HASHRATE),
        '--ramp-up', String(RAMP / PROCESSES), '--seed', String(k + 1), '--duration', String(boundS),
      ]),
    );
  }
  let acceptS = NaN;
  let reached = 0;
  let half = null; // the first poll with at least half the miners relayed: {relayed, procs}
  const acceptDeadline = rampStart + (rampS * 3 + 60) * 1000;
  while (now() < acceptDeadline) {
    await sleep(ACCEPT_POLL_MS);
    reached = (await relayMetrics(relay.metricsPort)).relayed;
    if (half === null && reached >= MINERS / 2 && reached < MINERS) half = { relayed: reached, procs: sampleProcesses(relay.processes) };
    if (reached >= MINERS) {
      acceptS = (now() - rampStart) / 1000;
      break;
    }
  }
  log(Number.isFinite(acceptS) ? `all ${MINERS} miners relayed to the pool after ${acceptS.toFixed(1)} s` : `only ${reached} of ${MINERS} relayed after ${((now() - rampStart) / 1000).toFixed(0)} s; measuring anyway`);
  log(`settling for ${SETTLE_S} s`);
  await sleep(SETTLE_S * 1000);

  // ---- measurement window ------------------------------------------------------------------
  const probeFlags = (port, user) => [
    // A little past the window, so the window's last sample still sees them connected.
    '--url', `127.0.0.1:${port}`, '--miners', String(PROBE), '--user', user, '--hashrate', String(HASHRATE), '--duration', String(SECONDS + SAMPLE_S), '--seed', '99',
  ];
  const probes = PROBE > 0 ? { relay: startMinerSim(probeFlags(relay.port, 'probe-relay')), pipe: startMinerSim(probeFlags(pipePort, 'probe-pipe')) } : null;
  // The peers' CPU and memory too: a saturated pool or miner process would make the relay look slow.
  const peers = [
    { name: 'pool-sim', pid: pool.pid },
    ...miners.map((m, k) => ({ name: `miner-sim ${k + 1}`, pid: m.child.pid })),
    ...(probes === null ? [] : [{ name: 'probe miner-sim → relay', pid: probes.relay.child.pid }, { name: 'probe miner-sim → pipe', pid: probes.pipe.child.pid }, { name: 'pipe relay', pid: pipe.pid }]),
  ];
  const peerCpu = () => peers.map((p) => {
    try {
      return cpuSeconds(p.pid);
    } catch {
      return NaN;
    }
  });
  const peerCpu0 = peerCpu();
  const m0 = await relayMetrics(relay.metricsPort);
  const p0 = sampleProcesses(relay.processes);
  const t0 = now();
  log(`measuring for ${SECONDS} s (samples every ${SAMPLE_S} s)`);
  const lagSamples = new Map(relay.processes.map((p) => [p.name, []]));
  const rssMax = new Map(relay.processes.map((p) => [p.name, 0]));
  let last = null;
  let lastMetrics = m0;
  while (now() - t0 < SECONDS * 1000) {
    await sleep(Math.min(SAMPLE_S * 1000, SECONDS * 1000 - (now() - t0)));
    lastMetrics = await relayMetrics(relay.metricsPort);
    last = sampleProcesses(relay.processes);
    for (const [name, v] of lastMetrics.lagP99) lagSamples.get(name)?.push(v);
    for (const s of last) rssMax.set(s.name, Math.max(rssMax.get(s.name), s.rssKiB));
    log(
      `  t=${((now() - t0) / 1000).toFixed(0)} s: ${lastMetrics.relayed} relayed, ${fmt(sumOf(last, 'rssKiB') / 1024)} MiB, ${sumOf(last, 'fds')} fds, lag p99 ` +
        [...lastMetrics.lagP99].map(([n, v]) => `${n} ${eventLoopLagMs(v).toFixed(1)} ms`).join(', '),
    );
  }
  const windowS = (now() - t0) / 1000;
  const peerCpu1 = peerCpu();
  const peerRss = peers.map((p) => rssKiB(p.pid));
  const p1 = last ?? sampleProcesses(relay.processes);
  const m1 = lastMetrics;

  const probeResults = probes === null ? null : { relay: await probes.relay.summary(), pipe: await probes.pipe.summary() };
  await Promise.all(miners.map((m) => stop(m.child)));
  const farm = await Promise.all(miners.map((m) => m.summary()));
  await relay.stop();
  await Promise.all([stop(pipe), stop(pool.child)]);

  // ---- report --------------------------------------------------------------------------------
  const shares = m1.submits - m0.submits;
  const sharesPerS = shares / windowS;
  const cpuS = p1.reduce((n, s, i) => n + (s.cpu - p0[i].cpu), 0);
  const rssIdle = sumOf(idle, 'rssKiB');
  const rssLoaded = sumOf(p1, 'rssKiB');
  const connected = m1.relayed;
  const perMinerKiB = (rssLoaded - rssIdle) / connected;
  // Marginal: from half the farm relayed (during the ramp) to the end; leaves out what does not
  // grow with miners (heap warm-up, the capped per-worker-name series, the primary's merge).
  const marginalKiB = half === null ? NaN : (rssLoaded - sumOf(half.procs, 'rssKiB')) / (connected - half.relayed);
  const rtt = (s) => s?.latency_ms ?? { p50: NaN, p99: NaN, max: NaN, samples: 0 };
  const addedP99 = probeResults === null ? NaN : rtt(probeResults.relay).p99 - rtt(probeResults.pipe).p99;
  const farmSum = (key) => farm.reduce((n, s) => n + (s?.[key] ?? 0), 0);

  console.log(
    `\nCapacity benchmark: ${fmt(MINERS)} miners (${PROCESSES} miner-sim processes, ${RAMP}/s ramp, one share per ${SHARE_INTERVAL_S} s each on average) + ${PROBE} probe miners ` +
      `through stratum-relay WORKERS=${WORKERS} to one pool-sim (easy profile, difficulty ${DIFFICULTY.toExponential(4)}, a job every 30 s); ${PROBE} more through the bare pipe relay. ` +
      `Window ${windowS.toFixed(0)} s after ${SETTLE_S} s settling; share audit on, LOG_LEVEL=warn.`,
  );
  console.log(`node ${process.version}, ${os.cpus().length} cores, nothing pinned; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end.\n`);
  console.log('| miners relayed | time to accept all (s) | shares/s | relay RSS idle → loaded (MiB) | RSS per miner (KiB) | marginal RSS per miner (KiB) | relay CPU per 1,000 shares/s (% of a core) | same, idle relay CPU subtracted | submit RTT p99 relay / pipe (ms) | p99 added over the pipe (ms) | descriptors (all relay processes) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${fmt(connected)} | ${Number.isFinite(acceptS) ? acceptS.toFixed(1) : `not all (${fmt(reached)})`} | ${fmt(sharesPerS)} | ${fmt(rssIdle / 1024)} → ${fmt(rssLoaded / 1024)} | ${perMinerKiB.toFixed(1)} | ${half === null ? 'n/a' : `${marginalKiB.toFixed(1)} (${fmt(half.relayed)} → ${fmt(connected)})`} | ` +
      `${((cpuS / windowS / (sharesPerS / 1000)) * 100).toFixed(1)} | ${(((cpuS / windowS - idleCpuRate) / (sharesPerS / 1000)) * 100).toFixed(1)} | ${rtt(probeResults?.relay).p99.toFixed(2)} / ${rtt(probeResults?.pipe).p99.toFixed(2)} | ${addedP99.toFixed(2)} | ${fmt(sumOf(p1, 'fds'))} |`,
  );
  console.log('\n| process | RSS idle (MiB) | RSS end / max (MiB) | descriptors idle → end | CPU in window (s) | CPU (% of a core) | event-loop lag p99, median / max of samples (ms) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  p1.forEach((s, i) => {
    const lags = (lagSamples.get(s.name) ?? []).map(eventLoopLagMs).filter(Number.isFinite);
    const cpu = s.cpu - p0[i].cpu;
    console.log(
      `| ${s.name} | ${fmt(idle[i].rssKiB / 1024, 1)} | ${fmt(s.rssKiB / 1024, 1)} / ${fmt(rssMax.get(s.name) / 1024, 1)} | ${idle[i].fds} → ${fmt(s.fds)} | ${cpu.toFixed(2)} | ${((cpu / windowS) * 100).toFixed(1)} | ${fmt(median(lags), 1)} / ${fmt(Math.max(...lags), 1)} |`,
    );
  });
  if (probeResults !== null) {
    console.log('\n| probe path | miners | answered submits | RTT p50 (ms) | RTT p99 (ms) | RTT max (ms) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, s] of [['stratum-relay (under the farm\'s load)', probeResults.relay], ['bare pipe relay', probeResults.pipe]]) {
      const r = rtt(s);
      console.log(`| ${name} | ${PROBE} | ${fmt(r.samples)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} |`);
    }
  }
  console.log('\n| peer | CPU in window (% of a core) | RSS at the end (MiB) |');
  console.log('|---|---:|---:|');
  peers.forEach((p, i) => console.log(`| ${p.name} | ${(((peerCpu1[i] - peerCpu0[i]) / windowS) * 100).toFixed(1)} | ${fmt(peerRss[i] / 1024, 1)} |`));
  console.log(
    `\nFarm (miner-sim, whole run): submitted ${fmt(farmSum('submitted'))}, accepted ${fmt(farmSum('accepted'))}, rejected ${fmt(farmSum('rejected'))}, timeouts ${fmt(farmSum('timeouts'))}, ` +
      `connects ${fmt(farmSum('connects'))}, reconnects ${fmt(farmSum('reconnects'))}, failed connects ${fmt(farmSum('connect_failures'))}; relay worker restarts ${m1.restarts}; ` +
      `shares in the window ${fmt(shares)} (stratum_submits_total), relay CPU ${cpuS.toFixed(1)} s (idle, before the miners: ${(idleCpuRate * 100).toFixed(1)} % of a core).`,
  );
  console.log(
    `RSS per miner: ${perMinerKiB.toFixed(1)} KiB (target ≤ ${RSS_TARGET_KIB} KiB) ${perMinerKiB <= RSS_TARGET_KIB ? 'PASS' : 'FAIL'}; ` +
      `lag = nodejs_eventloop_lag_p99_seconds − ${ELD_RESOLUTION_S * 1000} ms (prom-client's sampling period is part of every recorded delay), one value per ${SAMPLE_S} s scrape, ` +
      'covering the time since the previous collection (a scrape, or the primary\'s own every 5 s).',
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
