#!/usr/bin/env bash
# Runs every check and test: formatting, lints, licences, schema drift, then all tests
# (unit, integration against SQLite and the PostgreSQL on 127.0.0.1:5432, CLI), then the
# tablet client's build, unit tests and end-to-end tests in Chromium, and the nginx
# configuration in front of two instances (scripts/nginx-check.sh, with the debug build).
# Needs: cargo-deny, diesel_cli, Node 20+, Debian's chromium and nginx (scripts/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo deny check licenses bans"
cargo deny check licenses bans

step "schema drift"
scripts/schema-drift.sh

step "cargo test"
cargo test --workspace --locked

step "nginx in front of two instances on PostgreSQL: failover of the live channel"
scripts/nginx-check.sh

step "web client: npm ci, build, unit tests, end-to-end tests"
(cd web && npm ci --no-audit --no-fund && npm run build && npm test && npm run e2e)

step "Debian package: build, install, check the unit, remove"
scripts/package-check.sh --dev
