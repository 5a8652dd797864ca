'use strict';
const { parseArgs } = require('./lib/args');
// Parser benchmark: the LineObserver implementations of proxy-core on the same seeded,
// realistic Stratum corpus (mining.notify with merkle branches, submits ~150 B, their
// responses, set_difficulty, and the handshake), fed in mixed chunking: whole lines, random
// splits, several lines per chunk. Each implementation runs in a fresh Node process per round
// (so neither JIT state nor the heap of one leaks into the other); the table shows the median.
//
//   pnpm bench:parser [--rounds 5] [--lines 100000] [--seconds 1.5] [--seed 42]
//                     [--merkle-depth 3-5] [--only fast,JSON.parse]
//   (or: npx tsc -b packages/proxy-core packages/prng && node bench/parser-bench.js)
//
// --merkle-depth: levels of the notifies' merkle branches, a number or a range `a-b` (default
//   3-5, the corpus the first table was measured on; mainnet blocks of today need 10-13).
//
// Plain JS run against built dist: the parsers come from packages/proxy-core/dist and the seeded
// PRNG (mulberry32) from packages/prng/dist (@stratum-relay/prng), the monorepo's only copy.
//
// Rows (the listener reads what the metrics collector reads with the share audit off: type,
// method and id of requests, method and params of notifications, id, result and error of
// responses; `--read-params` makes it read every request's params too, as the audit does):
//   fast        StratumParser as shipped: LineSplitter + the byte-level fast path (fast-line.ts)
//               for canonical lines, JSON.parse for the rest; events lent to a borrowing listener
//   fast+fresh  the same with a listener that keeps events: a fresh event object per line with
//               its params decoded (JSON.parse of the params' bytes only)
//   JSON.parse  StratumParser with the fast path off: JSON.parse of every line (shipped before)
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
const [DEPTH_MIN, DEPTH_MAX] = String(args['merkle-depth'] ?? '3-5')
  .split('-')
  .map(Number)
  .concat([NaN])
  .map((v, i, a) => (i === 1 && !Number.isFinite(v) ? a[0] : v));
if (!(DEPTH_MIN >= 0 && DEPTH_MAX >= DEPTH_MIN && DEPTH_MAX <= 16)) throw new Error(`--merkle-depth: a number or a range a-b within 0-16`);
const READ_PARAMS = args['read-params'] === 'true';

const IMPLEMENTATIONS = {
  fast: { file: 'stratum-parser.js', exportName: 'StratumParser', listeners: true, lend: true, fastPath: true },
  'fast+fresh': { file: 'stratum-parser.js', exportName: 'StratumParser', listeners: true, lend: false, fastPath: true },
  'JSON.parse': { file: 'stratum-parser.js', exportName: 'StratumParser', listeners: true, lend: false, fastPath: false },
  jsonparse: { file: 'jsonparse-parser.js', exportName: 'JsonparseStratumParser', listeners: true, lend: false, fastPath: false },
  framing: { file: 'stratum-parser.js', exportName: 'StratumParser', listeners: false, lend: false, fastPath: true },
};
const ONLY = args.only === undefined ? null : String(args.only).split(',');

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
      // mining.notify: merkle branch, coinbase halves, clean_jobs (~500 B with the default 3-5 levels).
      jobId = (jobSeq++).toString(16);
      ntime += 1 + int(30);
      const branches = Array.from({ length: DEPTH_MIN + int(DEPTH_MAX - DEPTH_MIN + 1) }, () => `"${hex(64)}"`).join(',');
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
    lendsEvents: impl.lend,
    listenerErrors: 0,
    observerErrors: 0,
    emit(e) {
      // A listener that reads what the metrics collector reads (audit off unless --read-params).
      events++;
      let n = e.type.length;
      switch (e.type) {
        case 'stratum.request':
          n += e.method.length + (typeof e.id === 'number' ? e.id : 1);
          if (READ_PARAMS || e.method === 'mining.authorize') n += e.params.length;
          break;
        case 'stratum.notification':
          n += e.method.length + e.params.length;
          break;
        case 'stratum.response':
          n += (typeof e.id === 'number' ? e.id : 1) + (e.result === true ? 1 : 0) + (e.error === null ? 1 : 0);
          break;
      }
      checksum = (checksum + n) | 0;
    },
  };
  const pass = () => {
    const parser = new Parser({ connectionId: 1, direction: 'pool_to_miner', maxLineBytes: 16384, bus, fastPath: impl.fastPath });
    const chunks = corpus.chunks;
    for (let i = 0; i < chunks.length; i++) parser.push(chunks[i]);
    parser.end();
  };

  // Warm-up: let the JIT settle before timing.
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 0.3e9));
  do pass();
  while (process.hrtime.bigint() < warmEnd);

  if (args.alloc) {
    // Heap bytes allocated per line: one pass in slices, a full GC before each, the young
    // generation big enough (--min/max-semi-space-size, set by the parent) that no scavenge
    // runs inside a slice, so heapUsed grows by exactly what the slice allocated.
    const SLICE = 1000;
    const parser = new Parser({ connectionId: 1, direction: 'pool_to_miner', maxLineBytes: 16384, bus, fastPath: impl.fastPath });
    let allocated = 0;
    for (let from = 0; from < corpus.chunks.length; from += SLICE) {
      global.gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = from; i < Math.min(from + SLICE, corpus.chunks.length); i++) parser.push(corpus.chunks[i]);
      allocated += process.memoryUsage().heapUsed - before;
    }
    process.stdout.write(JSON.stringify({ name, bytesPerLine: allocated / corpus.lines }) + '\n');
    return;
  }

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
  const names = Object.keys(IMPLEMENTATIONS).filter((n) => ONLY === null || ONLY.includes(n) || n === 'JSON.parse');
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const allocation = {};
  let info;
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order so neither implementation always runs on a cooler machine.
    const order = round % 2 ? names : [...names].reverse();
    for (const name of order) {
      const r = spawnSync(
        process.execPath,
        [
          path.join(__dirname, 'parser-bench.js'),
          ...['--child', name, '--lines', String(LINES), '--seconds', String(SECONDS), '--seed', String(SEED)],
          ...['--merkle-depth', `${DEPTH_MIN}-${DEPTH_MAX}`, ...(READ_PARAMS ? ['--read-params'] : [])],
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) {
        console.error(r.stderr);
        throw new Error(`${name} child failed with status ${r.status}`);
      }
      const res = JSON.parse(r.stdout.trim().split('\n').pop());
      if (round === 1) {
        // Allocation per line, once per implementation (deterministic up to the JIT).
        const a = spawnSync(
          process.execPath,
          [
            '--expose-gc',
            '--min-semi-space-size=64',
            '--max-semi-space-size=64',
            path.join(__dirname, 'parser-bench.js'),
            ...['--child', name, '--alloc', '--lines', String(LINES), '--seconds', '0.2', '--seed', String(SEED)],
            ...['--merkle-depth', `${DEPTH_MIN}-${DEPTH_MAX}`, ...(READ_PARAMS ? ['--read-params'] : [])],
          ],
          { encoding: 'utf8' },
        );
        if (a.status !== 0) throw new Error(`${name} allocation child failed: ${a.stderr}`);
        allocation[name] = JSON.parse(a.stdout.trim().split('\n').pop()).bytesPerLine;
      }
      results[name].push(res);
      info = res;
      process.stderr.write(`round ${round}/${ROUNDS} ${name}: ${Math.round(res.linesPerSec).toLocaleString('en-US')} lines/s\n`);
    }
  }

  console.log(
    `\nParser benchmark: ${info.corpusLines.toLocaleString('en-US')} lines, ${(info.corpusBytes / 1e6).toFixed(1)} MB, ` +
      `${info.chunks.toLocaleString('en-US')} chunks (seed ${SEED}), merkle branches ${DEPTH_MIN === DEPTH_MAX ? DEPTH_MIN : `${DEPTH_MIN}-${DEPTH_MAX}`} deep; ` +
      `listener reads ${READ_PARAMS ? 'every params' : "what the collector reads with the audit off"}; ${ROUNDS} rounds x ${SECONDS} s, median; node ${process.version}\n` +
      `command: node bench/parser-bench.js ${process.argv.slice(2).join(' ')}\n`,
  );
  const header = ['implementation', 'lines/s', 'MB/s', 'ns/line', 'lines/s min-max', 'time vs JSON.parse', 'heap B allocated/line'];
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
      Math.round(allocation[name]).toLocaleString('en-US'),
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
