'use strict';
// Share-math hot paths (miner hashing, share audit, SHA-256 per call), after `npx tsc -b packages/work`:
//
//   node bench/work-bench.js [--rounds 7] [--ms 200] [--root <repo>]
//   node bench/work-bench.js --only <row> --ops <n>   # exactly n ops of one row after a fixed
//                                                      # warm-up, no output: for instruction counts
//
// Timing: every row runs `--rounds` times for `--ms` each, rows alternating (so load drifting on a
// shared machine hits them all alike); the table shows the median round per row. For numbers that
// do not move with the neighbours, count instructions with callgrind: the difference between
// `--ops 4000` and `--ops 0` of one row, divided by 4000 (docs/BENCHMARKS.md, "Share audit").
//
// Rows for hash-wasm, @noble/hashes and @chainsafe/as-sha256 (WebAssembly, with a 4-lane SIMD
// batch) appear when those packages resolve; they are not dependencies of this repo:
//   npm i --prefix /tmp/h hash-wasm@4.13.0 @noble/hashes@1 @chainsafe/as-sha256@1.2.5
//   NODE_PATH=/tmp/h/node_modules node bench/work-bench.js
// Speed is measured here, never asserted in tests.
const crypto = require('node:crypto');
const path = require('node:path');
const { parseArgs } = require('./lib/args');

const args = parseArgs(process.argv.slice(2));
const ROOT = path.resolve(args.root ?? path.join(__dirname, '..'));
const ROUNDS = Number(args.rounds ?? 7);
const MS = Number(args.ms ?? 200);
const work = require(path.join(ROOT, 'packages/work/dist/index.js'));
const { HeaderHasher, ShareAuditor, evaluateShare, sha256d } = work;

/** The bench job: a 43-byte coinb1 and an 87-byte coinb2 (one P2PKH output), `depth` branch hashes. */
function benchJob(depth) {
  return {
    jobId: 'bench',
    prevhash: '00'.repeat(32),
    coinb1: '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20',
    coinb2: 'ffffffff0100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000',
    merkleBranch: Array.from({ length: depth }, (_, i) => i.toString(16).padStart(2, '0').repeat(32)),
    version: '20000000',
    nbits: '1703a30c',
    ntime: '66000000',
    cleanJobs: true,
  };
}
const job12 = benchJob(12); // mainnet blocks have 10-13 levels
const job3 = benchJob(3);
const nonces = Array.from({ length: 1 << 12 }, (_, i) => HeaderHasher.nonceHex(i * 0x9e3779b1));
let sink = 0;

/** Rows: name, unit label, and `op(i)` doing one unit of work. */
const rows = [];
const row = (id, name, op) => rows.push({ id, name, op });

const hasher = new HeaderHasher(job12, 'aabbccdd', '00000000');
const out = Buffer.allocUnsafe(32);
row('headerhasher', 'HeaderHasher.hashInto (JS midstate)', (i) => {
  hasher.hashInto(i, out);
  sink += out[0];
});
const header = Buffer.from(hasher.header);
row('crypto-header', 'sha256d(header) via node:crypto', (i) => {
  header.writeUInt32LE(i >>> 0, 76);
  sink += sha256d(header)[0];
});
const auditor = new ShareAuditor();
for (const [depth, job] of [
  [12, job12],
  [3, job3],
]) {
  row(`audit${depth}`, `ShareAuditor.audit (${depth}-deep branch)`, (i) => {
    sink += auditor.audit(job, 'aabbccdd', '00000000', '66000000', nonces[i & 0xfff]).difficulty;
  });
  row(`evaluate${depth}`, `evaluateShare (${depth}-deep branch)`, (i) => {
    sink += evaluateShare(job, { extranonce1: 'aabbccdd', extranonce2: '00000000', ntime: '66000000', nonce: nonces[i & 0xfff] }).difficulty;
  });
}

// SHA-256 of one 64-byte message (a merkle pair: 2 block compressions), per call.
const msg = crypto.randomBytes(64);
row('sha64-crypto-hash', 'SHA-256 of 64 B: crypto.hash', (i) => {
  msg[0] = i;
  sink += crypto.hash('sha256', msg, 'buffer')[0];
});
row('sha64-createhash', 'SHA-256 of 64 B: crypto.createHash', (i) => {
  msg[0] = i;
  sink += crypto.createHash('sha256').update(msg).digest()[0];
});
let compressions = null;
try {
  compressions = require(path.join(ROOT, 'packages/work/dist/sha256-compress.js'));
} catch {
  // a tree from before the generated compressions
}
if (compressions !== null) {
  const { SHA256_IV, compress, compressPad64, compressDigest } = compressions;
  const s = new Int32Array(8);
  const w = new Int32Array(16);
  // One block compression each (the audit of a 12-deep share: 16 compress, 12 compressPad64, 14 compressDigest).
  const cs = new Int32Array(SHA256_IV);
  const cw = new Int32Array(16).map((_, k) => k * 0x9e3779b9);
  row('compress', 'one block: compress', (i) => {
    cw[0] = i;
    compress(cs, cw);
    sink += cs[0];
  });
  row('compress-pad64', 'one block: compressPad64 (constant schedule)', (i) => {
    cs[1] = i;
    compressPad64(cs);
    sink += cs[0];
  });
  row('compress-digest', 'one block: compressDigest (outer hash of sha256d)', (i) => {
    cs[1] = i;
    compressDigest(cs);
    sink += cs[0];
  });
  row('sha64-js', 'SHA-256 of 64 B: JS compress + compressPad64', (i) => {
    msg[0] = i;
    for (let k = 0; k < 16; k++) w[k] = msg.readInt32BE(k * 4);
    s.set(SHA256_IV);
    compress(s, w);
    compressPad64(s);
    sink += s[0];
  });
}
if (compressions === null) {
  // A tree from before: its one compression, the loop of sha256-midstate.ts, on the same row id.
  try {
    const old = require(path.join(ROOT, 'packages/work/dist/sha256-midstate.js'));
    const cs = Uint32Array.from(old.SHA256_IV);
    // It expands the schedule into cw[16..63] and leaves cw[0..15] as they are.
    const cw = new Uint32Array(64).map((_, k) => (k < 16 ? k * 0x9e3779b9 : 0));
    row('compress', 'one block: compress (loop, sha256-midstate.ts)', (i) => {
      cw[0] = i;
      old.compress(cs, cw);
      sink += cs[0];
    });
  } catch {
    // neither
  }
}
try {
  const { sha256 } = require('@noble/hashes/sha256');
  row('sha64-noble', 'SHA-256 of 64 B: @noble/hashes (JS)', (i) => {
    msg[0] = i;
    sink += sha256(msg)[0];
  });
} catch {
  // not installed
}
let hashWasm = null;
try {
  hashWasm = require('hash-wasm');
} catch {
  // not installed
}

function timeRow(r) {
  const deadline = process.hrtime.bigint() + BigInt(MS * 1e6);
  const t0 = process.hrtime.bigint();
  let n = 0;
  let now;
  do {
    for (let k = 0; k < 64; k++) r.op(n++);
    now = process.hrtime.bigint();
  } while (now < deadline);
  return Number(now - t0) / n;
}

async function main() {
  try {
    // ESM only: import() finds it through NODE_PATH only when given a path.
    const paths = (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean);
    const dir = paths.map((p) => path.join(p, '@chainsafe/as-sha256/lib/index.js')).find((f) => require('node:fs').existsSync(f));
    if (dir !== undefined) {
      const as = await import(dir);
      const four = Array.from({ length: 4 }, () => new Uint8Array(crypto.randomBytes(64)));
      const o = new Uint8Array(32);
      row('sha64x4-as-single', '4 x SHA-256 of 64 B: @chainsafe/as-sha256 digest64Into (WebAssembly)', (i) => {
        four[0][0] = i;
        for (let k = 0; k < 4; k++) as.digest64Into(four[k], o);
        sink += o[0];
      });
      row('sha64x4-as-batch', `4 x SHA-256 of 64 B: @chainsafe/as-sha256 batchHash4UintArray64s (WebAssembly${as.simdEnabled ? ' SIMD' : ''})`, (i) => {
        four[0][0] = i;
        sink += as.batchHash4UintArray64s(four)[0][0];
      });
    }
  } catch {
    // not installed
  }
  if (hashWasm !== null) {
    const h = await hashWasm.createSHA256();
    row('sha64-hash-wasm', 'SHA-256 of 64 B: hash-wasm (WebAssembly)', (i) => {
      msg[0] = i;
      h.init();
      h.update(msg);
      sink += h.digest('binary')[0];
    });
  }
  if (args.only !== undefined) {
    const r = rows.find((x) => x.id === args.only);
    if (r === undefined) throw new Error(`--only: one of ${rows.map((x) => x.id).join(', ')}`);
    for (let i = 0; i < 20000; i++) r.op(i);
    const ops = Number(args.ops ?? 0);
    for (let i = 0; i < ops; i++) r.op(i);
    if (sink === 0.5) console.log(sink);
    return;
  }
  for (const r of rows) for (let i = 0; i < 20000; i++) r.op(i); // warm-up: every row optimized
  const times = rows.map(() => []);
  for (let round = 0; round < ROUNDS; round++) rows.forEach((r, k) => times[k].push(timeRow(r)));
  console.log(`Work benchmark: ${ROUNDS} rounds x ${MS} ms per row, rows alternating, median; node ${process.version}; root ${ROOT}\n`);
  console.log('| row | µs/op | ns/op min-max |');
  console.log('|---|---:|---:|');
  rows.forEach((r, k) => {
    const sorted = times[k].slice().sort((a, b) => a - b);
    const med = sorted[sorted.length >> 1];
    console.log(`| ${r.name} | ${(med / 1000).toFixed(3)} | ${sorted[0].toFixed(0)}-${sorted[sorted.length - 1].toFixed(0)} |`);
  });
  if (sink === 0.5) console.log(sink);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
