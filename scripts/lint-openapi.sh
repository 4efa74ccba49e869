#!/usr/bin/env bash
# Lint docs/openapi.json with Redocly CLI (recommended rules; redocly.yaml), pinned and installed under .local/.
# Exit 0: no errors (warnings are printed). Exit 1: lint errors. Exit 3: Redocly could not be installed (no npm
# or no registry), which tests/Inventory.Tests reports instead of failing.
# Usage: scripts/lint-openapi.sh [FILE]   (default docs/openapi.json)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REDOCLY_VERSION=2.77.0
DIR="$ROOT/.local/redocly"
BIN="$DIR/node_modules/.bin/redocly"
FILE="${1:-docs/openapi.json}"
cd "$ROOT"

installed() { [[ -x $BIN ]] && [[ $(node -p "require('$DIR/node_modules/@redocly/cli/package.json').version" 2>/dev/null) == "$REDOCLY_VERSION" ]]; }
if ! installed; then
  command -v npm >/dev/null || { echo "[lint-openapi] npm not found" >&2; exit 3; }
  echo "[lint-openapi] npm install --prefix .local/redocly @redocly/cli@$REDOCLY_VERSION"
  mkdir -p "$DIR" "$ROOT/.local/log"
  npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "@redocly/cli@$REDOCLY_VERSION" >"$ROOT/.local/log/npm-redocly.log" 2>&1 ||
    { tail -n 20 "$ROOT/.local/log/npm-redocly.log" >&2; echo "[lint-openapi] npm install @redocly/cli@$REDOCLY_VERSION failed" >&2; exit 3; }
fi
echo "[lint-openapi] redocly lint $FILE (@redocly/cli $REDOCLY_VERSION)"
# REDOCLY_TELEMETRY=off: no usage report; the banner about Node.js versions is noise here.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$BIN" lint "$FILE" --format=stylish
