'use strict';
// The project's own simulators as benchmark peers: pool-sim and miner-sim through their bin
// shims (run `npx tsc -b` first), started with procs.start so they are killed with the bench.
const path = require('node:path');
const readline = require('node:readline');
const { start } = require('./procs');

const ROOT = path.resolve(__dirname, '../..');
const POOL_SIM = path.join(ROOT, 'packages/pool-sim/bin/pool-sim.js');
const MINER_SIM = path.join(ROOT, 'packages/miner-sim/bin/miner-sim.js');
const LISTENING = /pool-sim listening on [^\s]+:(\d+) \(control on http:\/\/[^\s]+:(\d+)\)/;

/** The first stdout line of `child` matching `re` (rejects on exit or after `timeoutMs`). */
function waitLine(child, re, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const done = (fn, v) => {
      clearTimeout(timer);
      rl.removeListener('line', onLine);
      child.removeListener('exit', onExit);
      fn(v);
    };
    const onLine = (line) => re.test(line) && done(resolve, line);
    const onExit = (code) => done(reject, new Error(`${path.basename(child.spawnargs.at(-1) ?? '')} exited (${code}) before printing ${re}`));
    const timer = setTimeout(() => done(reject, new Error(`no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
    rl.on('line', onLine);
    child.once('exit', onExit);
  });
}

/**
 * pool-sim on 127.0.0.1 with an ephemeral port and control port; `flags` are extra CLI flags
 * (e.g. ['--profile', 'chaos']). Resolves {child, pid, port, controlPort} once it listens.
 */
async function startPoolSim(flags = [], { cpu } = {}) {
  const child = start(POOL_SIM, ['--host', '127.0.0.1', '--port', '0', '--control-port', '0', '--log-level', 'warn', ...flags], { cpu });
  const m = LISTENING.exec(await waitLine(child, LISTENING));
  child.stdout.resume();
  return { child, pid: child.pid, port: Number(m[1]), controlPort: Number(m[2]) };
}

/**
 * miner-sim with `--json` (its summary is the one JSON line it prints at exit). Returns
 * {child, summary}: `summary()` resolves with the parsed summary once the process has ended.
 */
function startMinerSim(flags, { cpu } = {}) {
  const child = start(MINER_SIM, [...flags, '--json'], { cpu });
  const lines = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  const ended = new Promise((resolve) => child.once('exit', resolve));
  const summary = async () => {
    await ended;
    const line = lines.find((l) => l.startsWith('{'));
    return line === undefined ? null : JSON.parse(line);
  };
  return { child, summary };
}

/** Difficulty at which `hashesPerShare` hashes find one share on average (difficulty 1 = 2^32). */
const difficultyFor = (hashesPerShare) => hashesPerShare / 2 ** 32;

module.exports = { ROOT, POOL_SIM, MINER_SIM, waitLine, startPoolSim, startMinerSim, difficultyFor };
