'use strict';
const { parseArgs } = require('./lib/args');
// Metrics collector benchmark: the cost of `MetricsCollector.handle(event)` — prom-client
// metrics plus (optionally) the share audit — per ProxyEvent, on a pre-built event stream, so
// neither sockets nor JSON.parse are measured. Needs the build (`npx tsc -b`).
//
//   node bench/collector-bench.js [--rounds 5] [--connections 200] [--submits 50] [--seconds 1]
//                                 [--merkle-depth 3] [--sample 0.01] [--variants noaudit,audit,rejected,sample]
//                                 [--root <repo>] [--dump audit|noaudit|rejected|sample]
//   node bench/collector-bench.js --child <variant> --passes <n>   # 3 warm-up passes + n, no output:
//                                 # for instruction counts (callgrind, --passes 2 minus --passes 0)
//
// Stream, per pass: every connection opens, upstream connects, subscribes (answer: extranonce1
// f8002c90, extranonce2 size 4), authorizes its own worker, gets mining.set_difficulty and a
// mining.notify; then `--submits` rounds over all connections of: bytes (miner->pool), a
// mining.submit (distinct extranonce2/nonce, job id of the latest notify), bytes (pool->miner),
// the pool's answer (1 in 25 rejected `[23,"Low difficulty share",null]`), and after every 20th
// answer of a connection a new mining.notify; finally every connection closes. A `bytes` event
// goes with every line, as the relay emits one per chunk.
//
// Each (variant, round) runs in a fresh node process (no shared JIT state): warm-up passes, then
// timed passes for `--seconds`; the median pass is reported. Variants, by SHARE_AUDIT: audit
// (all), noaudit (off), rejected (rejected:<--sample>), sample (sample:<--sample>); the sample is
// drawn from a seeded PRNG, so every variant is deterministic. `--root` measures another
// checkout's build (e.g. a copy of the tree before a change) with the same stream: give it
// `--variants noaudit,audit` when that build has no audit modes. `--dump` prints the /metrics
// text after one pass instead (deterministic: all clocks come from the events), to diff the
// exposition of two builds. `--merkle-depth` sets the notify's branch (3 by default, as the
// first runs; mainnet is 10-13).
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const fixtures = require('./lib/fixtures');
const { notifyLine, subscribeAnswer, submitLine, answerLine } = fixtures;

const args = parseArgs(process.argv.slice(2));
const ROOT = path.resolve(args.root ?? path.join(__dirname, '..'));
const ROUNDS = Number(args.rounds ?? 5);
const CONNECTIONS = Number(args.connections ?? 200);
const SUBMITS = Number(args.submits ?? 50);
const SECONDS = Number(args.seconds ?? 1);
const NOTIFY_EVERY = 20;
const REJECT_EVERY = 25;
const SAMPLE = Number(args.sample ?? 0.01);
const VARIANTS = { audit: true, noaudit: false, rejected: { mode: 'rejected', fraction: SAMPLE }, sample: { mode: 'sample', fraction: SAMPLE } };
const RUN = String(args.variants ?? 'noaudit,audit,rejected,sample').split(',');
for (const v of RUN) if (!(v in VARIANTS)) throw new Error(`--variants: one of ${Object.keys(VARIANTS).join(', ')}`);
// A fixtures module without depths takes no third argument: only its one depth can be asked for.
const MERKLE_DEPTH = typeof fixtures.merkleDepth === 'function' ? fixtures.merkleDepth(args['merkle-depth']) : 3;
if (typeof fixtures.merkleDepth !== 'function' && args['merkle-depth'] !== undefined && Number(args['merkle-depth']) !== 3) {
  throw new Error('--merkle-depth: bench/lib/fixtures.js here builds 3-deep notifies only');
}


// ---------------------------------------------------------------------------------------------
// The event stream (built once per process, before any timing).

function buildEvents() {
  const events = [];
  let t = 1000;
  const line = (connectionId, direction, text) => {
    // The relay emits the chunk's bytes, then the parsed line's event.
    events.push({ type: 'bytes', connectionId, t, direction, bytes: Buffer.byteLength(text) });
    const msg = JSON.parse(text);
    if (typeof msg.method === 'string') {
      if (msg.id === null || msg.id === undefined) {
        events.push({ type: 'stratum.notification', connectionId, t, direction, method: msg.method, params: msg.params });
      } else {
        events.push({ type: 'stratum.request', connectionId, t, direction, id: msg.id, method: msg.method, params: msg.params });
      }
    } else {
      events.push({ type: 'stratum.response', connectionId, t, direction, id: msg.id, result: msg.result, error: msg.error });
    }
  };
  const conns = [];
  let jobSeq = 0x6a5f;
  for (let c = 1; c <= CONNECTIONS; c++) {
    const worker = `farm.rig${c}`;
    conns.push({ id: c, worker, nextId: 3, answers: 0, jobId: (jobSeq++).toString(16) });
    events.push({ type: 'connection.opened', connectionId: c, t, remoteAddress: '10.0.0.1', remotePort: 40000 + c, wallTime: 1_700_000_000_000 });
    events.push({ type: 'upstream.connected', connectionId: c, t, poolName: 'pool.bench', poolHost: 'pool.bench', poolPort: 3333, poolPriority: 0, attempt: 0, latencyMs: 0.8 });
    line(c, 'miner_to_pool', '{"id":1,"method":"mining.subscribe","params":["cgminer/4.12.0"]}\n');
    t += 0.4;
    line(c, 'pool_to_miner', subscribeAnswer(1));
    line(c, 'miner_to_pool', JSON.stringify({ id: 2, method: 'mining.authorize', params: [worker, 'x'] }) + '\n');
    t += 0.4;
    line(c, 'pool_to_miner', '{"id":2,"result":true,"error":null}\n');
    // Low enough that some shares of a random hash pass: both audit verdicts occur.
    line(c, 'pool_to_miner', '{"id":null,"method":"mining.set_difficulty","params":[1e-10]}\n');
    line(c, 'pool_to_miner', notifyLine(conns[c - 1].jobId, true, MERKLE_DEPTH));
  }
  let pairs = 0;
  let n = 0;
  for (let round = 0; round < SUBMITS; round++) {
    for (const conn of conns) {
      const id = conn.nextId++;
      const submit = JSON.parse(submitLine(id, conn.worker, n++));
      submit.params[1] = conn.jobId;
      t += 0.01;
      line(conn.id, 'miner_to_pool', JSON.stringify(submit) + '\n');
      t += 0.7;
      const rejected = pairs % REJECT_EVERY === REJECT_EVERY - 1;
      line(conn.id, 'pool_to_miner', rejected ? `{"id":${id},"result":null,"error":[23,"Low difficulty share",null]}\n` : answerLine(id));
      pairs++;
      if (++conn.answers % NOTIFY_EVERY === 0) {
        conn.jobId = (jobSeq++).toString(16);
        line(conn.id, 'pool_to_miner', notifyLine(conn.jobId, false, MERKLE_DEPTH));
      }
    }
  }
  for (const conn of conns) {
    t += 0.01;
    events.push({ type: 'connection.closed', connectionId: conn.id, t, durationMs: 600_000, bytesMinerToPool: 0, bytesPoolToMiner: 0, side: 'miner', reason: 'end', error: undefined });
  }
  return { events, pairs };
}

function makeCollector(audit) {
  const { Registry } = require(path.join(ROOT, 'packages/metrics/node_modules/prom-client'));
  const { createMetrics } = require(path.join(ROOT, 'packages/metrics/dist/index.js'));
  const { MetricsCollector } = require(path.join(ROOT, 'packages/proxy-service/dist/metrics-collector.js'));
  const registry = new Registry();
  // As startObservability builds it (minus process metrics, which nothing here touches).
  const metrics = createMetrics(registry, { collectDefault: false });
  metrics.maxConnections.set(1000);
  const collector = new MetricsCollector({
    metrics,
    poolHost: 'pool.bench',
    poolPort: 3333,
    maxClientIds: 500,
    submitTimeoutMs: 30_000,
    shareAudit: audit,
    // The sample's draws, seeded: a sampling variant's passes and dumps are reproducible.
    random: require(path.join(ROOT, 'packages/prng/dist/index.js')).mulberry32(0x5eed),
    // No sweeper runs here (the collector is not attached), so this clock is never read.
    now: () => 0,
    wallNow: () => 1_700_000_000_000,
  });
  return { registry, collector };
}

// ---------------------------------------------------------------------------------------------
// Child: one variant, one round.

function child(variant) {
  const { events, pairs } = buildEvents();
  const { registry, collector } = makeCollector(VARIANTS[variant]);
  const pass = () => {
    for (let i = 0; i < events.length; i++) collector.handle(events[i]);
  };
  if (args.passes !== undefined) {
    // For instruction counts (callgrind): a fixed amount of work, no clocks, no output.
    for (let i = 0; i < 3 + Number(args.passes); i++) pass();
    if (collector.internalErrors !== 0) throw new Error(`${variant}: ${collector.internalErrors} internal errors`);
    return;
  }
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 0.3e9));
  do pass();
  while (process.hrtime.bigint() < warmEnd);

  const times = [];
  const deadline = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 1e9));
  do {
    const t0 = process.hrtime.bigint();
    pass();
    times.push(Number(process.hrtime.bigint() - t0));
  } while (process.hrtime.bigint() < deadline || times.length < 3);
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  if (collector.internalErrors !== 0) throw new Error(`${variant}: ${collector.internalErrors} internal errors`);
  // One scrape, so a broken exposition fails the benchmark rather than going unnoticed.
  registry.metrics().then((text) => {
    if (!text.includes('stratum_submits_total{client_id="farm.rig1",pool_host="pool.bench"}')) throw new Error('no submits series');
    process.stdout.write(
      JSON.stringify({ variant, nsPerEvent: median / events.length, usPerPair: median / 1e3 / pairs, passes: times.length, events: events.length, pairs }) + '\n',
    );
  });
}

function dump(variant) {
  const { events } = buildEvents();
  const { registry, collector } = makeCollector(VARIANTS[variant]);
  // Scrapes in between too: what is on /metrics must not depend on when it was scraped.
  const run = async () => {
    for (let i = 0; i < events.length; i++) {
      collector.handle(events[i]);
      if (i % 4999 === 0) await registry.metrics();
    }
    process.stdout.write(await registry.metrics());
  };
  run().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: fresh process per (variant, round), alternating order; median per variant.

function parent() {
  const results = Object.fromEntries(RUN.map((v) => [v, []]));
  const forward = ['--rounds', ROUNDS, '--connections', CONNECTIONS, '--submits', SUBMITS, '--seconds', SECONDS, '--root', ROOT, '--sample', SAMPLE, '--merkle-depth', MERKLE_DEPTH].map(String);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? RUN : RUN.slice().reverse();
    for (const v of order) {
      const out = execFileSync(process.execPath, [path.join(__dirname, 'collector-bench.js'), '--child', v, ...forward], { encoding: 'utf8' });
      results[v].push(JSON.parse(out.trim().split('\n').pop()));
    }
  }
  const med = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  const first = results[RUN[0]][0];
  console.log(
    `Collector benchmark: ${first.events.toLocaleString('en-US')} events per pass, ${CONNECTIONS} connections, ` +
      `${first.pairs.toLocaleString('en-US')} submit+answer pairs, ${MERKLE_DEPTH}-deep merkle branch; ${ROUNDS} rounds x ${SECONDS} s, median; node ${process.version}`,
  );
  console.log(`root: ${ROOT}\n`);
  const label = { noaudit: 'off', audit: 'all', rejected: `rejected:${SAMPLE}`, sample: `sample:${SAMPLE}` };
  const width = Math.max(11, ...RUN.map((v) => label[v].length));
  console.log(`| ${'SHARE_AUDIT'.padEnd(width)} | ns/event | µs per submit+answer | ns/event min-max |`);
  console.log(`|${'-'.repeat(width + 2)}|---------:|---------------------:|-----------------:|`);
  for (const v of RUN) {
    const ns = results[v].map((x) => x.nsPerEvent);
    const us = results[v].map((x) => x.usPerPair);
    console.log(
      `| ${label[v].padEnd(width)} | ${med(ns).toFixed(0).padStart(8)} | ${med(us).toFixed(2).padStart(20)} | ` +
        `${`${Math.min(...ns).toFixed(0)}-${Math.max(...ns).toFixed(0)}`.padStart(16)} |`,
    );
  }
}

if (args.child !== undefined) child(args.child);
else if (args.dump !== undefined) dump(args.dump);
else parent();
