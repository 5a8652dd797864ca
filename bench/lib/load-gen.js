'use strict';
// Benchmark miners, in their own process. argv[2] is a JSON object:
//   {host, port, connections, mode: 'throughput'|'latency', durationMs, warmupMs, rate}
// throughput: every miner streams submits (id 4 every time, like cpuminer), keeping at most
//             WINDOW unanswered; the pool answers each and sends a notify every 20 answers;
//             counts lines and bytes both ways inside the measurement window without parsing.
// latency:    `rate` submits/s spread evenly over all miners; round trip per submit.
// Prints one JSON result line.
const net = require('node:net');
const { performance } = require('node:perf_hooks');
const { lineReader } = require('./line-reader');
const { submitLine } = require('./fixtures');

const opts = JSON.parse(process.argv[2]);
const BATCH_LINES = 16;
const WINDOW = 256;
const NOTIFY_EVERY = 20; // must match bench-pool.js

function countNewlines(buf) {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
let measuring = false;
let lines = 0;
let bytes = 0;
const rtts = [];

function startMiner(index) {
  return new Promise((resolve, reject) => {
    const worker = `bench-farm.worker-${String(index).padStart(5, '0')}`;
    const sock = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    const sentAt = new Map();
    let nextId = 10;
    let ready = false;
    const miner = { sock, send, ready: () => ready };
    function send() {
      const id = nextId++;
      const line = submitLine(id, worker, id);
      sentAt.set(id, performance.now());
      if (measuring) {
        lines++;
        bytes += line.length;
      }
      return sock.write(line);
    }
    // Throughput: distinct shares (the audit hashes each one), id 4, written BATCH_LINES at a time;
    // a bounded number of batches per turn so one fast miner cannot starve the others.
    const batches = Array.from({ length: 64 }, (_, b) =>
      Buffer.from(Array.from({ length: BATCH_LINES }, (_, i) => submitLine(4, worker, b * BATCH_LINES + i + index * 1e6)).join('')),
    );
    let nextBatch = 0;
    let submitted = 0;
    let received = 0;
    let waiting = false;
    function stream() {
      waiting = false;
      for (let i = 0; i < 8; i++) {
        if (sock.destroyed) return;
        // Received lines are answers plus one notify per NOTIFY_EVERY answers.
        if (submitted - Math.floor((received * NOTIFY_EVERY) / (NOTIFY_EVERY + 1)) >= WINDOW) {
          waiting = true;
          return;
        }
        submitted += BATCH_LINES;
        const batch = batches[nextBatch];
        nextBatch = (nextBatch + 1) % batches.length;
        if (measuring) {
          lines += BATCH_LINES;
          bytes += batch.length;
        }
        if (!sock.write(batch)) {
          sock.once('drain', stream);
          return;
        }
      }
      setImmediate(stream);
    }
    function countThroughput(chunk) {
      const n = countNewlines(chunk);
      received += n;
      if (measuring) {
        lines += n;
        bytes += chunk.length;
      }
      if (waiting) stream();
    }
    sock.on('error', reject);
    sock.on('connect', () => {
      sock.write(
        JSON.stringify({ id: 1, method: 'mining.subscribe', params: ['bench/1.0'] }) + '\n' +
          JSON.stringify({ id: 2, method: 'mining.authorize', params: [worker, 'x'] }) + '\n',
      );
    });
    const handshake = lineReader((line) => {
        if (measuring) {
          lines++;
          bytes += line.length + 1;
        }
        // Answers start with {"id":N — cheap to pick out without parsing the notify flood.
        if (line[2] !== 0x69 || line[6] === 0x6e) return; // not {"id", or "id":null
        const end = line.indexOf(0x2c, 6);
        const id = Number(line.toString('latin1', 6, end));
        if (id === 2 && !ready) {
          ready = true;
          resolve(miner);
          if (opts.mode === 'throughput') {
            sock.removeListener('data', handshake);
            sock.on('data', countThroughput);
            setImmediate(stream);
          }
          return;
        }
        const t0 = sentAt.get(id);
        if (t0 === undefined) return;
        sentAt.delete(id);
        if (measuring) rtts.push(performance.now() - t0);
    });
    sock.on('data', handshake);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const miners = [];
  for (let i = 0; i < opts.connections; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(opts.connections, i + 50); j++) batch.push(startMiner(j));
    miners.push(...(await Promise.all(batch)));
  }
  let timer = null;
  if (opts.mode === 'latency') {
    // Spread `rate` submits/s evenly, round-robin over the miners. What is owed is computed from
    // elapsed time, so a late timer tick catches up instead of lowering the rate.
    const began = performance.now();
    let sent = 0;
    let next = 0;
    timer = setInterval(() => {
      const owed = Math.floor(((performance.now() - began) / 1000) * opts.rate) - sent;
      for (let i = 0; i < owed; i++) {
        miners[next].send();
        next = (next + 1) % miners.length;
      }
      sent += owed;
    }, 5);
  }
  await new Promise((r) => setTimeout(r, opts.warmupMs));
  measuring = true;
  process.stdout.write(JSON.stringify({ phase: 'measuring' }) + '\n');
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, opts.durationMs));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  if (timer) clearInterval(timer);
  rtts.sort((a, b) => a - b);
  const result = {
    seconds,
    msgsPerSec: lines / seconds,
    mbPerSec: bytes / seconds / 1e6,
    rttCount: rtts.length,
    p50: percentile(rtts, 50),
    p99: percentile(rtts, 99),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  for (const m of miners) m.sock.destroy();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`load-gen: ${err.stack || err}\n`);
  process.exit(1);
});
