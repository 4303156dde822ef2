#!/usr/bin/env bash
# The record's preview while its editors type (issue 15): MEETINGS meetings of 40 participants,
# 30 items, 20 decided polls and 60 speeches, each with its chair and secretary saving every
# 800 ms and reading the preview every 2 s, for SECS seconds, on SQLite and on PostgreSQL
# (release build, loopback, the tool on the same machine). Usage: benches/minutes.sh [meetings] [secs]
# ECABINET_BIN runs another build of the server; PROFILE=debug uses the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
meetings=${1:-5}
secs=${2:-30}
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
    cargo build --release --locked -p ecabinet -p ecabinet-tests --bin ecabinet --bin minutesbench >/dev/null
else
    cargo build --locked -p ecabinet -p ecabinet-tests --bin ecabinet --bin minutesbench >/dev/null
fi
bin=${ECABINET_BIN:-./target/$profile/ecabinet}
pg_base=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/test}
pg_db="ecabinet_minutesbench_$$"
data=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    psql "$pg_base" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT
psql "$pg_base" -qc "CREATE DATABASE $pg_db" >/dev/null

run_one() { # name port extra-args...
    local name=$1 port=$2
    shift 2
    ECABINET_AUTH__LOGIN_BURST_PER_ADDRESS=1000000 ECABINET_AUTH__LOGIN_BURST_PER_USERNAME=1000000 \
        ECABINET_LOG__FILTER=warn ECABINET_WEB__DIR=/nonexistent \
        "$bin" serve --demo --data "$data/$name" --bind "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
    local server=$!
    pids+=("$server")
    for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
    echo "== $name ($profile): $meetings meetings, $((meetings * 2)) editors, ${secs} s ($(uptime))"
    timeout 900 "./target/$profile/minutesbench" --url "http://127.0.0.1:$port" --meetings "$meetings" --secs "$secs"
    kill "$server"
}
only=${ONLY:-all}
[ "$only" = postgres ] || run_one sqlite 18094
[ "$only" = sqlite ] || run_one postgres 18095 --database-url "${pg_base%/*}/$pg_db"
