#!/usr/bin/env node
'use strict';
// What the message trace costs in memory: one relay process (WORKERS=1) in front of pool-sim,
// N idle miner-sim miners (own process) that subscribe, authorize and receive jobs until every
// ring is full, then the relay's RSS and V8 heap per miner with TRACE_LINES=0 against 200 —
// under the default TRACE_MAX_BYTES (64 MiB per process) and with that bound lifted (only the
// 200 lines and 64 KiB per connection bound). The bytes of the lines a connection keeps are read
// back from /api/trace for a sample of connections. `npx tsc -b && node bench/trace-bench.js`
// (defaults: --miners 2000 --jobs 150 --job-interval 200); `--tree <dir>` measures the relay
// built in another checkout (e.g. a clone at an older commit, after its own install and tsc -b).
const path = require('node:path');
const http = require('node:http');
const { parseArgs } = require('node:util');
const { startRelay, rssKiB, stop } = require('./lib/procs');
const { startPoolSim, startMinerSim, difficultyFor } = require('./lib/sims');
const { httpGet, scrape } = require('./lib/metrics-text');

const { values: a } = parseArgs({
  options: {
    miners: { type: 'string', default: '2000' },
    /**
     * Jobs sent after every miner is connected: pool-sim's notifies (~0.5 kB) reach the 64 KiB per
     * connection bound after ~120, before the 200 lines of TRACE_LINES=200.
     */
    jobs: { type: 'string', default: '150' },
    'job-interval': { type: 'string', default: '200' },
    /** New miner connections per second while connecting. */
    'ramp-up': { type: 'string', default: '250' },
    /** Connections whose trace is read back to measure the bytes kept per connection. */
    sample: { type: 'string', default: '20' },
    /** Runs as TRACE_LINES:TRACE_MAX_BYTES (empty = the default bound). */
    runs: { type: 'string', default: '0:,200:,200:4294967296' },
    tree: { type: 'string' },
  },
});
const RELAY_BIN = a.tree === undefined ? undefined : path.resolve(a.tree, 'packages/proxy-service/bin/stratum-proxy.js');
const MINERS = Number(a.miners);
const JOB_MS = Number(a['job-interval']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function relayed(port) {
  const m = await scrape(port, ['stratum_active_connections']);
  return m.sum('stratum_active_connections', { pool_host: (h) => h !== 'none' });
}

/** pool-sim sends every session a new job. */
function rotateJob(controlPort) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: controlPort, path: '/rotate-job', method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`POST /rotate-job: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function heapUsed(port) {
  const m = await scrape(port, ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes']);
  return { used: m.sum('nodejs_heap_size_used_bytes'), committed: m.sum('nodejs_heap_size_total_bytes') };
}

/** Lines and bytes (UTF-16 length of the kept strings ≈ bytes: the lines are ASCII JSON) of `sample` connections' traces. */
async function keptPerConnection(port, sample) {
  const { body } = await httpGet(port, '/api/connections');
  const ids = JSON.parse(body).connections.slice(0, sample).map((c) => c.connectionId);
  let lines = 0;
  let bytes = 0;
  for (const id of ids) {
    const trace = JSON.parse((await httpGet(port, `/api/trace?connection=${id}&limit=10000`)).body);
    lines += trace.entries.length;
    for (const e of trace.entries) bytes += e.line.length;
  }
  return ids.length === 0 ? { lines: 0, bytes: 0 } : { lines: lines / ids.length, bytes: bytes / ids.length };
}

async function run(pool, traceLines, traceMaxBytes) {
  const relay = await startRelay(
    pool.port,
    {
      MAX_CONNECTIONS: String(MINERS + 100),
      // A busy machine must not turn slow miners into refusals: every miner is to be measured.
      FIRST_BYTE_TIMEOUT_MS: '120000',
      AUTHORIZE_TIMEOUT_MS: '120000',
      TRACE_LINES: String(traceLines),
      ...(traceMaxBytes === '' ? {} : { TRACE_MAX_BYTES: traceMaxBytes }),
    },
    RELAY_BIN === undefined ? {} : { bin: RELAY_BIN },
  );
  await sleep(2000);
  const idle = rssKiB(relay.pid);
  const miner = startMinerSim(['--url', `127.0.0.1:${relay.port}`, '--miners', String(MINERS), '--user', 'trace', '--hashrate', '1', '--ramp-up', a['ramp-up'], '--duration', '3600']);
  const deadline = Date.now() + 300_000;
  let n = 0;
  while ((n = await relayed(relay.metricsPort)) < MINERS) {
    if (Date.now() > deadline) throw new Error(`only ${n} of ${MINERS} miners relayed after 300 s`);
    await sleep(500);
  }
  // Every miner connected: now the jobs that fill the rings, one at a time (a new job while the
  // miners connect would only slow the connecting down on a busy machine).
  for (let j = 0; j < Number(a.jobs); j++) {
    await rotateJob(pool.controlPort);
    await sleep(JOB_MS);
  }
  await sleep(2000);
  const loaded = rssKiB(relay.pid);
  const heap = await heapUsed(relay.metricsPort);
  const kept = traceLines > 0 ? await keptPerConnection(relay.metricsPort, Number(a.sample)) : { lines: 0, bytes: 0 };
  miner.child.kill('SIGTERM');
  await relay.stop();
  await miner.summary();
  return { traceLines, traceMaxBytes: traceMaxBytes === '' ? 'default (64 MiB)' : `${(Number(traceMaxBytes) / 2 ** 20).toFixed(0)} MiB`, idle, loaded, heap, kept };
}

async function main() {
  // Idle miners: a share difficulty no 1 H/s miner reaches during the run; pool-sim keeps no trace of its own.
  const pool = await startPoolSim(['--profile', 'easy', '--difficulty', String(difficultyFor(1e9)), '--job-interval', '0', '--trace-entries', '0']);
  const results = [];
  for (const spec of a.runs.split(',')) {
    const [lines, maxBytes = ''] = spec.split(':');
    results.push(await run(pool, Number(lines), maxBytes));
  }
  await stop(pool.child);
  const base = results.find((r) => r.traceLines === 0);
  console.log(`${MINERS} idle miners, ${a.jobs} jobs (POST /rotate-job) every ${JOB_MS} ms after all connected; relay WORKERS=1${a.tree === undefined ? '' : ` built in ${a.tree}`}`);
  console.log('| TRACE_LINES | TRACE_MAX_BYTES | RSS loaded MiB | RSS per miner KiB (loaded - idle) | heap used MiB | lines kept per connection | line bytes kept per connection KiB | RSS per miner over TRACE_LINES=0 KiB |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const per = (r.loaded - r.idle) / MINERS;
    const over = base === undefined ? NaN : per - (base.loaded - base.idle) / MINERS;
    console.log(
      `| ${r.traceLines} | ${r.traceMaxBytes} | ${(r.loaded / 1024).toFixed(1)} | ${per.toFixed(2)} | ${(r.heap.used / 2 ** 20).toFixed(1)} | ${r.kept.lines.toFixed(0)} | ${(r.kept.bytes / 1024).toFixed(1)} | ${r.traceLines === 0 ? '–' : over.toFixed(2)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
