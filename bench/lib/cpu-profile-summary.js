'use strict';
// Summarises a V8 CPU profile (`node --cpu-prof`, or `relay-bench.js --cpu-prof <dir>`): the
// functions with the most self time, as a share of all samples and of the busy (non-idle) ones,
// so that "where the time goes" can be quoted in docs/BENCHMARKS.md.
//
//   node bench/lib/cpu-profile-summary.js <file.cpuprofile> [--top 25]
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('./args');

const args = parseArgs(process.argv.slice(2));
const file = process.argv.slice(2).find((a) => !a.startsWith('--') && a !== args.top);
if (!file) {
  console.error('usage: node bench/lib/cpu-profile-summary.js <file.cpuprofile> [--top 25]');
  process.exit(2);
}
const TOP = Number(args.top ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfSamples = new Map();
for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);

const total = profile.samples.length;
const bySite = new Map();
let idle = 0;
for (const [id, count] of selfSamples) {
  const cf = byId.get(id).callFrame;
  if (cf.functionName === '(idle)') idle += count;
  const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
  const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
  bySite.set(key, (bySite.get(key) ?? 0) + count);
}
const busy = total - idle;
console.log(`${path.basename(file)}: ${total} samples, ${busy} busy (${((busy / total) * 100).toFixed(1)} %)`);
console.log('| self % of busy | self % of all | function |');
console.log('|---:|---:|---|');
for (const [key, count] of [...bySite].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`| ${((count / busy) * 100).toFixed(1)} | ${((count / total) * 100).toFixed(1)} | ${key} |`);
}
