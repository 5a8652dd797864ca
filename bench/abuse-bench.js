'use strict';
// Abuse isolation: does one abusive miner slow the others down or grow the proxy's memory?
// Measures the submit round trip of 100 well-behaved miners (500 submits/s in total) through
// stratum-relay while one abuser, in its own process, does one of:
//   none     baseline
//   bigline  a 100 MB line without a newline
//   flood    10,000 submit lines per second
//   stall    its own pool session stops reading while it keeps sending
// The pool (bench/lib/abuse-pool.js) reads with a line cap, so what is measured is the proxy.
// Where taskset exists the proxy has core 1 to itself; pool, miners and abuser share core 0.
// Prints a markdown table: p50/p99 round trip, p99 over the baseline, proxy RSS (max sampled).
//
//   node bench/abuse-bench.js [--rounds 3] [--seconds 8] [--modes none,bigline,flood,stall]
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('./lib/args');
const { start, jsonLines, stop, startRelay } = require('./lib/procs');

const args = parseArgs(process.argv.slice(2));
const ROUNDS = Number(args.rounds ?? 3);
const SECONDS = Number(args.seconds ?? 8);
const MODES = String(args.modes ?? 'none,bigline,flood,stall').split(',');

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function once(mode) {
  const pool = start(path.join(__dirname, 'lib/abuse-pool.js'), [], { cpu: 0 });
  const { port: poolPort } = await jsonLines(pool)();
  const relay = await startRelay(poolPort);
  const { port } = relay;
  const proxy = relay.child;
  const rssBefore = rssMiB(proxy.pid);
  const gen = start(
    path.join(__dirname, 'lib/load-gen.js'),
    [JSON.stringify({ host: '127.0.0.1', port, connections: 100, mode: 'latency', rate: 500, warmupMs: 1500, durationMs: SECONDS * 1000 })],
    { cpu: 0 },
  );
  const next = jsonLines(gen);
  let abuser = null;
  if (mode !== 'none') {
    abuser = start(path.join(__dirname, 'lib/abuser.js'), [mode, String(port)], { cpu: 0 });
    await jsonLines(abuser)();
  }
  let rssMax = rssBefore;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMiB(proxy.pid))), 100);
  await next(); // {phase: 'measuring'}
  const result = await next();
  clearInterval(sampler);
  if (abuser !== null) await stop(abuser);
  await stop(gen);
  await stop(proxy);
  await stop(pool);
  return { ...result, rssBefore, rssMax };
}

async function main() {
  const rows = new Map(MODES.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) {
      const r = await once(mode);
      rows.get(mode).push(r);
      process.stderr.write(`round ${round + 1} ${mode}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, RSS ${r.rssBefore.toFixed(0)} → max ${r.rssMax.toFixed(0)} MiB\n`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const baseP99 = median(rows.get('none')?.map((r) => r.p99) ?? [NaN]);
  console.log(`| abuse | submits answered | RTT p50 ms | RTT p99 ms | p99 over baseline ms | proxy RSS before → max MiB |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const [mode, rs] of rows) {
    const p99 = median(rs.map((r) => r.p99));
    console.log(
      `| ${mode} | ${median(rs.map((r) => r.rttCount))} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${p99.toFixed(2)} | ${(p99 - baseP99).toFixed(2)} | ${median(rs.map((r) => r.rssBefore)).toFixed(0)} → ${median(rs.map((r) => r.rssMax)).toFixed(0)} |`,
    );
  }
  console.log(`\n(median of ${ROUNDS} rounds of ${SECONDS} s; 100 miners at 500 submits/s in total)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
