'use strict';
// Failover benchmark: how long 1,000 miners take to get from a dead primary pool to the backup,
// and back to the primary when it returns. Everything is a real process on 127.0.0.1: two
// pool-sims (extranonce1 prefixes aa / bb), stratum-relay with POOLS=primary,backup, and
// miner-sim processes (--processes of them, each far under the 20,000-descriptor cap).
//
//   node bench/failover-bench.js [--miners 1000] [--processes 2] [--failback-delay-ms 5000]
//                                [--failback-rate 20] [--probe-interval-ms 5000] [--hashrate 1]
//                                [--verbose]   (children's stderr passed through)
//
// Run after `npx tsc -b` (it runs the built programs through their bin shims).
//
// Every hash is a share (difficulty 2^-32 and below: the share target is above any hash), so at
// --hashrate 1 each miner submits one share a second once authorized: "mining on a pool" is then
// measured by the pool itself, as "has had a share accepted there", about 1 s after the miner's
// handshake. Times come from polling the pools' /stats and the proxy's /metrics together every
// 200 ms (plus the time the two requests take), so they are late by up to one poll.
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const readline = require('node:readline');
const { parseArgs } = require('./lib/args');

const ROOT = path.resolve(__dirname, '..');
const BIN = {
  proxy: path.join(ROOT, 'packages/proxy-service/bin/stratum-proxy.js'),
  poolSim: path.join(ROOT, 'packages/pool-sim/bin/pool-sim.js'),
  minerSim: path.join(ROOT, 'packages/miner-sim/bin/miner-sim.js'),
};
const args = parseArgs(process.argv.slice(2));
const MINERS = Number(args.miners ?? 1000);
const PROCESSES = Number(args.processes ?? 2);
const FAILBACK_DELAY_MS = Number(args['failback-delay-ms'] ?? 5000);
const FAILBACK_RATE = Number(args['failback-rate'] ?? 20);
const PROBE_INTERVAL_MS = Number(args['probe-interval-ms'] ?? 5000);
const HASHRATE = Number(args.hashrate ?? 1);
const DIFFICULTY = '0.0000000002'; // < 2^-32: every hash meets the share target
const PREFIX = { primary: 'aa', backup: 'bb' };
const STATS_POLL_MS = 200;
const METRICS_EVERY = 1; // /metrics on every poll too

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function startNode(script, argv, env = {}) {
  const child = spawn(process.execPath, [script, ...argv], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stderr.on('data', (d) => {
    if (args.verbose) process.stderr.write(d);
  });
  const lines = [];
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) if (w.re.test(line)) w.resolve(line);
  });
  child.waitLine = (re, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return resolve(seen);
      const w = { re, resolve: (l) => (clearTimeout(t), waiters.splice(waiters.indexOf(w), 1), resolve(l)) };
      const t = setTimeout(() => reject(new Error(`${path.basename(script)}: no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
      waiters.push(w);
      child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited (${code}) before printing ${re}`)));
    });
  child.lines = lines;
  return child;
}

function stop(child, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  });
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', reject);
  });
}
const getJson = async (port, urlPath) => JSON.parse((await get(port, urlPath)).body);

/** The samples of a few metrics, as [{name, labels, value}]. Enough for our label values (no escapes). */
async function scrape(port, names) {
  const { body } = await get(port, '/metrics');
  const out = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (m === null || !names.includes(m[1])) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  const pick = (name, filter = {}) =>
    out.filter((s) => s.name === name && Object.entries(filter).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  return pick;
}

const LISTENING = /pool-sim listening on [^\s]+:(\d+) \(control on http:\/\/[^\s]+:(\d+)\)/;
async function startPool(name, port = 0) {
  const child = startNode(BIN.poolSim, [
    '--host', '127.0.0.1', '--port', String(port), '--control-port', '0', '--log-level', 'warn',
    '--profile', 'easy', '--difficulty', DIFFICULTY, '--job-interval', '30s',
    '--extranonce1-prefix', PREFIX[name], '--name', name, '--seed', name === 'primary' ? '1' : '2',
  ]);
  const m = LISTENING.exec(await child.waitLine(LISTENING));
  return { child, port: Number(m[1]), controlPort: Number(m[2]) };
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

/**
 * Polls until `done(state)` or the deadline; `state` is refreshed from the pool's /stats every
 * poll and from /metrics every METRICS_EVERY polls; `mark` records the first time of each event.
 */
async function watch({ pool, proxyMetrics, since, timeoutMs, events, step }) {
  const deadline = now() + timeoutMs;
  const marks = {};
  const mark = (key, cond) => {
    if (cond && marks[key] === undefined) marks[key] = now() - since;
  };
  for (let i = 0; ; i++) {
    const [stats, metric] = await Promise.all([
      // null while the pool is not up (a restart): try again
      getJson(pool.controlPort, '/stats').catch(() => null),
      i % METRICS_EVERY === 0 ? scrape(proxyMetrics, events.metricNames) : null,
    ]);
    if (step({ stats, metric, mark, marks })) return marks;
    if (now() > deadline) throw new Error(`timed out; reached so far: ${JSON.stringify(marks)}`);
    await sleep(STATS_POLL_MS);
  }
}

const workersWithShares = (stats) => (stats === null ? 0 : Object.values(stats.workers).filter((w) => w.accepted > 0).length);
const s = (ms) => (ms === undefined ? 'n/a' : (ms / 1000).toFixed(2));

async function main() {
  const log = (msg) => process.stderr.write(`${msg}\n`);
  const primary = await startPool('primary');
  const backup = await startPool('backup');
  const names = { primary: `127.0.0.1:${primary.port}`, backup: `127.0.0.1:${backup.port}` };
  const [proxyPort, metricsPort] = [await freePort(), await freePort()];
  const proxy = startNode(BIN.proxy, [], {
    POOLS: `stratum+tcp://${names.primary},stratum+tcp://${names.backup}`,
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: String(proxyPort),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'warn',
    POOL_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS),
    FAILBACK_DELAY_MS: String(FAILBACK_DELAY_MS),
    FAILBACK_RATE: String(FAILBACK_RATE),
  });
  for (let i = 0; ; i++) {
    const ok = await get(metricsPort, '/readyz').then((r) => r.status === 200, () => false);
    if (ok) break;
    if (i > 300) throw new Error('the proxy did not become ready');
    await sleep(100);
  }

  const perProcess = Math.ceil(MINERS / PROCESSES);
  const miners = [];
  for (let k = 0; k < PROCESSES; k++) {
    const n = Math.min(perProcess, MINERS - k * perProcess);
    miners.push(
      startNode(BIN.minerSim, [
        '--url', `127.0.0.1:${proxyPort}`, '--miners', String(n), '--user', `m${k}`, '--hashrate', String(HASHRATE),
        '--ramp-up', '250', '--seed', String(k + 1), '--json', '--per-miner',
      ]),
    );
  }
  log(`${MINERS} miners in ${PROCESSES} miner-sim processes connecting…`);
  const metricNames = ['stratum_pool_up', 'stratum_pool_miners', 'stratum_failbacks_total', 'stratum_pool_failovers_total', 'stratum_connection_closes_total'];
  const events = { metricNames };
  await watch({
    pool: primary,
    proxyMetrics: metricsPort,
    since: now(),
    timeoutMs: 120_000,
    events,
    step: ({ stats }) => workersWithShares(stats) === MINERS,
  });
  log('all miners mine on the primary; steady for 3 s');
  await sleep(3_000);

  // ---- failover --------------------------------------------------------------------------
  const killedAt = now();
  primary.child.kill('SIGKILL');
  const failover = await watch({
    pool: backup,
    proxyMetrics: metricsPort,
    since: killedAt,
    timeoutMs: 120_000,
    events,
    step: ({ stats, metric, mark, marks }) => {
      if (metric !== null) {
        mark('primaryDown', metric('stratum_pool_up', { pool_host: names.primary }) === 0);
        mark('relayedToBackup', metric('stratum_pool_miners', { pool_host: names.backup }) === MINERS);
      }
      mark('sessionsAtBackup', stats !== null && stats.sessions.open >= MINERS);
      mark('firstShareAtBackup', workersWithShares(stats) > 0);
      mark('allSharesAtBackup', workersWithShares(stats) === MINERS);
      return marks.allSharesAtBackup !== undefined && marks.relayedToBackup !== undefined;
    },
  });
  log(`failover: ${JSON.stringify(failover)}; mining on the backup for 3 s`);
  await sleep(3_000);

  // ---- failback --------------------------------------------------------------------------
  const restartAt = now();
  const restarted = await startPool('primary', primary.port);
  const listeningAfter = now() - restartAt;
  let failbacksAtStart = null;
  const failback = await watch({
    pool: restarted,
    proxyMetrics: metricsPort,
    since: restartAt,
    timeoutMs: FAILBACK_DELAY_MS + PROBE_INTERVAL_MS + (MINERS / FAILBACK_RATE) * 1000 + 120_000,
    events,
    step: ({ stats, metric, mark, marks }) => {
      if (metric !== null) {
        const fb = metric('stratum_failbacks_total');
        failbacksAtStart ??= fb;
        mark('primaryUp', metric('stratum_pool_up', { pool_host: names.primary }) === 1);
        mark('firstFailback', fb > failbacksAtStart);
        mark('lastFailback', fb - failbacksAtStart >= MINERS);
        mark('relayedToPrimary', metric('stratum_pool_miners', { pool_host: names.primary }) === MINERS);
      }
      mark('firstShareAtPrimary', workersWithShares(stats) > 0);
      mark('allSharesAtPrimary', workersWithShares(stats) === MINERS);
      return marks.allSharesAtPrimary !== undefined && marks.relayedToPrimary !== undefined && marks.lastFailback !== undefined;
    },
  });
  log(`failback: ${JSON.stringify(failback)}`);

  // ---- wrap up ---------------------------------------------------------------------------
  const metric = await scrape(metricsPort, metricNames);
  const failbacks = metric('stratum_failbacks_total');
  const poolCloses = metric('stratum_connection_closes_total', { side: 'pool' });
  const failovers = metric('stratum_pool_failovers_total', { pool_host: names.primary });
  await Promise.all(miners.map((m) => stop(m)));
  let onPrimary = 0;
  let reconnects = 0;
  for (const m of miners) {
    const summary = JSON.parse(m.lines.find((l) => l.startsWith('{')) ?? '{}');
    reconnects += summary.reconnects ?? 0;
    for (const pm of summary.per_miner ?? []) if (typeof pm.extranonce1 === 'string' && pm.extranonce1.startsWith(PREFIX.primary)) onPrimary++;
  }
  await stop(proxy);
  await Promise.all([stop(restarted.child), stop(backup.child)]);

  const spanMs = failback.lastFailback - failback.firstFailback;
  console.log(
    `\nFailover benchmark: ${MINERS} miners (${PROCESSES} miner-sim processes, ${HASHRATE} H/s each, every hash a share), stratum-relay with POOLS=primary,backup; ` +
      `POOL_PROBE_INTERVAL_MS=${PROBE_INTERVAL_MS}, FAILBACK_DELAY_MS=${FAILBACK_DELAY_MS}, FAILBACK_RATE=${FAILBACK_RATE}, UPSTREAM_CONNECT_TIMEOUT_MS default; miner-sim reconnect backoff default (0.25 s base, jittered).`,
  );
  console.log(`node ${process.version}, ${os.cpus().length} cores; the pools' /stats and the proxy's /metrics polled every ${STATS_POLL_MS} ms: times are late by up to one poll.\n`);
  console.log('| phase | from | to | seconds |');
  console.log('|---|---|---|---:|');
  const row = (phase, from, to, ms) => console.log(`| ${phase} | ${from} | ${to} | ${s(ms)} |`);
  row('failover', 'primary SIGKILLed', 'stratum_pool_up{primary} = 0', failover.primaryDown);
  row('failover', 'primary SIGKILLed', `backup has ${MINERS} sessions open`, failover.sessionsAtBackup);
  row('failover', 'primary SIGKILLed', `stratum_pool_miners{backup} = ${MINERS}`, failover.relayedToBackup);
  row('failover', 'primary SIGKILLed', 'first share accepted by the backup', failover.firstShareAtBackup);
  row('failover', 'primary SIGKILLed', `every miner has had a share accepted by the backup`, failover.allSharesAtBackup);
  row('failback', 'primary restarted', 'it listens', listeningAfter);
  row('failback', 'primary restarted', 'stratum_pool_up{primary} = 1 (next probe)', failback.primaryUp);
  row('failback', 'primary restarted', 'first failback close', failback.firstFailback);
  row('failback', 'primary restarted', `stratum_failbacks_total +${MINERS}`, failback.lastFailback);
  row('failback', 'primary restarted', `stratum_pool_miners{primary} = ${MINERS}`, failback.relayedToPrimary);
  row('failback', 'primary restarted', `every miner has had a share accepted by the restarted primary`, failback.allSharesAtPrimary);
  console.log(
    `\nFailback pace: ${MINERS} closes from first to last in ${s(spanMs)} s = ${(MINERS / (spanMs / 1000)).toFixed(1)}/s (FAILBACK_RATE ${FAILBACK_RATE}; ${MINERS / FAILBACK_RATE} s expected). ` +
      `stratum_failbacks_total ${failbacks}, pool-side closes ${poolCloses}, failovers inside a connection from the primary ${failovers}; ` +
      `miners' reconnects ${reconnects}; miners whose last extranonce1 is the primary's: ${onPrimary} of ${MINERS}.`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
  for (const c of children) c.kill('SIGKILL');
});
