#!/usr/bin/env bash
# Runs the pinned pnpm without needing it installed: a global pnpm if it is the pinned version,
# else `npx -y pnpm@<pinned>` (a fresh machine has only Node 20 + npm; corepack there rejects
# pnpm's signature without COREPACK_INTEGRITY_KEYS=0, npx does not).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="$(node -p "require('$here/package.json').packageManager.split('@')[1]")"
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$want" ]; then
  exec pnpm "$@"
fi
exec npx -y "pnpm@$want" "$@"
