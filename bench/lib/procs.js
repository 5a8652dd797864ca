'use strict';
// Process plumbing shared by the benchmark scripts: start peers pinned to a core where taskset
// exists, read their JSON stdout lines, stop them, read their CPU time and wait for /healthz.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const os = require('node:os');
const readline = require('node:readline');

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks
const PIN = hasTaskset() && os.cpus().length >= 2;


function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const children = new Set();
/** Start a node script, pinned to `cpu` when pinning is available (no `cpu`: not pinned). */
function start(script, argv, { env = {}, cpu } = {}) {
  const pin = PIN && cpu !== undefined;
  const cmd = pin ? 'taskset' : process.execPath;
  const full = pin ? ['-c', String(cpu), process.execPath, script, ...argv] : [script, ...argv];
  const child = spawn(cmd, full, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function jsonLines(child) {
  const rl = readline.createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  rl.on('line', (l) => {
    let v;
    try {
      v = JSON.parse(l);
    } catch {
      return; // not ours (e.g. a log line)
    }
    const w = waiters.shift();
    if (w) w.resolve(v);
    else queue.push(v);
  });
  child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`child exited ${code}`));
  });
  return () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve, reject) => waiters.push({ resolve, reject })));
}
function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}
/** Resident memory of a process in KiB (VmRSS), NaN once it is gone. */
function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
/** Open file descriptors of a process (entries of /proc/<pid>/fd), NaN once it is gone. */
function openFds(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}
/** The soft open-files limit of a process (this one by default). */
function maxOpenFiles(pid = 'self') {
  const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return m ? Number(m[1]) : Infinity;
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
      http
        .get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('stratum-relay did not become healthy');
}

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const PROXY_BIN = require('node:path').resolve(__dirname, '../../packages/proxy-service/bin/stratum-proxy.js');

/**
 * stratum-relay on core 1 in front of the pool on 127.0.0.1:`poolPort`, configured through the
 * environment like an operator would (`env` adds to or overrides the defaults). `bin`: another
 * build's bin shim (default this tree's). Resolves once /healthz answers: {port, metricsPort, pid, child, stop}.
 */
async function startRelay(poolPort, env = {}, { bin = PROXY_BIN } = {}) {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = start(bin, [], {
    cpu: 1,
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
  return { port, metricsPort, pid: child.pid, child, stop: () => stop(child) };
}

module.exports = { PIN, start, jsonLines, stop, cpuSeconds, rssKiB, openFds, maxOpenFiles, freePort, waitHealthy, startRelay, PROXY_BIN, children };
