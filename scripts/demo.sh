#!/usr/bin/env bash
# Starts ecabinet with demo data on the embedded SQLite database (files under ./data) and
# prints where to open it and the demo logins. Extra arguments go to `ecabinet serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
# Build the tablet client when web/dist is missing or older than its sources.
if [ ! -f web/dist/index.html ] ||
    [ -n "$(find web/src web/index.html web/package-lock.json web/public -newer web/dist/index.html -print -quit)" ]; then
    (cd web && npm ci --no-audit --no-fund && npm run build)
fi
exec cargo run --release --locked --bin ecabinet -- serve --demo "$@"
