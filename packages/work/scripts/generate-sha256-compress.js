'use strict';
// Writes packages/work/src/sha256-compress.ts: SHA-256 block compressions, fully unrolled, with
// every value known when the code is generated folded into constants (the IV as a starting state,
// padding words, the message schedule and K[i] + W[i] sums that follow from them).
//
//   node packages/work/scripts/generate-sha256-compress.js          # write the file
//   node packages/work/scripts/generate-sha256-compress.js --check  # exit 1 if it is not current
//
// Why generated, not a loop: unrolled, V8 keeps the 8 working variables and the schedule words in
// registers and stack slots, with no array loads, bounds checks or index arithmetic per round.
// Instructions per block (callgrind, `bench/work-bench.js --only <row>`, docs/BENCHMARKS.md "Share
// audit"): ~8,100 for the former loop (sha256-midstate.ts), ~3,260 for compress, ~2,060 for
// compressPad64 (no schedule to expand: it is all constants) and ~3,000 for compressDigest.
// Tried and dropped: a first block from the IV (1.5 % fewer instructions) and a header's last
// block (9 % fewer, once per share), not worth their 270 generated lines each; two blocks of two
// shares interleaved in one function (more instruction-level parallelism) ran slower, and past
// V8's --max-optimized-bytecode-size it is not optimized at all: keep each function one block.
const fs = require('node:fs');
const path = require('node:path');

const OUT = path.join(__dirname, '..', 'src', 'sha256-compress.ts');

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// A value is a number (known now, int32) or a string (the name of an int32 local).
const known = (v) => typeof v === 'number';
const i32 = (n) => n | 0;
const rotr = (x, n) => (x >>> n) | (x << (32 - n));
const ROT = {
  S0: [2, 13, 22],
  S1: [6, 11, 25],
};
const SIG = {
  s0: [7, 18, 3],
  s1: [17, 19, 10],
};

// Σ and σ as nested rotations: rotr(x ^ rotr(x ^ rotr(x, r - q), q - p), p) is
// rotr(x, p) ^ rotr(x, q) ^ rotr(x, r), and x86 needs a register copy before each rotate of a
// value still live: the nested form copies x once instead of three times (~10 % fewer
// instructions per block, measured).
function bigSigma(kind, x) {
  const [p, q, r] = ROT[kind];
  if (known(x)) return i32(rotr(x, p) ^ rotr(x, q) ^ rotr(x, r));
  const inner = `(${x} ^ ((${x} >>> ${r - q}) | (${x} << ${32 - (r - q)})))`;
  const t = `(${x} ^ ((${inner} >>> ${q - p}) | (${inner} << ${32 - (q - p)})))`;
  return `((${t} >>> ${p}) | (${t} << ${32 - p}))`;
}

function smallSigma(kind, x) {
  const [p, q, r] = SIG[kind];
  if (known(x)) return i32(rotr(x, p) ^ rotr(x, q) ^ (x >>> r));
  const t = `(${x} ^ ((${x} >>> ${q - p}) | (${x} << ${32 - (q - p)})))`;
  return `(((${t} >>> ${p}) | (${t} << ${32 - p})) ^ (${x} >>> ${r}))`;
}

const lit = (n) => String(i32(n));
const term = (v) => (known(v) ? lit(v) : v);

function ch(e, f, g) {
  if (known(e) && known(f) && known(g)) return i32(g ^ (e & (f ^ g)));
  return `(${term(g)} ^ (${term(e)} & (${term(f)} ^ ${term(g)})))`;
}

/** a ^ b, folded when both are known. */
function xor(a, b) {
  if (known(a) && known(b)) return i32(a ^ b);
  return `(${term(a)} ^ ${term(b)})`;
}

/**
 * Maj(a, b, c) as ((a ^ b) & (b ^ c)) ^ b: b ^ c is the previous round's a ^ b (the registers
 * moved down by one), so each round computes one xor, one and and one xor instead of four ops.
 */
function maj(ab, bc, b) {
  if (known(ab) && known(bc) && known(b)) return i32((ab & bc) ^ b);
  return `((${term(ab)} & ${term(bc)}) ^ ${term(b)})`;
}

/** Sum of terms mod 2^32, the known ones folded into one constant: a number, or an int32 expression. */
function sum(terms) {
  let c = 0;
  const vars = [];
  for (const t of terms) {
    if (known(t)) c = i32(c + t);
    else vars.push(t);
  }
  if (vars.length === 0) return c;
  if (c !== 0) vars.push(lit(c));
  // At most 5 terms below 2^32 each: the double sum is exact, `| 0` takes it mod 2^32.
  return `(${vars.join(' + ')}) | 0`;
}

/** A sum used as a term of another sum. */
const inner = (v) => (known(v) ? v : `(${v})`);

/**
 * One compression. `state`: 8 initial register values (numbers or local names already
 * declared); `words`: 16 message words (numbers or local names). Emits the rounds into `out`
 * and returns the 8 final register values.
 */
function rounds(out, state, words) {
  const W = words.slice();
  let [a, b, c, d, e, f, g, h] = state;
  let bc = xor(b, c);
  const bind = (name, v) => {
    if (known(v)) return v;
    out.push(`  const ${name} = ${v};`);
    return name;
  };
  for (let i = 0; i < 64; i++) {
    if (i >= 16) W[i] = bind(`w${i}`, sum([smallSigma('s1', W[i - 2]), W[i - 7], smallSigma('s0', W[i - 15]), W[i - 16]]));
    const t1 = bind(`t${i}`, sum([h, bigSigma('S1', e), ch(e, f, g), K[i], W[i]]));
    const ab = known(a) && known(b) ? xor(a, b) : bind(`x${i}`, xor(a, b));
    const t2 = inner(sum([bigSigma('S0', a), maj(ab, bc, b)]));
    bc = ab;
    h = g;
    g = f;
    f = e;
    e = bind(`e${i}`, sum([d, t1]));
    d = c;
    c = b;
    b = a;
    a = bind(`a${i}`, sum([t1, t2]));
  }
  return [a, b, c, d, e, f, g, h];
}

/** Emits `s[k] = init[k] + final[k]` for the 8 state words. */
function storeState(out, init, final) {
  for (let k = 0; k < 8; k++) {
    const v = sum([init[k], final[k]]);
    out.push(`  s[${k}] = ${known(v) ? lit(v) : v};`);
  }
}

function fn(out, doc, signature, body) {
  out.push('', '/**', ...doc.map((l) => ` * ${l}`), ' */');
  out.push(`export function ${signature}: void {`);
  body(out);
  out.push('}');
}

function loadState(out) {
  const init = [];
  for (let k = 0; k < 8; k++) {
    out.push(`  const s${k} = s[${k}]!;`);
    init.push(`s${k}`);
  }
  return init;
}

function loadWords(out, from, count) {
  const words = [];
  for (let i = 0; i < count; i++) {
    out.push(`  const w${i} = ${from}[${i}]!;`);
    words.push(`w${i}`);
  }
  return words;
}

const out = [];
out.push('// GENERATED by packages/work/scripts/generate-sha256-compress.js: do not edit; change the generator and rerun it.');
out.push('//');
out.push('// SHA-256 (FIPS 180-4) block compressions for the share audit and the miner, fully unrolled.');
out.push('// State and message words are int32 (the bits of the uint32 words); every value known in');
out.push('// advance (the IV, padding words, the schedule words and round sums that follow from them) is');
out.push('// already folded into the constants below. HOT PATH: sha256-compress.test.ts checks every');
out.push('// function against node:crypto.');

fn(out, ['s := the compression of the 64-byte block whose big-endian words are w[0..15] into the state s.'], 'compress(s: Int32Array, w: Int32Array)', (o) => {
  const init = loadState(o);
  const words = loadWords(o, 'w', 16);
  storeState(o, init, rounds(o, init, words));
});

const PAD64 = [0x80000000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 512].map(i32);
fn(
  out,
  ['s := the compression of the padding block of a 64-byte message into s (the second block of a merkle pair).'],
  'compressPad64(s: Int32Array)',
  (o) => {
    const init = loadState(o);
    storeState(o, init, rounds(o, init, PAD64));
  },
);

fn(
  out,
  [
    's := SHA-256 of the 32 bytes whose big-endian words are s[0..7]: the outer hash of sha256d.',
    'One block: the digest, then the padding of a 256-bit message, from the initial state.',
  ],
  'compressDigest(s: Int32Array)',
  (o) => {
    const words = loadWords(o, 's', 8).concat([0x80000000, 0, 0, 0, 0, 0, 0, 256].map(i32));
    storeState(o, IV, rounds(o, IV, words));
  },
);

out.push('');
out.push('/** The SHA-256 initial state (FIPS 180-4 5.3.3) as int32 words. */');
out.push(`export const SHA256_IV: Readonly<Int32Array> = new Int32Array([${IV.map((v) => `0x${v.toString(16)} | 0`).join(', ')}]);`);
const text = out.join('\n') + '\n';

if (require.main !== module) {
  // Required by the test that checks the committed file: nothing to write.
} else if (process.argv.includes('--check')) {
  const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (current !== text) {
    console.error(`${path.relative(process.cwd(), OUT)} is not what the generator writes: run node packages/work/scripts/generate-sha256-compress.js`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(OUT, text);
}
module.exports = { text };
