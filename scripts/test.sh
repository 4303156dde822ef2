#!/usr/bin/env bash
# Runs every check and test: formatting, lints, licences, schema drift, then all tests
# (unit, integration against SQLite and the PostgreSQL on 127.0.0.1:5432, CLI).
# Needs: cargo-deny and diesel_cli (scripts/install-tools.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo deny check licenses bans"
cargo deny --offline check licenses bans

step "schema drift"
scripts/schema-drift.sh

step "cargo test"
cargo test --workspace --locked
