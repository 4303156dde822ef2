#!/usr/bin/env bash
# A meeting held in writing with many members (issue 17): N members answering within one
# second before the deadline, some twice, some with a comment (ack p99 target 50 ms); the
# chair's closing with a tenth silent and deemed to agree (target under 1 s); the summary's
# finalisation. On SQLite and PostgreSQL, release build, loopback, the tool on the same
# machine. Usage: benches/written.sh [members]   ONLY=sqlite or ONLY=postgres runs one.
set -euo pipefail
cd "$(dirname "$0")/.."
members=${1:-500}
# PROFILE=debug measures the debug build (an upper bound, without a release build's wait).
profile=${PROFILE:-release}
flag=--release
[ "$profile" = debug ] && flag=
bin=${ECABINET_BIN:-./target/$profile/ecabinet}
cargo build $flag --locked -p ecabinet -p ecabinet-tests --bin ecabinet --bin writtenbench >/dev/null
pg_base=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/test}
pg_db="ecabinet_writtenbench_$$"
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
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
    echo "== $name ($profile build): $members members answering in writing within 1 s ($(uptime))"
    timeout 600 ./target/$profile/writtenbench --url "http://127.0.0.1:$port" --members "$members" --spread-ms 1000
    kill "$server"
}
only=${ONLY:-all}
[ "$only" = postgres ] || run_one sqlite 18094
[ "$only" = sqlite ] || run_one postgres 18095 --database-url "${pg_base%/*}/$pg_db"
