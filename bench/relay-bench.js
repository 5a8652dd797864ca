'use strict';
// Relay benchmark: the same Stratum traffic through (a) a direct connection, (b) a bare Node
// socket.pipe relay, (c) stratum-relay with metrics and share audit, (d) stratum-relay with the
// audit off. Load generator, pool and relay are separate processes. Prints a table.
//
//   pnpm bench:relay [--rounds 3] [--seconds 6] [--latency-connections 500] [--rate 1000]
//
// Compare relays with each other, not with fixed numbers: on a shared 2-core machine even a
// bare relay adds milliseconds at p99.
const { spawn } = require('node:child_process');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..');
const args = parseArgs(process.argv.slice(2));
const ROUNDS = Number(args.rounds ?? 3);
const SECONDS = Number(args.seconds ?? 6);
const THROUGHPUT_CONNECTIONS = Number(args['throughput-connections'] ?? 20);
const LATENCY_CONNECTIONS = Number(args['latency-connections'] ?? 500);
const RATE = Number(args.rate ?? 1000);
const PROXY_BIN = path.join(ROOT, 'packages/proxy-service/bin/stratum-proxy.js');

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=');
    out[k] = v ?? argv[++i];
  }
  return out;
}

const children = new Set();
function start(cmd, argv, env) {
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function firstJsonLine(child) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (l) => {
      rl.close();
      child.stdout.resume();
      try {
        resolve(JSON.parse(l));
      } catch {
        reject(new Error(`bad output: ${l}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}
function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
async function waitHealthy(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('stratum-relay did not become healthy');
}

const TARGETS = [
  { name: 'direct', async up() { return { port: this.poolPort, stop: async () => {} }; } },
  {
    name: 'bare pipe relay',
    async up() {
      const c = start(process.execPath, [path.join(__dirname, 'lib/pipe-relay.js'), `127.0.0.1:${this.poolPort}`]);
      const { port } = await firstJsonLine(c);
      return { port, stop: () => stop(c) };
    },
  },
  ...[true, false].map((audit) => ({
    name: audit ? 'stratum-relay' : 'stratum-relay (audit off)',
    async up() {
      const [port, metricsPort] = [await freePort(), await freePort()];
      const c = start(process.execPath, [PROXY_BIN], {
        POOL_HOST: '127.0.0.1',
        POOL_PORT: String(this.poolPort),
        PROXY_HOST: '127.0.0.1',
        PROXY_PORT: String(port),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
        SHARE_AUDIT: String(audit),
      });
      c.stdout.resume();
      await waitHealthy(metricsPort);
      return { port, stop: () => stop(c) };
    },
  })),
];

async function measure(target, mode) {
  const pool = start(process.execPath, [path.join(__dirname, 'lib/bench-pool.js'), mode]);
  const { port: poolPort } = await firstJsonLine(pool);
  const relay = await target.up.call({ poolPort });
  const gen = start(process.execPath, [
    path.join(__dirname, 'lib/load-gen.js'),
    JSON.stringify({
      host: '127.0.0.1',
      port: relay.port,
      mode,
      connections: mode === 'throughput' ? THROUGHPUT_CONNECTIONS : LATENCY_CONNECTIONS,
      rate: RATE,
      warmupMs: 1500,
      durationMs: SECONDS * 1000,
    }),
  ]);
  const result = await firstJsonLine(gen);
  await stop(gen);
  await relay.stop();
  await stop(pool);
  return result;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function main() {
  const results = new Map(TARGETS.map((t) => [t.name, { tput: [], mb: [], p50: [], p99: [] }]));
  // Rounds interleave the targets so that a noisy neighbour hurts all of them alike.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of TARGETS) {
      const r = results.get(t.name);
      const tp = await measure(t, 'throughput');
      r.tput.push(tp.msgsPerSec);
      r.mb.push(tp.mbPerSec);
      const lat = await measure(t, 'latency');
      r.p50.push(lat.p50);
      r.p99.push(lat.p99);
      process.stderr.write(`round ${round} ${t.name}: ${f(tp.msgsPerSec, 0)} msg/s, p99 ${f(lat.p99)} ms\n`);
    }
  }
  const m = (name, key) => median(results.get(name)[key]);
  const pipe = { tput: m('bare pipe relay', 'tput'), p99: m('bare pipe relay', 'p99'), p50: m('bare pipe relay', 'p50') };
  const direct = { p50: m('direct', 'p50'), p99: m('direct', 'p99') };
  console.log(`\nRelay benchmark: median of ${ROUNDS} rounds, ${SECONDS} s each; throughput with ${THROUGHPUT_CONNECTIONS} connections (pool floods ~570 B notifies, miners keep 16 ~120 B submits in flight); latency with ${RATE} submits/s over ${LATENCY_CONNECTIONS} connections.`);
  console.log(`node ${process.version}, ${require('node:os').cpus().length} cores\n`);
  console.log('| path | messages/s | MB/s | throughput vs pipe | RTT p50 (ms) | RTT p99 (ms) | added p50 vs direct | added p99 vs direct | p99 − pipe p99 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const verdicts = [];
  for (const t of TARGETS) {
    const tput = m(t.name, 'tput');
    const p50 = m(t.name, 'p50');
    const p99 = m(t.name, 'p99');
    const ratio = tput / pipe.tput;
    console.log(`| ${t.name} | ${f(tput, 0)} | ${f(m(t.name, 'mb'))} | ${f(ratio * 100, 1)}% | ${f(p50, 3)} | ${f(p99, 3)} | ${f(p50 - direct.p50, 3)} | ${f(p99 - direct.p99, 3)} | ${f(p99 - pipe.p99, 3)} |`);
    if (t.name.startsWith('stratum-relay')) {
      verdicts.push(`${t.name}: throughput ${f(ratio * 100, 1)}% of pipe (target ≥ 85%) ${ratio >= 0.85 ? 'PASS' : 'FAIL'}; p99 ${f(p99 - pipe.p99, 3)} ms above pipe (target ≤ 0.5 ms) ${p99 - pipe.p99 <= 0.5 ? 'PASS' : 'FAIL'}`);
    }
  }
  console.log('\n' + verdicts.join('\n'));
}

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
