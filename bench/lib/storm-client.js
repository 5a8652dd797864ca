'use strict';
// Part of a reconnect storm, in its own process: argv[2] = {port, miners, spreadMs}. Opens
// `miners` connections spread evenly over `spreadMs`, each sends mining.subscribe; prints one
// JSON line once every one was answered (or after 30 s): answered, the time of the last answer
// and the p99 connect time, both from the start of the storm.
const net = require('node:net');
const { performance } = require('node:perf_hooks');

const opts = JSON.parse(process.argv[2]);
const sockets = [];
const connectMs = [];
let answered = 0;
let lastAnswerMs = 0;
const t0 = performance.now();

function finish() {
  connectMs.sort((a, b) => a - b);
  const p99 = connectMs.length === 0 ? NaN : connectMs[Math.min(connectMs.length - 1, Math.floor(0.99 * connectMs.length))];
  process.stdout.write(JSON.stringify({ answered, lastAnswerMs, connectP99Ms: p99 }) + '\n');
}

for (let i = 0; i < opts.miners; i++) {
  setTimeout(() => {
    const began = performance.now();
    const sock = net.connect({ host: '127.0.0.1', port: opts.port });
    sockets.push(sock);
    sock.on('error', () => {});
    sock.once('connect', () => {
      connectMs.push(performance.now() - began);
      sock.write(`{"id":1,"method":"mining.subscribe","params":["storm/${i}"]}\n`);
    });
    sock.once('data', () => {
      answered++;
      lastAnswerMs = performance.now() - t0;
      if (answered === opts.miners) finish();
    });
  }, (i * opts.spreadMs) / opts.miners);
}
setTimeout(finish, 30_000).unref();
process.on('SIGTERM', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
