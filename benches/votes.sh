#!/usr/bin/env bash
# Voting benchmark: 2,000 members with a live session each, all voting within one second, on
# ecabinet with SQLite and with PostgreSQL (release build, loopback, the bench tool on the same
# machine). Then sustained ballot throughput over HTTP. Usage: benches/votes.sh [members]
# With PIN=1 the server runs on CPU 0 and the tool on CPU 1 (taskset; PostgreSQL's own
# processes are not pinned), so that the tool's 2,000 sockets do not take the server's core.
# ONLY=sqlite or ONLY=postgres runs one database.
set -euo pipefail
cd "$(dirname "$0")/.."
members=${1:-2000}
ulimit -n 20000 2>/dev/null || true
# ECABINET_BIN runs another build of the server (an A/B comparison); the default is this tree's.
bin=${ECABINET_BIN:-./target/release/ecabinet}
cargo build --release --locked -p ecabinet -p ecabinet-tests --bin ecabinet --bin votebench >/dev/null
pg_base=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/test}
pg_db="ecabinet_votebench_$$"
data=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    psql "$pg_base" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT
psql "$pg_base" -qc "CREATE DATABASE $pg_db" >/dev/null

server_cpu=()
tool_cpu=()
if [ "${PIN:-0}" = 1 ]; then
    server_cpu=(taskset -c 0)
    tool_cpu=(taskset -c 1)
fi

run_one() { # name port extra-args...
    local name=$1 port=$2
    shift 2
    ECABINET_AUTH__LOGIN_BURST_PER_ADDRESS=1000000 ECABINET_AUTH__LOGIN_BURST_PER_USERNAME=1000000 \
        ECABINET_LOG__FILTER=warn ECABINET_WEB__DIR=/nonexistent \
        "${server_cpu[@]}" "$bin" serve --demo --data "$data/$name" --bind "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
    local server=$!
    pids+=("$server")
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
    echo "== $name: $members members voting within 1 s (PIN=${PIN:-0}; $(uptime))"
    timeout 900 "${tool_cpu[@]}" ./target/release/votebench --url "http://127.0.0.1:$port" --members "$members" --spread-ms 1000
    kill "$server"
}
only=${ONLY:-all} # ONLY=sqlite or ONLY=postgres runs one of the two
[ "$only" = postgres ] || run_one sqlite 18092
[ "$only" = sqlite ] || run_one postgres 18093 --database-url "${pg_base%/*}/$pg_db"
