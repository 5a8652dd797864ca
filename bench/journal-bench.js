'use strict';
// Share journal benchmark. Needs the build (`npx tsc -b`).
//
//   node bench/journal-bench.js [--rate 5000] [--seconds 5] [--paced-rounds 3] [--rows 200000] [--connections 500]
//   node bench/journal-bench.js --relay [--rate 5000] [--rounds 5] [--seconds 5]
//
// Each database is measured two ways: on the relay's own thread (SqliteBackend / PostgresBackend
// called directly: what the journal did first) and through JournalThreadBackend, the connection
// owned by a worker thread (what the relay uses now). PostgreSQL is a temp server started here
// like the tests start theirs (Debian's postgresql package), fsync off.
// 1. Collector cost per share, journal off vs on: the MetricsCollector is fed a submit and its
//    answer per share (SHARE_AUDIT=off, no sockets) as fast as it goes, in the same process,
//    alternating off/loop/thread rounds; shares/s of the relay's thread (with the thread backend
//    the SQLite work runs on another core when there is one: this is the relay thread's cost).
// 2. Paced at --rate shares/s for --seconds, journal off (the control) and each way: CPU per share
//    of the main thread (the relay's event loop) and of the whole process (every thread, SQLite's
//    included), counted until the last row is written; per-batch write time (median, p99, max;
//    with `loop` the max is the longest the event loop was held by a synchronous batch, with
//    `thread` it is the round trip to the thread), the event loop's delay p99/max while writing,
//    rows dropped (must be 0).
// 3. Bulk: --rows rows written in 1,000-row transactions: rows/s and file size per million.
// --relay: the capacity figure with real processes instead: bench/relay-bench.js at a
//    fixed --rate submits/s (latency mode, 500 miners) through a relay without a journal, with
//    SQLite and with PostgreSQL (a temp server started here like the tests do), same rounds:
//    relay CPU per answered submit (all its threads) and p99 answer latency.
const { mkdtempSync, rmSync, statSync, existsSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');
const { parseArgs } = require('./lib/args');

const args = parseArgs(process.argv.slice(2));
const RATE = Number(args.rate ?? 5000);
const SECONDS = Number(args.seconds ?? 5);
const ROWS = Number(args.rows ?? 200_000);
const CONNECTIONS = Number(args.connections ?? 500);
const PACED_ROUNDS = Number(args['paced-rounds'] ?? 3);
const root = path.join(__dirname, '..', 'packages');
const { ShareJournal, SqliteBackend, PostgresBackend, JournalThreadBackend } = require(path.join(root, 'share-journal/dist/index.js'));
const { startPostgres } = require(path.join(root, 'integration-tests/dist/index.js'));
const { MetricsCollector } = require(path.join(root, 'proxy-service/dist/metrics-collector.js'));
const { createMetrics } = require(path.join(root, 'metrics/dist/index.js'));
const { Registry } = require(path.join(root, 'proxy-service/node_modules/prom-client'));

const dir = mkdtempSync(path.join(tmpdir(), 'journal-bench-'));
let files = 0;
const newFile = () => path.join(dir, `j${++files}.sqlite`);
let pg = null;
let databases = 0;
const pgUrl = () => pg.createDatabase(`journal_bench_${++databases}`);
const BACKENDS = {
  loop: () => new SqliteBackend({ path: newFile() }),
  thread: () => new JournalThreadBackend({ target: { kind: 'sqlite', path: newFile() } }),
  'pg-loop': () => new PostgresBackend({ url: pgUrl() }),
  'pg-thread': () => new JournalThreadBackend({ target: { kind: 'postgres', url: pgUrl() } }),
};
const LABELS = { null: 'journal off', loop: 'SQLite on the loop', thread: 'SQLite thread', 'pg-loop': 'PostgreSQL on the loop', 'pg-thread': 'PostgreSQL thread' };

function collectorWith(journal) {
  let t = 0;
  const c = new MetricsCollector({
    metrics: createMetrics(new Registry(), { collectDefault: false }),
    maxClientIds: 500,
    submitTimeoutMs: 30_000,
    shareAudit: false,
    journal,
    now: () => t,
  });
  const emit = (e) => c.handle({ t, ...e });
  for (let id = 1; id <= CONNECTIONS; id++) {
    emit({ type: 'connection.opened', connectionId: id, remoteAddress: '10.0.0.1', remotePort: 40000 + id, wallTime: Date.now() });
    emit({ type: 'upstream.connected', connectionId: id, poolName: 'main', latencyMs: 1, host: '127.0.0.1', port: 3333 });
    emit({ type: 'stratum.request', connectionId: id, direction: 'miner_to_pool', id: 2, method: 'mining.authorize', params: [`rig${id}`, 'x'] });
    emit({ type: 'stratum.response', connectionId: id, direction: 'pool_to_miner', id: 2, result: true, error: null });
    emit({ type: 'stratum.notification', connectionId: id, direction: 'pool_to_miner', method: 'mining.set_difficulty', params: [1024] });
  }
  let n = 0;
  const share = () => {
    const id = (n++ % CONNECTIONS) + 1;
    t += 0.01;
    emit({ type: 'stratum.request', connectionId: id, direction: 'miner_to_pool', id: 4, method: 'mining.submit', params: [`rig${id}`, 'job1', '00000000', '5f5e1000', '00000000'] });
    emit({ type: 'stratum.response', connectionId: id, direction: 'pool_to_miner', id: 4, result: true, error: null });
  };
  return { collector: c, share };
}

/** CPU seconds of this process's main thread alone (the relay's event loop), from /proc. */
function mainThreadCpu() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
}
/** CPU seconds of the whole process, every thread. */
const processCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function throughput(backend, ms) {
  const journal = backend === null ? null : new ShareJournal({ backend: BACKENDS[backend](), maxQueue: 1_000_000, retentionDays: null });
  journal?.start();
  const { share } = collectorWith(journal);
  let shares = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Batches of 1,000 between yields, so the journal's timer and writes run as they would.
    for (let i = 0; i < 1000; i++) share();
    shares += 1000;
    await tick();
  }
  const elapsed = ms / 1000;
  if (journal !== null) await journal.close(30_000);
  return shares / elapsed;
}

/** `kind` null: the same paced collector without a journal, the control for the machine's own event-loop delay. */
async function paced(kind) {
  const writes = [];
  let journal = null;
  if (kind !== null) {
    const backend = BACKENDS[kind]();
    const write = backend.write.bind(backend);
    backend.write = async (batch) => {
      const t0 = performance.now();
      await write(batch);
      writes.push(performance.now() - t0);
    };
    journal = new ShareJournal({ backend, maxQueue: 100_000, retentionDays: null });
    journal.start();
  }
  const { share } = collectorWith(journal);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const [main0, proc0] = [mainThreadCpu(), processCpu()];
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * RATE);
    while (sent < due) {
      share();
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  loop.disable();
  // CPU until every row is written (the close flushes the last batch), per share sent.
  await journal?.close(30_000);
  const cpuUs = { main: ((mainThreadCpu() - main0) * 1e6) / sent, process: ((processCpu() - proc0) * 1e6) / sent };
  writes.sort((a, b) => a - b);
  return { sent, cpuUs, written: journal?.written ?? 0, dropped: journal?.dropped ?? 0, batches: writes.length, writeMs: { p50: pct(writes, 0.5) ?? NaN, p99: pct(writes, 0.99) ?? NaN, max: writes[writes.length - 1] ?? NaN }, loopDelayMs: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } };
}

async function bulk() {
  const file = newFile();
  const backend = new SqliteBackend({ path: file });
  await backend.migrate();
  const row = (i) => ({ time: 1_717_000_000_000 + i * 10, worker: `rig${i % 500}`, pool: 'main', jobId: `${(i >> 6).toString(16)}`, difficulty: 65536, result: i % 50 === 0 ? 'rejected' : 'accepted', reason: i % 50 === 0 ? 'stale' : null, audit: 'valid_accepted', shareDifficulty: 70000 + (i % 1000), blockCandidate: false, latencyMs: 20 + (i % 30), connectionId: 1 + (i % 500), remoteAddress: `10.0.${(i % 500) >> 8}.${i % 256}` });
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i += 1000) await backend.write({ shares: Array.from({ length: Math.min(1000, ROWS - i) }, (_, k) => row(i + k)), connections: [] });
  const seconds = (performance.now() - t0) / 1000;
  await backend.close();
  const size = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
  return { rows: ROWS, rowsPerSecond: Math.round(ROWS / seconds), bytesPerMillion: Math.round((size / ROWS) * 1e6) };
}

async function collectorRounds() {
  const rounds = 3;
  const runs = { off: [], loop: [], thread: [] };
  for (let r = 0; r < rounds; r++) {
    runs.off.push(await throughput(null, 1500));
    runs.loop.push(await throughput('loop', 1500));
    runs.thread.push(await throughput('thread', 1500));
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const off = med(runs.off);
  const cost = (on) => `${Math.round(on)} (on/off ${(on / off).toFixed(3)}; ${((RATE / on - RATE / off) * 100).toFixed(2)} % of one core at ${RATE} shares/s)`;
  console.log(`collector shares/s on the relay's thread (median of ${rounds}): journal off ${Math.round(off)}, SQLite on the loop ${cost(med(runs.loop))}, SQLite thread ${cost(med(runs.thread))}`);
}

/**
 * --relay: relay-bench.js in latency mode at --rate through relays without a journal, with SQLite
 * and with a temp PostgreSQL server (started as the tests start theirs), interleaved per round.
 */
async function relayCapacity() {
  const url = pgUrl();
  const argv = [
    path.join(__dirname, 'relay-bench.js'),
    '--modes', 'latency',
    '--targets', 'pipe,false,sqlite:false,pg:false',
    '--journals', `sqlite=sqlite,pg=${url}`,
    '--rate', String(RATE),
    '--rounds', String(args.rounds ?? 5),
    '--seconds', String(SECONDS),
  ];
  const { spawnSync } = require('node:child_process');
  const run = spawnSync(process.execPath, argv, { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`relay-bench exited ${run.status}`);
}

async function main() {
  if (args.relay === 'true') {
    await relayCapacity();
    return;
  }
  await collectorRounds();
  // Rounds interleave the five so that a busy neighbour hurts each alike; every round is printed, then the medians.
  const kinds = [null, 'loop', 'thread', 'pg-loop', 'pg-thread'];
  const label = (kind) => LABELS[kind];
  const pacedRuns = new Map(kinds.map((k) => [k, []]));
  for (let round = 1; round <= PACED_ROUNDS; round++) {
    for (const kind of kinds) {
      const p = await paced(kind);
      pacedRuns.get(kind).push(p);
      console.log(`paced ${RATE} shares/s for ${SECONDS} s, round ${round}, ${label(kind)}: sent ${p.sent}, written ${p.written}, dropped ${p.dropped}, ${p.batches} batches, CPU µs per share main thread ${p.cpuUs.main.toFixed(2)} process ${p.cpuUs.process.toFixed(2)}, write ms p50 ${p.writeMs.p50.toFixed(2)} p99 ${p.writeMs.p99.toFixed(2)} max ${p.writeMs.max.toFixed(2)}; event-loop delay p99 ${p.loopDelayMs.p99.toFixed(2)} ms max ${p.loopDelayMs.max.toFixed(2)} ms`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const kind of kinds) {
    const runs = pacedRuns.get(kind);
    console.log(`paced median of ${PACED_ROUNDS}, ${label(kind)}: CPU µs per share main thread ${median(runs.map((r) => r.cpuUs.main)).toFixed(2)}, process ${median(runs.map((r) => r.cpuUs.process)).toFixed(2)}; batch ms p50 ${median(runs.map((r) => r.writeMs.p50)).toFixed(2)} max ${median(runs.map((r) => r.writeMs.max)).toFixed(2)}; event-loop delay p99 ${median(runs.map((r) => r.loopDelayMs.p99)).toFixed(2)} ms, max ${median(runs.map((r) => r.loopDelayMs.max)).toFixed(2)} ms; dropped ${runs.reduce((a, r) => a + r.dropped, 0)}`);
  }
  const b = await bulk();
  console.log(`bulk ${b.rows} rows: ${b.rowsPerSecond} rows/s in 1,000-row transactions; ${(b.bytesPerMillion / 1024 / 1024).toFixed(1)} MiB per million shares (SQLite, with indexes)`);
}

(async () => {
  pg = await startPostgres();
  try {
    await main();
  } finally {
    pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
