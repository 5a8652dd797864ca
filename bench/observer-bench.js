'use strict';
const { parseArgs } = require('./lib/args');
// Observer benchmark: what stratum-relay adds to a bare relay for every message, without sockets:
// the relay's traffic (bench/relay-bench.js's throughput stream) fed as chunks to the two
// StratumParsers of each connection, on a ProxyEventBus with the listeners the service attaches
// (MetricsCollector and ConnectionLogger at LOG_LEVEL=warn), as ProxyConnection does after
// relaying each chunk (its `bytes` event included). Deterministic work, so it can be counted in
// instructions as well as timed; `--root` measures another build with the same stream.
//
//   node bench/observer-bench.js [--root <tree>] [--audit false,true] [--rounds 5] [--seconds 1]
//                                [--connections 20] [--merkle-depth 12] [--instructions [--passes 10]]
//
// Stream, per pass: every connection opens, connects upstream, subscribes, authorizes its worker
// and gets mining.set_difficulty and a mining.notify (with a `--merkle-depth` branch); then 10
// rounds of a chunk of 16 mining.submit (id 4 every time, distinct extranonce2/nonce, like the
// relay bench's miners) and a chunk of their 16 answers `{"id":4,"result":true,"error":null}`,
// with a new notify after every 20 answers; then every connection closes. "per message" divides
// by the stream's lines (the relay bench's messages).
//
// --instructions: each (build, audit) also runs under `valgrind --tool=callgrind` with a fixed
// number of passes (`--passes`, default 10) and with none; the difference divided by the
// messages is the instructions per message, stable on a shared machine where times are not.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { notifyLine, subscribeAnswer, submitLine, answerLine, merkleDepth } = require('./lib/fixtures');

const args = parseArgs(process.argv.slice(2));
const ROOT = path.resolve(args.root ?? path.join(__dirname, '..'));
const ROUNDS = Number(args.rounds ?? 5);
const SECONDS = Number(args.seconds ?? 1);
const CONNECTIONS = Number(args.connections ?? 20);
const MERKLE_DEPTH = merkleDepth(args['merkle-depth'], 12);
const SELF = path.join(__dirname, 'observer-bench.js');
const AUDITS = String(args.audit ?? 'false,true').split(',');
const PASSES = Number(args.passes ?? 10);
const BATCH = 16;
const BATCHES = 10;
const NOTIFY_EVERY = 20;

// ---------------------------------------------------------------------------------------------
// The stream (built once per process, before any timing): per connection, the chunks each way.

function buildStream() {
  const conns = [];
  let lines = 0;
  const count = (text) => {
    lines += text.split('\n').length - 1;
    return Buffer.from(text);
  };
  for (let c = 0; c < CONNECTIONS; c++) {
    const worker = `bench-farm.worker-${String(c).padStart(5, '0')}`;
    const toPool = [count(JSON.stringify({ id: 1, method: 'mining.subscribe', params: ['bench/1.0'] }) + '\n' + JSON.stringify({ id: 2, method: 'mining.authorize', params: [worker, 'x'] }) + '\n')];
    const toMiner = [count(subscribeAnswer(1) + answerLine(2) + '{"id":null,"method":"mining.set_difficulty","params":[0.001]}\n' + notifyLine(undefined, true, MERKLE_DEPTH))];
    let answers = 0;
    for (let b = 0; b < BATCHES; b++) {
      let submits = '';
      for (let i = 0; i < BATCH; i++) submits += submitLine(4, worker, c * 1e6 + b * BATCH + i);
      toPool.push(count(submits));
      let back = '';
      for (let i = 0; i < BATCH; i++) {
        back += answerLine(4);
        if (++answers % NOTIFY_EVERY === 0) back += notifyLine(undefined, false, MERKLE_DEPTH);
      }
      toMiner.push(count(back));
    }
    conns.push({ toPool, toMiner });
  }
  return { conns, lines };
}

// ---------------------------------------------------------------------------------------------
// Child: one build, one audit setting.

function child(audit) {
  const req = (p) => require(path.join(ROOT, p));
  const { ProxyEventBus } = req('packages/proxy-core/dist/event-bus.js');
  const { StratumParser } = req('packages/proxy-core/dist/stratum-parser.js');
  const { MetricsCollector, ConnectionLogger } = req('packages/proxy-service/dist/index.js');
  const { createMetrics } = req('packages/metrics/dist/index.js');
  const { createLogger } = req('packages/logger/dist/index.js');
  const { Registry } = req('packages/metrics/node_modules/prom-client');
  let ReusedBytesEvent = null;
  try {
    ({ ReusedBytesEvent } = req('packages/proxy-core/dist/reused-events.js'));
  } catch {
    // A build from before lent events: a fresh `bytes` event per chunk, as its ProxyConnection did.
  }
  const metrics = createMetrics(new Registry(), { collectDefault: false });
  const collector = new MetricsCollector({ metrics, maxClientIds: 500, submitTimeoutMs: 30_000, shareAudit: audit === 'true' });
  const bus = new ProxyEventBus();
  collector.attach(bus);
  new ConnectionLogger(createLogger({ level: 'warn', format: 'json', destination: require('node:fs').createWriteStream('/dev/null') })).attach(bus);
  const { conns, lines } = buildStream();

  let nextId = 1;
  const bytesEvent = (connectionId, direction, bytes, t) => {
    // As ProxyConnection.emitBytes.
    if (ReusedBytesEvent !== null && bus.lendsEvents) {
      const e = new ReusedBytesEvent(connectionId, direction);
      e.t = t;
      e.bytes = bytes;
      return e;
    }
    return { type: 'bytes', connectionId, t, direction, bytes };
  };
  const pass = () => {
    const open = conns.map((c) => {
      const connectionId = nextId++;
      const t = performance.now();
      bus.emit({ type: 'connection.opened', connectionId, t, remoteAddress: '10.0.0.1', remotePort: 40000, wallTime: Date.now() });
      bus.emit({ type: 'upstream.connected', connectionId, t, poolName: 'pool.bench', poolHost: '127.0.0.1', poolPort: 3333, poolPriority: 0, attempt: 0, latencyMs: 0.5 });
      const options = { connectionId, maxLineBytes: 16384, bus };
      return {
        connectionId,
        c,
        toPool: new StratumParser({ ...options, direction: 'miner_to_pool' }),
        toMiner: new StratumParser({ ...options, direction: 'pool_to_miner' }),
        toPoolBytes: bytesEvent(connectionId, 'miner_to_pool', 0, 0),
        toMinerBytes: bytesEvent(connectionId, 'pool_to_miner', 0, 0),
      };
    });
    for (let k = 0; k < BATCHES + 1; k++) {
      for (const o of open) {
        for (const [chunk, parser, bytes] of [
          [o.c.toPool[k], o.toPool, o.toPoolBytes],
          [o.c.toMiner[k], o.toMiner, o.toMinerBytes],
        ]) {
          // As ProxyConnection.onMinerData / onPoolData after the write: one clock read, `bytes`, observe.
          const t = performance.now();
          if (ReusedBytesEvent !== null && bus.lendsEvents) {
            bytes.t = t;
            bytes.bytes = chunk.length;
            bus.emit(bytes);
            parser.push(chunk, t);
          } else {
            bus.emit(bytesEvent(o.connectionId, parser === o.toPool ? 'miner_to_pool' : 'pool_to_miner', chunk.length, t));
            parser.push(chunk);
          }
        }
      }
    }
    for (const o of open) {
      bus.emit({ type: 'connection.closed', connectionId: o.connectionId, t: performance.now(), durationMs: 1000, bytesMinerToPool: 0, bytesPoolToMiner: 0, side: 'miner', reason: 'end', error: undefined, poolName: 'pool.bench' });
    }
  };

  if (args.passes !== undefined) {
    // Fixed work for instruction counts: the same warm-up, then exactly --passes passes.
    for (let i = 0; i < 20; i++) pass();
    for (let i = 0; i < Number(args.passes); i++) pass();
    collector.detach();
    process.stdout.write(JSON.stringify({ lines }) + '\n');
    return;
  }
  const warmEnd = performance.now() + SECONDS * 300;
  do pass();
  while (performance.now() < warmEnd);
  const times = [];
  const end = performance.now() + SECONDS * 1000;
  do {
    const t0 = performance.now();
    pass();
    times.push(performance.now() - t0);
  } while (performance.now() < end);
  times.sort((a, b) => a - b);
  collector.detach();
  if (collector.internalErrors !== 0 || bus.listenerErrors !== 0) throw new Error(`errors: collector ${collector.internalErrors}, listeners ${bus.listenerErrors}`);
  process.stdout.write(JSON.stringify({ nsPerMessage: (times[times.length >> 1] * 1e6) / lines, lines, passes: times.length }) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Parent: rounds alternating the builds' processes, medians; optional instruction counts.

function run(extra, prefix = []) {
  const r = spawnSync(prefix.length > 0 ? prefix[0] : process.execPath, [...prefix.slice(1), ...(prefix.length > 0 ? [process.execPath, '--single-threaded'] : []), SELF, ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r;
}

function instructions(audit) {
  const count = (passes) => {
    const r = run(['--child', audit, '--root', ROOT, '--connections', String(CONNECTIONS), '--merkle-depth', String(MERKLE_DEPTH), '--passes', String(passes)], [
      'valgrind',
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
    ]);
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (m === null) throw new Error(`no instruction count: ${r.stderr.slice(-500)}`);
    return { total: Number(m[1]), lines: JSON.parse(r.stdout.trim().split('\n').pop()).lines };
  };
  const none = count(0);
  const some = count(PASSES);
  return (some.total - none.total) / (PASSES * some.lines);
}

function main() {
  const results = Object.fromEntries(AUDITS.map((a) => [a, []]));
  let lines = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? AUDITS : [...AUDITS].reverse();
    for (const audit of order) {
      const r = run(['--child', audit, '--root', ROOT, '--seconds', String(SECONDS), '--connections', String(CONNECTIONS), '--merkle-depth', String(MERKLE_DEPTH)]);
      const res = JSON.parse(r.stdout.trim().split('\n').pop());
      lines = res.lines;
      results[audit].push(res.nsPerMessage);
      process.stderr.write(`round ${round} audit ${audit}: ${res.nsPerMessage.toFixed(0)} ns/message\n`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(
    `\nObserver benchmark (${ROOT}): ${CONNECTIONS} connections, ${lines.toLocaleString('en-US')} messages per pass (submits, answers, a ${MERKLE_DEPTH}-deep notify every ${NOTIFY_EVERY} answers); ` +
      `${ROUNDS} rounds x ${SECONDS} s, median pass; node ${process.version}\ncommand: node bench/observer-bench.js ${process.argv.slice(2).join(' ')}\n`,
  );
  console.log(`| SHARE_AUDIT | ns per message | ns min-max |${args.instructions ? ' instructions per message |' : ''}`);
  console.log(`|---|---:|---:|${args.instructions ? '---:|' : ''}`);
  for (const audit of AUDITS) {
    const xs = results[audit];
    const ins = args.instructions ? ` ${Math.round(instructions(audit)).toLocaleString('en-US')} |` : '';
    console.log(`| ${audit} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} |${ins}`);
  }
}

if (args.child) child(args.child);
else main();
