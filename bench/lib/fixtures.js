'use strict';
// Realistic Stratum V1 traffic for the benchmarks: a mining.notify with a merkle branch of a
// chosen depth (3 by default: ~500 bytes, what the benchmarks used first; mainnet blocks of today
// need 10-13 levels, 12 makes it ~1.1 KB), submits of ~150 bytes, and the pool's one-line answers.
const crypto = require('node:crypto');

function hex(bytes, seed) {
  return crypto.createHash('sha256').update(String(seed)).digest('hex').repeat(Math.ceil(bytes / 32)).slice(0, bytes * 2);
}

const JOB_ID = '6a5f';
const EXTRANONCE1 = 'f8002c90';
const EXTRANONCE2_SIZE = 4;

// A coinbase split around an 8-byte extranonce slot, like a real pool's coinb1/coinb2.
const COINB1 = '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff2003' + 'a08601' + hex(8, 'tag');
const COINB2 = hex(4, 'c2') + 'ffffffff0100f2052a010000001976a914' + hex(20, 'pk') + '88ac00000000';
/** Merkle branch levels of a notify unless the caller asks for another depth. */
const DEFAULT_MERKLE_DEPTH = 3;
/** The deepest branch a caller may ask for (a block of 2^16 transactions). */
const MAX_MERKLE_DEPTH = 16;
// The first levels are the same whatever the depth, so a 3-deep notify is byte-identical to the
// one the benchmarks sent before the depth became an option.
const BRANCH = Array.from({ length: MAX_MERKLE_DEPTH }, (_, i) => hex(32, `branch${i}`));
const PREVHASH = hex(32, 'prev');

/** A merkle depth from a command line (`--merkle-depth`), checked; `fallback` when absent. */
function merkleDepth(value, fallback = DEFAULT_MERKLE_DEPTH) {
  const depth = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_MERKLE_DEPTH) {
    throw new RangeError(`merkle depth must be an integer from 0 to ${MAX_MERKLE_DEPTH}, got ${value}`);
  }
  return depth;
}

function notifyLine(jobId = JOB_ID, clean = false, depth = DEFAULT_MERKLE_DEPTH) {
  return JSON.stringify({
    id: null,
    method: 'mining.notify',
    params: [jobId, PREVHASH, COINB1, COINB2, BRANCH.slice(0, merkleDepth(depth)), '20000000', '1703a30c', '6553f2a1', clean],
  }) + '\n';
}

function subscribeAnswer(id) {
  return JSON.stringify({ id, result: [[['mining.set_difficulty', 'b4b6693b72a50c7116db18d6497cac52'], ['mining.notify', 'ae6812eb4cd7735a302a8a9dd95cf71f']], EXTRANONCE1, EXTRANONCE2_SIZE], error: null }) + '\n';
}

function submitLine(id, worker, n) {
  const en2 = (n >>> 0).toString(16).padStart(8, '0');
  const nonce = ((n * 2654435761) >>> 0).toString(16).padStart(8, '0');
  return JSON.stringify({ id, method: 'mining.submit', params: [worker, JOB_ID, en2, '6553f2a1', nonce] }) + '\n';
}

function answerLine(idJson) {
  return `{"id":${idJson},"result":true,"error":null}\n`;
}

module.exports = { notifyLine, subscribeAnswer, submitLine, answerLine, merkleDepth, JOB_ID, DEFAULT_MERKLE_DEPTH, MAX_MERKLE_DEPTH };
