#!/usr/bin/env bash
# Installs and starts the main job. With no pool configured (POOL_HOST unset) it runs the local
# demo: pool-sim + stratum-relay + a few miner-sim miners, all on 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/pnpm.sh install --frozen-lockfile --reporter=append-only >/dev/null
exec bash scripts/pnpm.sh start "$@"
