import { resolve } from 'node:path';

/** The repository root (this file is packages/integration-tests/{src,dist}/paths.*). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** The programs, through their committed bin shims, exactly as an operator runs them. */
export const BINS = Object.freeze({
  proxy: resolve(REPO_ROOT, 'packages/proxy-service/bin/stratum-proxy.js'),
  poolSim: resolve(REPO_ROOT, 'packages/pool-sim/bin/pool-sim.js'),
  minerSim: resolve(REPO_ROOT, 'packages/miner-sim/bin/miner-sim.js'),
});

/** What each bin shim requires: missing until `tsc -b` ran. */
export const BUILT_MAINS = Object.freeze({
  proxy: resolve(REPO_ROOT, 'packages/proxy-service/dist/main.js'),
  poolSim: resolve(REPO_ROOT, 'packages/pool-sim/dist/main.js'),
  minerSim: resolve(REPO_ROOT, 'packages/miner-sim/dist/main.js'),
});
