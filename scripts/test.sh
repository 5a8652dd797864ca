#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine with Node 20 + npm, builds,
# and runs every test once. Ends with one plain line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export npm_config_update_notifier=false

# Debian packages: prometheus provides promtool and a real Prometheus server for the ops tests;
# prometheus-alertmanager provides amtool and the Alertmanager the alert-path tests route through;
# haproxy runs the shipped examples/haproxy.cfg in front of two relays; openssl makes the test
# certificates for the TLS tests; postgresql is the share journal's second backend (its tests start
# their own server); better-sqlite3 compiles from source on install (no prebuilt binary can be
# downloaded), which needs make, g++ and python3.
missing=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || missing+=(build-essential)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# systemd-analyze checks packaging/stratum-relay.service (verify works on a file, no systemd as PID 1).
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# ... and Node's own headers (node-gyp would download them from nodejs.org, which CI cannot reach):
# NodeSource's nodejs package (this image's Node 20) and the nodejs.org builds ship them under
# Node's prefix (include/node); Debian's own nodejs keeps them in libnode-dev.
node_prefix="$(node -p 'require("node:path").resolve(process.execPath, "../..")')"
[ -f "$node_prefix/include/node/node.h" ] || [ -f /usr/include/node/node.h ] || missing+=(libnode-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages start system services (Prometheus on :9090, Alertmanager on :9093, HAProxy,
  # PostgreSQL on :5432); the tests start their own.
  for service in prometheus prometheus-alertmanager haproxy postgresql; do
    $SUDO systemctl stop "$service" >/dev/null 2>&1 || $SUDO service "$service" stop >/dev/null 2>&1 || true
  done
fi

if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="${npm_config_nodedir:-$node_prefix}"
elif [ -f /usr/include/node/node.h ]; then export npm_config_nodedir="${npm_config_nodedir:-/usr}"
else echo "Node's headers (include/node/node.h) are missing: better-sqlite3 cannot be built" >&2; exit 1; fi

echo "== installing npm packages (frozen lockfile)"
bash scripts/pnpm.sh install --frozen-lockfile --reporter=append-only >/dev/null

echo "== building (tsc -b) and type-checking sources and tests"
bash scripts/pnpm.sh run -s typecheck

echo "== lint"
bash scripts/pnpm.sh run -s lint

echo "== tests"
mkdir -p .test-results
set +e
bash scripts/pnpm.sh exec jest --ci --json --outputFile=.test-results/jest.json "$@"
status=$?

# The Docker image runs another Node line than this machine: run the relay core's and the config's
# unit tests on that exact release too, installed from the npm registry's `node` package (about a
# minute: proxy-core's 700 tests took 48 s on 2 busy cores).
node_release="$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9.]*\)-.*/\1/p' docker/Dockerfile)"
echo "== unit tests on Node $node_release (docker/Dockerfile's release)"
node_prefix="$(mktemp -d)"
rm -f .test-results/jest-image-node.json
if npm install --prefix "$node_prefix" --no-save --no-audit --no-fund --loglevel=error "node@$node_release" >/dev/null \
  && [ "$("$node_prefix/node_modules/.bin/node" --version)" = "v$node_release" ]; then
  "$node_prefix/node_modules/.bin/node" node_modules/jest/bin/jest.js --ci --json --outputFile=.test-results/jest-image-node.json packages/proxy-core packages/config
  [ $? -eq 0 ] || status=1
else
  echo "cannot install node@$node_release from the npm registry"
  status=1
fi
rm -rf "$node_prefix"
set -e
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const file of [".test-results/jest.json", ".test-results/jest-image-node.json"]) {
    if (!fs.existsSync(file)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  }
  console.log(`${passed} passed, ${failed} failed`);
' || { echo "0 passed, 1 failed"; exit 1; }
exit $status
