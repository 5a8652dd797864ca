'use strict';
const { parseArgs } = require('./lib/args');
// Parser benchmark: the two LineObserver implementations of proxy-core on the same seeded,
// realistic Stratum corpus (mining.notify ~500 B with merkle branches, submits ~150 B, their
// responses, set_difficulty, and the handshake), fed in mixed chunking: whole lines, random
// splits, several lines per chunk. Each implementation runs in a fresh Node process per round
// (so neither JIT state nor the heap of one leaks into the other); the table shows the median.
//
//   pnpm bench:parser [--rounds 5] [--lines 100000] [--seconds 1.5] [--seed 42]
//   (or: npx tsc -b packages/proxy-core packages/prng && node bench/parser-bench.js)
//
// Plain JS run against built dist: the parsers come from packages/proxy-core/dist and the seeded
// PRNG (mulberry32) from packages/prng/dist (@stratum-relay/prng), the monorepo's only copy.
//
// Rows:
//   JSON.parse  StratumParser: LineSplitter + JSON.parse of each line (shipped)
//   jsonparse   JsonparseStratumParser: LineSplitter + the pure-JS jsonparse tokenizer
//   framing     StratumParser with no listener attached: splitting only, nothing decoded
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'packages/proxy-core/dist');
const NOT_BUILT = 'run `npx tsc -b packages/proxy-core packages/prng` first (or `pnpm bench:parser`).';

let mulberry32;
try {
  ({ mulberry32 } = require('../packages/prng/dist'));
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND') throw err;
  console.error(`prng is not built: ${NOT_BUILT}`);
  process.exit(1);
}


const args = parseArgs(process.argv.slice(2));
const ROUNDS = Math.max(1, Number(args.rounds ?? 5));
const LINES = Math.max(1000, Number(args.lines ?? 100_000));
const SECONDS = Math.max(0.2, Number(args.seconds ?? 1.5));
const SEED = Number(args.seed ?? 42);

const IMPLEMENTATIONS = {
  'JSON.parse': { file: 'stratum-parser.js', exportName: 'StratumParser', listeners: true },
  jsonparse: { file: 'jsonparse-parser.js', exportName: 'JsonparseStratumParser', listeners: true },
  framing: { file: 'stratum-parser.js', exportName: 'StratumParser', listeners: false },
};

// ---------------------------------------------------------------------------------------------
// Seeded corpus generator (deterministic for a given --seed and --lines).

function generateCorpus(seed, lineCount) {
  const rand = mulberry32(seed);
  const int = (n) => Math.floor(rand() * n);
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const lines = [];
  let id = 1;
  let jobSeq = 0x1a2b0000;
  const workers = Array.from({ length: 8 }, (_, i) => `bc1q${hex(38)}.rig${String(i).padStart(2, '0')}`);
  const pending = [];

  lines.push(`{"id":${id++},"method":"mining.subscribe","params":["bmminer/2.0.0"]}`);
  lines.push(`{"id":1,"result":[[["mining.set_difficulty","${hex(8)}"],["mining.notify","${hex(8)}"]],"${hex(8)}",8],"error":null}`);
  lines.push(`{"id":${id++},"method":"mining.authorize","params":["${workers[0]}","x"]}`);
  lines.push('{"id":2,"result":true,"error":null}');

  let jobId = '';
  let ntime = 0x65a1b2c3;
  while (lines.length < lineCount) {
    const r = rand();
    if (r < 0.06 || jobId === '') {
      // mining.notify ~500 B: 3-5 merkle branches, coinbase halves, clean_jobs.
      jobId = (jobSeq++).toString(16);
      ntime += 1 + int(30);
      const branches = Array.from({ length: 3 + int(3) }, () => `"${hex(64)}"`).join(',');
      lines.push(
        `{"params":["${jobId}","${hex(64)}","${hex(84 + 2 * int(8))}","${hex(36 + 2 * int(6))}",[${branches}],"20000000","1703a8c1","${ntime.toString(16)}",${rand() < 0.1}],"id":null,"method":"mining.notify"}`,
      );
    } else if (r < 0.08) {
      lines.push(`{"id":null,"method":"mining.set_difficulty","params":[${2 ** (10 + int(8))}]}`);
    } else if (r < 0.55 || pending.length === 0) {
      // mining.submit ~150 B (some with version-rolling bits).
      const sid = id++;
      pending.push(sid);
      const extra = rand() < 0.5 ? `,"${hex(8)}"` : '';
      lines.push(
        `{"params":["${workers[int(workers.length)]}","${jobId}","${hex(8)}","${ntime.toString(16)}","${hex(8)}"${extra}],"id":${sid},"method":"mining.submit"}`,
      );
    } else {
      const sid = pending.splice(int(pending.length), 1)[0];
      const rr = rand();
      if (rr < 0.97) lines.push(`{"id":${sid},"result":true,"error":null}`);
      else if (rr < 0.99) lines.push(`{"id":${sid},"result":null,"error":[23,"Low difficulty share",null]}`);
      else lines.push(`{"id":${sid},"result":null,"error":[21,"Job not found",null]}`);
    }
  }
  return lines;
}

/** One third of the corpus each: a chunk per line, random splits, 2-10 lines per chunk. */
function chunkCorpus(seed, lines) {
  const rand = mulberry32(seed ^ 0x9e3779b9);
  const int = (n) => Math.floor(rand() * n);
  const third = Math.ceil(lines.length / 3);
  const chunks = [];
  const toBuf = (ls) => Buffer.from(ls.join('\n') + '\n', 'utf8');

  for (const l of lines.slice(0, third)) chunks.push(toBuf([l]));

  const split = toBuf(lines.slice(third, 2 * third));
  for (let pos = 0; pos < split.length; ) {
    const n = 1 + int(1500);
    // Copies, so every chunk owns its bytes as a socket chunk would.
    chunks.push(Buffer.from(split.subarray(pos, pos + n)));
    pos += n;
  }

  const rest = lines.slice(2 * third);
  for (let i = 0; i < rest.length; ) {
    const n = 2 + int(9);
    chunks.push(toBuf(rest.slice(i, i + n)));
    i += n;
  }
  let bytes = 0;
  for (const c of chunks) bytes += c.length;
  return { chunks, bytes, lines: lines.length };
}

// ---------------------------------------------------------------------------------------------
// Child: measure one implementation.

function child(name) {
  const impl = IMPLEMENTATIONS[name];
  const Parser = require(path.join(DIST, impl.file))[impl.exportName];
  const corpus = chunkCorpus(SEED, generateCorpus(SEED, LINES));
  let events = 0;
  let checksum = 0;
  const bus = {
    hasListeners: impl.listeners,
    listenerErrors: 0,
    observerErrors: 0,
    emit(e) {
      // A listener that touches the event, like the metrics collector would.
      events++;
      checksum = (checksum + e.type.length) | 0;
    },
  };
  const pass = () => {
    const parser = new Parser({ connectionId: 1, direction: 'pool_to_miner', maxLineBytes: 16384, bus });
    const chunks = corpus.chunks;
    for (let i = 0; i < chunks.length; i++) parser.push(chunks[i]);
    parser.end();
  };

  // Warm-up: let the JIT settle before timing.
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 0.3e9));
  do pass();
  while (process.hrtime.bigint() < warmEnd);

  events = 0;
  let passes = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  let now;
  do {
    pass();
    passes++;
    now = process.hrtime.bigint();
  } while (now < deadline);
  const seconds = Number(now - start) / 1e9;
  const expected = impl.listeners ? corpus.lines * passes : 0;
  if (events !== expected) throw new Error(`${name}: ${events} events for ${expected} lines`);
  const lines = corpus.lines * passes;
  process.stdout.write(
    JSON.stringify({
      name,
      linesPerSec: lines / seconds,
      mbPerSec: (corpus.bytes * passes) / 1e6 / seconds,
      nsPerLine: (seconds * 1e9) / lines,
      passes,
      corpusBytes: corpus.bytes,
      corpusLines: corpus.lines,
      chunks: corpus.chunks.length,
      checksum,
    }) + '\n',
  );
}

// ---------------------------------------------------------------------------------------------
// Parent: rounds, medians, table.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main() {
  try {
    require.resolve(path.join(DIST, 'stratum-parser.js'));
    require.resolve(path.join(DIST, 'jsonparse-parser.js'));
  } catch {
    console.error(`proxy-core is not built: ${NOT_BUILT}`);
    process.exit(1);
  }
  const names = Object.keys(IMPLEMENTATIONS);
  const results = Object.fromEntries(names.map((n) => [n, []]));
  let info;
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order so neither implementation always runs on a cooler machine.
    const order = round % 2 ? names : [...names].reverse();
    for (const name of order) {
      const r = spawnSync(
        process.execPath,
        [path.join(__dirname, 'parser-bench.js'), '--child', name, '--lines', String(LINES), '--seconds', String(SECONDS), '--seed', String(SEED)],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) {
        console.error(r.stderr);
        throw new Error(`${name} child failed with status ${r.status}`);
      }
      const res = JSON.parse(r.stdout.trim().split('\n').pop());
      results[name].push(res);
      info = res;
      process.stderr.write(`round ${round}/${ROUNDS} ${name}: ${Math.round(res.linesPerSec).toLocaleString('en-US')} lines/s\n`);
    }
  }

  console.log(
    `\nParser benchmark: ${info.corpusLines.toLocaleString('en-US')} lines, ${(info.corpusBytes / 1e6).toFixed(1)} MB, ` +
      `${info.chunks.toLocaleString('en-US')} chunks (seed ${SEED}); ${ROUNDS} rounds x ${SECONDS} s, median; node ${process.version}\n`,
  );
  const header = ['implementation', 'lines/s', 'MB/s', 'ns/line', 'lines/s min-max', 'time vs JSON.parse'];
  const rows = names.map((name) => {
    const rs = results[name];
    const lps = rs.map((r) => r.linesPerSec);
    // Ratio within each round, then the median: robust to the machine's load drifting between rounds.
    const ratio = median(rs.map((r, i) => r.nsPerLine / results['JSON.parse'][i].nsPerLine));
    const fmt = (x) => Math.round(x).toLocaleString('en-US');
    return [
      name,
      fmt(median(lps)),
      median(rs.map((r) => r.mbPerSec)).toFixed(1),
      median(rs.map((r) => r.nsPerLine)).toFixed(0),
      `${fmt(Math.min(...lps))}-${fmt(Math.max(...lps))}`,
      `${ratio.toFixed(2)}x`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

module.exports = { generateCorpus, chunkCorpus };

if (require.main === module) {
  if (args.child) child(args.child);
  else main();
}
