'use strict';
// Preloaded into a relay under test by `relay-bench.js --cpu-prof <dir>` (NODE_OPTIONS=--require;
// `--cpu-prof` itself is not allowed in NODE_OPTIONS): the same V8 sampling profile `node
// --cpu-prof` writes, started at load and written to BENCH_CPU_PROF_DIR when the process exits.
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? 1000) });
  session.post('Profiler.start');
  // A session in the same thread answers synchronously, so this completes inside the exit handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `relay-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
