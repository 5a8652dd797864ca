'use strict';
// `pnpm bench`: every benchmark, one after the other, each with its default settings.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
for (const script of ['work-bench.js', 'parser-bench.js', 'collector-bench.js', 'relay-bench.js']) {
  execFileSync(process.execPath, [path.join(__dirname, script)], { stdio: 'inherit' });
}
