#!/usr/bin/env node
'use strict';
// Where an idle miner's memory goes: one relay process (WORKERS=1), N miner-sim miners that
// subscribe, authorize and get jobs from pool-sim, then the relay's RSS, V8 heap and external
// memory per miner, before and after a full GC, and (with --snapshot) a heap snapshot summarised
// by constructor (self size per miner). Used to find what to release; `node bench/memory-probe.js
// --miners 2000 --jobs 3 --snapshot`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { start, jsonLines, startRelay, rssKiB, stop } = require('./lib/procs');
const { startPoolSim, startMinerSim, difficultyFor } = require('./lib/sims');
const { scrape } = require('./lib/metrics-text');

const { values: a } = parseArgs({
  options: {
    miners: { type: 'string', default: '2000' },
    jobs: { type: 'string', default: '3' },
    'job-interval': { type: 'string', default: '5' },
    snapshot: { type: 'boolean', default: false },
    audit: { type: 'string', default: 'all' },
    /** pipe: measure the bare socket.pipe relay instead (the floor: two sockets per miner). */
    target: { type: 'string', default: 'relay' },
    'node-options': { type: 'string', default: '' },
  },
});
const MINERS = Number(a.miners);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function relayed(port) {
  const m = await scrape(port, ['stratum_active_connections']);
  return m.sum('stratum_active_connections', { pool_host: (h) => h !== 'none' });
}

/** The bare pipe relay, for the floor: RSS only (it has no /metrics). */
async function pipeFloor(pool) {
  const pipe = start(path.join(__dirname, 'lib/pipe-relay.js'), [`127.0.0.1:${pool.port}`], { env: { NODE_OPTIONS: a['node-options'] } });
  const { port } = await jsonLines(pipe)();
  await sleep(2000);
  const idle = rssKiB(pipe.pid);
  const miner = startMinerSim(['--url', `127.0.0.1:${port}`, '--miners', String(MINERS), '--user', 'mem', '--hashrate', '1', '--ramp-up', '1000', '--duration', '600']);
  await sleep((MINERS / 1000) * 1000 + Number(a.jobs) * Number(a['job-interval']) * 1000 + 3000);
  const loaded = rssKiB(pipe.pid);
  console.log(`bare pipe relay, ${MINERS} miners: RSS idle ${(idle / 1024).toFixed(1)} MiB -> ${(loaded / 1024).toFixed(1)} MiB: ${((loaded - idle) / MINERS).toFixed(2)} KiB per miner`);
  miner.child.kill('SIGTERM');
  await stop(pipe);
  await stop(pool.child);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-'));
  const pool = await startPoolSim(['--profile', 'easy', '--difficulty', String(difficultyFor(1e6)), '--job-interval', `${a['job-interval']}s`]);
  if (a.target === 'pipe') return pipeFloor(pool);
  const relay = await startRelay(pool.port, {
    MAX_CONNECTIONS: String(MINERS + 100),
    SHARE_AUDIT: a.audit,
    NODE_OPTIONS: `--heapsnapshot-signal=SIGTTIN --diagnostic-dir=${dir} ${a['node-options']}`,
  });
  await sleep(2000);
  const idle = rssKiB(relay.pid);
  const idleHeap = await heap(relay.metricsPort);
  const miner = startMinerSim(['--url', `127.0.0.1:${relay.port}`, '--miners', String(MINERS), '--user', 'mem', '--hashrate', '1', '--ramp-up', '1000', '--duration', '600']);
  while ((await relayed(relay.metricsPort)) < MINERS) await sleep(500);
  await sleep(Number(a.jobs) * Number(a['job-interval']) * 1000 + 1000);
  const loaded = rssKiB(relay.pid);
  const loadedHeap = await heap(relay.metricsPort);
  const per = (kib) => ((kib - idle) / MINERS).toFixed(2);
  console.log(`miners ${MINERS}, ${a.jobs} jobs at ${a['job-interval']} s, SHARE_AUDIT=${a.audit}`);
  console.log(`relay RSS idle ${(idle / 1024).toFixed(1)} MiB -> loaded ${(loaded / 1024).toFixed(1)} MiB: ${per(loaded)} KiB per miner`);
  console.log('| KiB per miner (loaded - idle) / miners | value |\n|---|---:|');
  console.log(`| RSS | ${per(loaded)} |`);
  for (const k of Object.keys(loadedHeap)) console.log(`| ${k} | ${((loadedHeap[k] - idleHeap[k]) / 1024 / MINERS).toFixed(2)} |`);
  const heapTotal = loadedHeap['heap committed (all spaces)'] - idleHeap['heap committed (all spaces)'];
  console.log(`| RSS outside the V8 heap (native: sockets, libuv, malloc) | ${((loaded - idle) / MINERS - heapTotal / 1024 / MINERS).toFixed(2)} |`);
  if (a.snapshot) {
    process.kill(relay.pid, 'SIGTTIN');
    // The snapshot is complete once it parses (V8 writes it in pieces, with pauses).
    let snap = null;
    for (let i = 0; i < 180 && snap === null; i++) {
      await sleep(1000);
      const f = fs.readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
      if (f === undefined) continue;
      try {
        snap = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      } catch {
        snap = null;
      }
    }
    if (snap === null) throw new Error('no complete heap snapshot within 180 s');
    summarise(snap, MINERS);
  }
  miner.child.kill('SIGTERM');
  await relay.stop();
  await stop(pool.child);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** V8 heap (used and committed, per space) and external memory from the relay's /metrics, in bytes. */
async function heap(port) {
  const m = await scrape(port, ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes', 'nodejs_heap_space_size_total_bytes']);
  const out = {
    'heap used': m.sum('nodejs_heap_size_used_bytes'),
    'heap committed (all spaces)': m.sum('nodejs_heap_size_total_bytes'),
    external: m.sum('nodejs_external_memory_bytes'),
  };
  for (const [space, v] of m.by('nodejs_heap_space_size_total_bytes', 'space', '?')) out[`  committed: ${space}`] = v;
  return out;
}

/** Self size per (type, name) from a .heapsnapshot, the largest first, per miner. */
function summarise(snap, miners) {
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const n = f.length;
  const by = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += n) {
    const type = types[snap.nodes[i + iType]];
    let name = snap.strings[snap.nodes[i + iName]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)';
    else if (type === 'code' || type === 'hidden' || type === 'number') name = `(${type})`;
    else name = `${type}:${name.slice(0, 60)}`;
    const size = snap.nodes[i + iSize];
    total += size;
    const e = by.get(name) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    by.set(name, e);
  }
  console.log(`heap snapshot: ${(total / 2 ** 20).toFixed(1)} MiB self size in all`);
  console.log('| what | count per miner | bytes per miner |');
  console.log('|---|---:|---:|');
  for (const [name, e] of [...by].sort((x, y) => y[1].size - x[1].size).slice(0, 40)) {
    console.log(`| ${name} | ${(e.count / miners).toFixed(2)} | ${(e.size / miners).toFixed(0)} |`);
  }
  // Strings by shape (digits masked), to tell per-connection strings from shared ones.
  const strings = new Map();
  for (let i = 0; i < snap.nodes.length; i += n) {
    const type = types[snap.nodes[i + iType]];
    if (type !== 'string' && type !== 'concatenated string' && type !== 'sliced string') continue;
    const shape = `${type}:${snap.strings[snap.nodes[i + iName]].slice(0, 48).replace(/[0-9]/g, '9').replace(/[\n|]/g, ' ')}`;
    const e = strings.get(shape) ?? { size: 0, count: 0 };
    e.size += snap.nodes[i + iSize];
    e.count++;
    strings.set(shape, e);
  }
  console.log('| string (digits as 9) | count per miner | bytes per miner |');
  console.log('|---|---:|---:|');
  for (const [shape, e] of [...strings].sort((x, y) => y[1].size - x[1].size).slice(0, 25)) {
    console.log(`| \`${shape}\` | ${(e.count / miners).toFixed(2)} | ${(e.size / miners).toFixed(0)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
