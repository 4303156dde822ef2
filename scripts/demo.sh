#!/usr/bin/env bash
# Starts ecabinet with demo data on the embedded SQLite database (files under ./data) and
# prints where to open it and the demo logins. Extra arguments go to `ecabinet serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --locked --bin ecabinet -- serve --demo "$@"
