#!/usr/bin/env bash
# Runs one of this folder's node scripts, after checking that its packages
# are installed (scripts/test runs `npm ci --prefix tests/js`).
# Usage: run.sh <script.mjs> [arguments...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v node >/dev/null || { echo "tests/js: node is not installed" >&2; exit 1; }
if [[ ! -d "$here/node_modules/@apidevtools/swagger-parser" || ! -d "$here/node_modules/playwright-core" ]]; then
  echo "tests/js: the packages are not installed; run: npm ci --prefix tests/js" >&2
  exit 1
fi
script=$1
shift
exec node "$here/$script" "$@"
