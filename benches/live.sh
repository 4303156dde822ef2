#!/usr/bin/env bash
# Live-channel benchmark: ecabinet (release build, SQLite) and the Node.js `ws` baseline on
# this machine, loopback only, every run bounded.
# Usage: benches/live.sh [sessions...]   (default: 1000 10000). Results go to stdout.
# PIN=1 gives the servers core 0 and the load tool core 1 (taskset); without it they share
# both cores. STROKES=1 also runs the ink relay (500 tablets, 200 batches at 20/s, issue 7).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ $# -gt 0 ] || sizes=(1000 10000)
ulimit -n 20000 2>/dev/null || true
# ECABINET_BIN runs another build of the server (an A/B comparison); the default is this tree's.
bin=${ECABINET_BIN:-./target/release/ecabinet}
cargo build --release --locked --bin ecabinet -p ecabinet -p ecabinet-tests --bin loadtool \
    --bin wsfloor >/dev/null
(cd benches && npm ci --no-audit --no-fund >/dev/null)
data=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$data"; }
trap cleanup EXIT

server_cpu=()
tool_cpu=()
if [ "${PIN:-0}" = 1 ]; then
    server_cpu=(taskset -c 0)
    tool_cpu=(taskset -c 1)
    echo "pinned: servers on core 0, load tool on core 1"
else
    echo "not pinned: servers and load tool share the cores"
fi
echo "load: $(uptime)"

# glibc keeps argon2's 19 MiB buffers in its heap after sign-ins unless large blocks are
# always mapped; without this the idle-session figure would be hidden in that slack.
MALLOC_MMAP_THRESHOLD_=131072 ECABINET_AUTH__LOGIN_BURST_PER_ADDRESS=1000000 \
    ECABINET_LIVE__MAX_SESSIONS_PER_USER=100000 ECABINET_LOG__FILTER=warn \
    ECABINET_WEB__DIR=/nonexistent \
    "${server_cpu[@]}" "$bin" serve --demo --data "$data" --bind 127.0.0.1:18090 >/dev/null 2>&1 &
server=$!
pids+=("$server")
PORT=18091 "${server_cpu[@]}" node benches/ws-baseline.mjs &
pids+=($!)
# The stack's floor: actix-web + actix-ws with nothing of ecabinet (tests/src/bin/wsfloor.rs),
# its sockets idle after the hello only, and after 7 KB sent first (a replay, a presence list).
MALLOC_MMAP_THRESHOLD_=131072 "${server_cpu[@]}" ./target/release/wsfloor --bind 127.0.0.1:18092 >/dev/null &
floor=$!
pids+=("$floor")
MALLOC_MMAP_THRESHOLD_=131072 "${server_cpu[@]}" ./target/release/wsfloor --bind 127.0.0.1:18093 \
    --greeting-bytes 7000 >/dev/null &
floor_greeted=$!
pids+=("$floor_greeted")
for _ in $(seq 50); do curl -sf http://127.0.0.1:18090/readyz >/dev/null && break; sleep 0.2; done
for port in 18091 18092 18093; do
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
done

run() { timeout 600 "${tool_cpu[@]}" ./target/release/loadtool "$@" --max-secs 500; }
for n in "${sizes[@]}"; do
    users=$(( n / 50 > 20 ? n / 50 : 20 ))
    echo "== ecabinet: $n sessions, 100 events at 10/s"
    run --url http://127.0.0.1:18090 --sessions "$n" --users "$users" --events 100 --rate 10 --server-pid "$server"
    echo "== node ws: $n sessions, 100 events at 10/s"
    run --url http://127.0.0.1:18091 --baseline --sessions "$n" --events 100 --rate 10
    echo "== actix-ws floor: $n sessions, 100 events at 10/s"
    run --url http://127.0.0.1:18092 --baseline --sessions "$n" --events 100 --rate 10 --server-pid "$floor"
    echo "== actix-ws floor, sockets sent 7 KB first: $n sessions, 100 events at 10/s"
    run --url http://127.0.0.1:18093 --baseline --sessions "$n" --events 100 --rate 10 \
        --server-pid "$floor_greeted"
done
echo "== ecabinet: sustained 200 events/s into 1000 sessions for 10 s"
run --url http://127.0.0.1:18090 --sessions 1000 --users 20 --events 2000 --rate 200 --server-pid "$server"
echo "== node ws: sustained 200 events/s into 1000 sessions for 10 s"
run --url http://127.0.0.1:18091 --baseline --sessions 1000 --events 2000 --rate 200
if [ "${STROKES:-0}" = 1 ]; then
    echo "== ecabinet: ink relay, 500 tablets, 200 batches at 20/s"
    run --url http://127.0.0.1:18090 --sessions 500 --users 20 --events 200 --rate 20 --strokes
fi
echo "load: $(uptime)"
