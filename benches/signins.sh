#!/usr/bin/env bash
# Memory after a storm of sign-ins (issue 18): the server's resident memory before and after N
# password sign-ins, 64 at a time, and GET /api/v1/me latency for a signed-in user during them.
# Usage: benches/signins.sh [n]   (ECABINET_BIN: another build; default ./target/release/ecabinet)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
bin=${ECABINET_BIN:-./target/release/ecabinet}
data=$(mktemp -d)
port=18096
ECABINET_AUTH__LOGIN_BURST_PER_ADDRESS=1000000 ECABINET_AUTH__LOGIN_BURST_PER_USERNAME=1000000 \
    ECABINET_LOG__FILTER=warn ECABINET_WEB__DIR=/nonexistent \
    "$bin" serve --demo --data "$data" --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
login() { curl -sf -H 'content-type: application/json' -d '{"username":"thuky","password":"demo1234"}' "http://127.0.0.1:$port/api/v1/auth/login"; }
token=$(login | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
before=$(rss)
echo "RSS before: $((before / 1024)) MiB ($(uptime))"
# /me every 20 ms while the storm runs, timed by curl.
( while kill -0 $server 2>/dev/null; do
    curl -s -o /dev/null -w '%{time_total}\n' -H "authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/me"
    sleep 0.02
  done ) > "$data/me.txt" &
poller=$!
start=$(date +%s.%N)
seq "$n" | xargs -P 64 -I{} curl -s -o /dev/null -H 'content-type: application/json' \
    -d '{"username":"thuky","password":"demo1234"}' "http://127.0.0.1:$port/api/v1/auth/login"
end=$(date +%s.%N)
kill $poller 2>/dev/null || true
after=$(rss)
echo "$n sign-ins in $(python3 -c "print(round($end - $start, 1))") s; RSS after: $((after / 1024)) MiB (+$(((after - before) / 1024)) MiB)"
python3 - "$data/me.txt" <<'PY'
import sys
v = sorted(float(x) * 1000 for x in open(sys.argv[1]) if x.strip())
p = lambda q: v[min(len(v) - 1, round(q / 100 * (len(v) - 1)))]
print(f"GET /api/v1/me during the storm (ms): n {len(v)}  p50 {p(50):.1f}  p99 {p(99):.1f}  max {v[-1]:.1f}")
PY
