'use strict';
// Reconnect storm: N miners (default 5,000) connect within about one second, as after a
// restart or a network blip, and each sends mining.subscribe. Measures how long until every one
// was accepted and answered through stratum-relay, the accept rate, and the kernel's listen-queue
// overflows (TcpExtListenOverflows, machine-wide) during the storm, for two LISTEN_BACKLOG values.
// The miners come from two processes on core 0 (each under the open-files cap), the pool is
// bench/lib/bench-pool.js (latency mode), the proxy has core 1 where taskset exists.
//
//   node bench/accept-bench.js [--miners 5000] [--backlogs 511,4096] [--rounds 3] [--spread-ms 1000]
// (--spread-ms 0: every connect at once)
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('./lib/args');
const { start, jsonLines, stop, startRelay } = require('./lib/procs');

const args = parseArgs(process.argv.slice(2));
const MINERS = Number(args.miners ?? 5000);
const BACKLOGS = String(args.backlogs ?? '511,4096').split(',').map(Number);
const ROUNDS = Number(args.rounds ?? 3);
const SPREAD_MS = Number(args['spread-ms'] ?? 1000);
const CLIENT_PROCESSES = 2;

function listenOverflows() {
  const lines = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (!lines[i].startsWith('TcpExt:')) continue;
    const names = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/);
    const at = names.indexOf('ListenOverflows');
    return at === -1 ? NaN : Number(values[at]);
  }
  return NaN;
}

async function once(backlog) {
  const pool = start(path.join(__dirname, 'lib/bench-pool.js'), ['latency'], { cpu: 0 });
  const { port: poolPort } = await jsonLines(pool)();
  const relay = await startRelay(poolPort, { LISTEN_BACKLOG: String(backlog), LOG_LEVEL: 'error' });
  const { port } = relay;
  const proxy = relay.child;
  const overflowsBefore = listenOverflows();
  const per = Math.ceil(MINERS / CLIENT_PROCESSES);
  const clients = [];
  for (let i = 0; i < CLIENT_PROCESSES; i++) {
    const n = Math.min(per, MINERS - i * per);
    clients.push(start(path.join(__dirname, 'lib/storm-client.js'), [JSON.stringify({ port, miners: n, spreadMs: SPREAD_MS })], { cpu: 0 }));
  }
  const results = await Promise.all(clients.map((c) => jsonLines(c)()));
  const overflows = listenOverflows() - overflowsBefore;
  for (const c of clients) await stop(c);
  await stop(proxy);
  await stop(pool);
  const answered = results.reduce((n, r) => n + r.answered, 0);
  const allMs = Math.max(...results.map((r) => r.lastAnswerMs));
  const connectP99 = Math.max(...results.map((r) => r.connectP99Ms));
  return { answered, allMs, connectP99, overflows };
}

async function main() {
  const rows = [];
  for (const backlog of BACKLOGS) {
    for (let round = 0; round < ROUNDS; round++) {
      const r = await once(backlog);
      rows.push({ backlog, ...r });
      process.stderr.write(`backlog ${backlog} round ${round + 1}: ${r.answered}/${MINERS} answered, all in ${r.allMs.toFixed(0)} ms, connect p99 ${r.connectP99.toFixed(0)} ms, listen overflows ${r.overflows}\n`);
    }
  }
  console.log('| LISTEN_BACKLOG | miners answered | all answered after ms | accept rate /s | connect p99 ms | listen overflows |');
  console.log('|---|---|---|---|---|---|');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const backlog of BACKLOGS) {
    const rs = rows.filter((r) => r.backlog === backlog);
    const allMs = median(rs.map((r) => r.allMs));
    console.log(
      `| ${backlog} | ${median(rs.map((r) => r.answered))} / ${MINERS} | ${allMs.toFixed(0)} | ${Math.round(MINERS / (allMs / 1000))} | ${median(rs.map((r) => r.connectP99)).toFixed(0)} | ${median(rs.map((r) => r.overflows))} |`,
    );
  }
  console.log(`\n(median of ${ROUNDS} rounds; the ${MINERS} connects are spread over ${SPREAD_MS} ms from ${CLIENT_PROCESSES} processes)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
