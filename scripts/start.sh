#!/usr/bin/env bash
# Installs and starts the main job. With no pool configured (POOLS, POOL_HOST, CONFIG_FILE unset) it runs the local
# demo: pool-sim + stratum-relay + a few miner-sim miners, all on 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/pnpm.sh install --frozen-lockfile --reporter=append-only >/dev/null
bash scripts/pnpm.sh run -s build
# node directly (not through `pnpm start`) so that Ctrl-C reaches the demo alone and it can stop
# its programs in order.
exec node scripts/demo.js "$@"
