'use strict';
// Share-math hot paths (miner hashing, audit), after `npx tsc -b packages/work`: node bench/work-bench.js
// Speed is measured here, never asserted in tests.
const { HeaderHasher, ShareAuditor, evaluateShare, sha256d } = require('../packages/work/dist/index.js');

const job = {
  jobId: 'bench',
  prevhash: '00'.repeat(32),
  coinb1: '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20',
  coinb2: 'ffffffff0100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000',
  merkleBranch: Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32)),
  version: '20000000',
  nbits: '1703a30c',
  ntime: '66000000',
  cleanJobs: true,
};

function time(name, n, fn) {
  fn(Math.min(n, 10000)); // warm up
  const t0 = process.hrtime.bigint();
  fn(n);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${name.padEnd(40)} ${ns.toFixed(0).padStart(6)} ns/op  ${(1e9 / ns).toFixed(0).padStart(9)} op/s`);
}

const hasher = new HeaderHasher(job, 'aabbccdd', '00000000');
const out = Buffer.allocUnsafe(32);
time('HeaderHasher.hashInto (JS midstate)', 500000, (n) => {
  for (let i = 0; i < n; i++) hasher.hashInto(i, out);
});
const header = Buffer.from(hasher.header);
time('sha256d(header) via node:crypto', 500000, (n) => {
  for (let i = 0; i < n; i++) {
    header.writeUInt32LE(i, 76);
    sha256d(header);
  }
});
time('evaluateShare (12-deep branch)', 50000, (n) => {
  for (let i = 0; i < n; i++) {
    evaluateShare(job, { extranonce1: 'aabbccdd', extranonce2: '00000000', ntime: '66000000', nonce: HeaderHasher.nonceHex(i) });
  }
});
const auditor = new ShareAuditor();
time('ShareAuditor.audit (12-deep branch)', 50000, (n) => {
  for (let i = 0; i < n; i++) auditor.audit(job, 'aabbccdd', '00000000', '66000000', HeaderHasher.nonceHex(i));
});
