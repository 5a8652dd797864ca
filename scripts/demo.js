#!/usr/bin/env node
'use strict';
// The main job (`pnpm start`). With a pool configured (POOLS, POOL_HOST or CONFIG_FILE) it runs the proxy against it. Without one,
// a local demo on 127.0.0.1: pool-sim (judges shares like a pool) ← stratum-relay ← miner-sim
// miners that really hash, so /metrics moves within seconds.
//
//   node scripts/demo.js [--miners N] [--duration S]
//   env: DEMO_POOL_PORT (3334), DEMO_CONTROL_PORT (3335), DEMO_PROXY_PORT (3333), DEMO_METRICS_PORT (9333)
//
// Every program is started through its own CLI, exactly as an operator would run it.
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.resolve(__dirname, '..');
const BIN = {
  proxy: path.join(ROOT, 'packages/proxy-service/bin/stratum-proxy.js'),
  pool: path.join(ROOT, 'packages/pool-sim/bin/pool-sim.js'),
  miners: path.join(ROOT, 'packages/miner-sim/bin/miner-sim.js'),
};

function usage(message) {
  if (message) process.stderr.write(`demo: ${message}\n`);
  process.stderr.write('usage: node scripts/demo.js [--miners N] [--duration SECONDS]\n');
  process.exit(2);
}

if (process.env.POOL_HOST || process.env.POOLS || process.env.CONFIG_FILE) {
  // A real pool is configured: the proxy alone, configured by the caller's environment and flags.
  const proxy = spawn(process.execPath, [BIN.proxy, ...process.argv.slice(2)], { stdio: 'inherit' });
  // SIGHUP reloads the proxy's config file; the others stop it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => proxy.kill(signal));
  proxy.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return;
}

let flags;
try {
  flags = parseArgs({ options: { miners: { type: 'string' }, duration: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  usage(err.message);
}
if (flags.help) {
  process.stdout.write('usage: node scripts/demo.js [--miners N] [--duration SECONDS]\nWith POOLS (or POOL_HOST, or CONFIG_FILE) set, runs only the proxy against those pools.\n');
  process.exit(0);
}
const MINERS = Number(flags.miners ?? 4);
const DURATION = flags.duration === undefined ? null : Number(flags.duration);
if (!Number.isInteger(MINERS) || MINERS < 1 || MINERS > 1000) usage(`--miners: expected an integer from 1 to 1000, got ${flags.miners}`);
if (DURATION !== null && !(DURATION > 0)) usage(`--duration: expected a positive number of seconds, got ${flags.duration}`);

function port(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) usage(`${name}: expected a port from 1 to 65535, got ${JSON.stringify(text)}`);
  return n;
}

const children = [];
function start(name, file, args, env, stdio = ['ignore', 'inherit', 'inherit']) {
  // Own process group: a Ctrl-C on the terminal reaches only this script, which then stops the
  // programs one by one in order (a second signal would make the proxy skip its drain).
  const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio, detached: true });
  child.name = name;
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`demo: ${name} exited unexpectedly (${signal ?? code}); stopping the rest\n`);
      void shutdown(1);
    }
  });
  return child;
}

function waitForLine(child, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${child.name} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function waitHealthy(metricsPort, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      http
        .get({ host: '127.0.0.1', port: metricsPort, path: '/healthz', timeout: 1000 }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the proxy's /healthz did not answer within ${timeoutMs} ms`);
}

let stopping = false;
async function stopChild(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? 0;
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code ?? 0);
    });
    child.kill(signal);
  });
}

// Stop in dependency order: miners first (they print their summary), then the proxy (it drains),
// then the pool.
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  let worst = code;
  for (const child of [...children].reverse()) {
    const exit = await stopChild(child, child.name === 'miner-sim' ? 'SIGINT' : 'SIGTERM');
    if (exit !== 0 && worst === 0) worst = exit;
  }
  process.exit(worst);
}
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main() {
  const proxyPort = port('DEMO_PROXY_PORT', 3333);
  const metricsPort = port('DEMO_METRICS_PORT', 9333);

  const poolPort = port('DEMO_POOL_PORT', 3334);
  const controlPort = port('DEMO_CONTROL_PORT', 3335);
  const pool = start(
    'pool-sim',
    BIN.pool,
    ['--host', '127.0.0.1', '--port', String(poolPort), '--profile', 'easy', '--difficulty', '0.00002', '--job-interval', '30s', '--tip-interval', '120s', '--control-port', String(controlPort), '--log-level', 'warn'],
    {},
    ['ignore', 'pipe', 'inherit'],
  );
  await waitForLine(pool, /listening on/, 30_000);

  start('stratum-proxy', BIN.proxy, [], {
    POOL_HOST: '127.0.0.1',
    POOL_PORT: String(poolPort),
    PROXY_HOST: process.env.PROXY_HOST ?? '127.0.0.1',
    PROXY_PORT: String(proxyPort),
    METRICS_HOST: process.env.METRICS_HOST ?? '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
  });
  await waitHealthy(metricsPort, 30_000);

  start('miner-sim', BIN.miners, ['--url', `stratum+tcp://127.0.0.1:${proxyPort}`, '--miners', String(MINERS), '--user', 'demo', '--hashrate', '25k']);

  process.stdout.write(
    [
      '',
      `stratum-relay demo: ${MINERS} miners → proxy 127.0.0.1:${proxyPort} → pool-sim 127.0.0.1:${poolPort}`,
      `  metrics:  http://127.0.0.1:${metricsPort}/metrics`,
      `  status:   http://127.0.0.1:${metricsPort}/status`,
      `  pool:     http://127.0.0.1:${controlPort}/stats   (pool-sim's ground truth)`,
      `  Point a real miner at stratum+tcp://127.0.0.1:${proxyPort} too. Ctrl-C stops everything.`,
      DURATION === null ? '' : `  (stopping by itself after ${DURATION} s)`,
      '',
    ].join('\n'),
  );
  if (DURATION !== null) setTimeout(() => void shutdown(0), DURATION * 1000);
}

main().catch((err) => {
  process.stderr.write(`demo: ${err.message}\n`);
  void shutdown(1);
});
