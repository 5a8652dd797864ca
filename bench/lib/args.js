'use strict';
// `--name value`, `--name=value`, and a bare `--flag` (true) for the benchmark scripts.
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=');
    out[k] = v ?? (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : 'true');
  }
  return out;
}
module.exports = { parseArgs };
