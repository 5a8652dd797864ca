'use strict';
const { parseArgs } = require('./lib/args');
// Relay benchmark: the same Stratum traffic through (a) a direct connection, (b) a bare Node
// socket.pipe relay, (c) stratum-relay with metrics and share audit, (d) stratum-relay with the
// audit off. Load generator, pool and relay are separate processes; where `taskset` exists the
// relay gets core 1 to itself and the pool and load generator share core 0, so the relay, not its
// peers, is what runs out of CPU. Prints a markdown table.
//
//   pnpm bench:relay [--rounds 5] [--seconds 5] [--throughput-connections 20]
//                    [--latency-connections 500] [--rate 1000]
//
// Columns:
// - messages/s, MB/s: Stratum lines (and bytes) both ways through the path, seen by the miners.
// - relay CPU µs/msg and msgs per relay CPU-second: the relay process's own CPU time (from
//   /proc/<pid>/stat) per message relayed. This is the capacity figure: it does not depend on
//   how much CPU the peers happened to get on a shared machine.
// - RTT: mining.submit → answer round trip at a fixed submit rate spread over many connections.
// Compare relays with each other, not with fixed numbers: even a bare relay adds latency at p99.
const os = require('node:os');
const path = require('node:path');

const args = parseArgs(process.argv.slice(2));
const ROUNDS = Number(args.rounds ?? 5);
const SECONDS = Number(args.seconds ?? 5);
const THROUGHPUT_CONNECTIONS = Number(args['throughput-connections'] ?? 20);
const LATENCY_CONNECTIONS = Number(args['latency-connections'] ?? 500);
const RATE = Number(args.rate ?? 1000);
const { PIN, start, jsonLines, stop, cpuSeconds, startRelay } = require('./lib/procs');

const TARGETS = [
  {
    name: 'direct',
    async up(poolPort) {
      return { port: poolPort, pid: null, stop: async () => {} };
    },
  },
  {
    name: 'bare pipe relay',
    async up(poolPort) {
      const c = start(path.join(__dirname, 'lib/pipe-relay.js'), [`127.0.0.1:${poolPort}`], { cpu: 1 });
      const { port } = await jsonLines(c)();
      return { port, pid: c.pid, stop: () => stop(c) };
    },
  },
  ...[true, false].map((audit) => ({
    name: audit ? 'stratum-relay' : 'stratum-relay (audit off)',
    async up(poolPort) {
      const relay = await startRelay(poolPort, { SHARE_AUDIT: String(audit) });
      return { port: relay.port, pid: relay.pid, stop: relay.stop };
    },
  })),
];

async function measure(target, mode) {
  const pool = start(path.join(__dirname, 'lib/bench-pool.js'), [mode], { cpu: 0 });
  const { port: poolPort } = await jsonLines(pool)();
  const relay = await target.up(poolPort);
  const gen = start(
    path.join(__dirname, 'lib/load-gen.js'),
    [
      JSON.stringify({
        host: '127.0.0.1',
        port: relay.port,
        mode,
        connections: mode === 'throughput' ? THROUGHPUT_CONNECTIONS : LATENCY_CONNECTIONS,
        rate: RATE,
        warmupMs: 1500,
        durationMs: SECONDS * 1000,
      }),
    ],
    { cpu: 0 },
  );
  const next = jsonLines(gen);
  await next(); // {"phase":"measuring"}
  const cpu0 = relay.pid ? cpuSeconds(relay.pid) : 0;
  const result = await next();
  const cpu = relay.pid ? cpuSeconds(relay.pid) - cpu0 : NaN;
  await stop(gen);
  await relay.stop();
  await stop(pool);
  const messages = result.msgsPerSec * result.seconds;
  return { ...result, relayCpuSeconds: cpu, cpuUsPerMsg: (cpu * 1e6) / messages, msgsPerCpuSecond: messages / cpu };
}

const median = (xs) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

async function main() {
  const keys = ['tput', 'mb', 'cpuUs', 'perCpu', 'p50', 'p99', 'answered'];
  const results = new Map(TARGETS.map((t) => [t.name, Object.fromEntries(keys.map((k) => [k, []]))]));
  // Rounds interleave the targets so that a noisy neighbour hurts all of them alike.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of TARGETS) {
      const r = results.get(t.name);
      const tp = await measure(t, 'throughput');
      r.tput.push(tp.msgsPerSec);
      r.mb.push(tp.mbPerSec);
      r.cpuUs.push(tp.cpuUsPerMsg);
      r.perCpu.push(tp.msgsPerCpuSecond);
      const lat = await measure(t, 'latency');
      r.p50.push(lat.p50);
      r.p99.push(lat.p99);
      r.answered.push(lat.rttCount / (RATE * lat.seconds));
      process.stderr.write(`round ${round} ${t.name}: ${int(tp.msgsPerSec)} msg/s, relay ${f(tp.cpuUsPerMsg, 3)} µs/msg, p99 ${f(lat.p99)} ms\n`);
    }
  }
  const m = (name, key) => median(results.get(name)[key]);
  const pipe = { tput: m('bare pipe relay', 'tput'), perCpu: m('bare pipe relay', 'perCpu'), p99: m('bare pipe relay', 'p99') };
  const direct = { p50: m('direct', 'p50'), p99: m('direct', 'p99') };
  console.log(
    `\nRelay benchmark: median of ${ROUNDS} rounds, ${SECONDS} s each. Throughput (saturating): ${THROUGHPUT_CONNECTIONS} connections, each miner streams ~120 B mining.submit lines (id 4 every time, like cpuminer) with up to 256 unanswered, the pool answers each (~37 B) and sends a ~570 B mining.notify every 20 answers. Latency: ${RATE} submits/s spread over ${LATENCY_CONNECTIONS} connections, each answered at once by the pool.`,
  );
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${PIN ? 'relay pinned to core 1, pool and load generator to core 0' : 'no CPU pinning (taskset missing)'}\n`);
  // p99 of a few thousand round trips moves by a millisecond between runs on a shared machine, so
  // the relay-vs-pipe difference is taken per round (same minute, same neighbours), then the median.
  const pairedP99 = (name) => median(results.get(name).p99.map((v, i) => v - results.get('bare pipe relay').p99[i]));
  console.log('| path | messages/s | MB/s | relay CPU µs/msg | msgs per relay CPU-s | capacity vs pipe | submits answered at the fixed rate | RTT p50 (ms) | RTT p99 (ms) | added p50 vs direct | added p99 vs direct | p99 − pipe p99 (paired) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const verdicts = [];
  for (const t of TARGETS) {
    const perCpu = m(t.name, 'perCpu');
    const p50 = m(t.name, 'p50');
    const p99 = m(t.name, 'p99');
    const ratio = perCpu / pipe.perCpu;
    console.log(
      `| ${t.name} | ${int(m(t.name, 'tput'))} | ${f(m(t.name, 'mb'), 1)} | ${f(m(t.name, 'cpuUs'), 3)} | ${int(perCpu)} | ${Number.isFinite(ratio) ? f(ratio * 100, 1) + '%' : 'n/a'} | ${f(m(t.name, 'answered') * 100, 1)}% | ${f(p50, 3)} | ${f(p99, 3)} | ${f(p50 - direct.p50, 3)} | ${f(p99 - direct.p99, 3)} | ${f(pairedP99(t.name), 3)} |`,
    );
    if (t.name.startsWith('stratum-relay')) {
      const wall = m(t.name, 'tput') / pipe.tput;
      verdicts.push(
        `${t.name}: saturated capacity ${f(ratio * 100, 1)}% of the bare pipe relay per CPU-second (wall-clock messages/s ${f(wall * 100, 1)}%; target ≥ 85%) ${ratio >= 0.85 ? 'PASS' : 'FAIL'}; at ${RATE} submits/s ${f(m(t.name, 'answered') * 100, 1)}% answered, p99 ${f(pairedP99(t.name), 3)} ms above the pipe relay's (median of per-round differences; target ≤ 0.5 ms) ${pairedP99(t.name) <= 0.5 ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  console.log('\n' + verdicts.join('\n'));
}


main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
