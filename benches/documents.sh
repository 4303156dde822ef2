#!/usr/bin/env bash
# Document benchmark over real HTTP on loopback, release build, SQLite, every step bounded:
#  - validation: time to upload (stream, hash, check in the child, store) a 50 MiB PDF;
#  - download throughput of that file: ecabinet vs nginx serving the same file (ratio);
#  - 200 concurrent downloads of a 5 MiB document (wrk, 10 s);
#  - watermark: qpdf --overlay of an equivalent one-page stamp on a 100-page file (hyperfine),
#    to compare with `cargo bench -p ecabinet-tests --bench documents` (watermark_tail_100_pages).
# Installs nginx, wrk, qpdf and hyperfine from Debian if missing. Results go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for tool in nginx wrk qpdf hyperfine; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release --locked -p ecabinet -p ecabinet-tests --bin ecabinet --bin pdfgen >/dev/null
data=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$data"; }
trap cleanup EXIT
gen() { ./target/release/pdfgen "$@" >/dev/null; }
gen --pages 200 --page-bytes 262144 --label big "$data/50m.pdf"
gen --pages 200 --page-bytes 262144 --label big2 "$data/50m-b.pdf"
gen --pages 20 --page-bytes 262144 --label mid "$data/5m.pdf"
gen --pages 100 --label hundred "$data/100p.pdf"
gen --pages 1 --label "STAMP" "$data/stamp.pdf"

port=18095
echo benchpass123 | ./target/release/ecabinet user add --username bench --role secretary --data "$data" >/dev/null
ECABINET_LOG__FILTER=warn ECABINET_WEB__DIR=/nonexistent \
    ./target/release/ecabinet serve --data "$data" --bind 127.0.0.1:$port >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.2; done
api=http://127.0.0.1:$port/api/v1
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf -X POST $api/auth/login -H 'content-type: application/json' \
    -d '{"username":"bench","password":"benchpass123"}' | json "['access_token']")
auth=(-H "authorization: Bearer $token")
meeting=$(curl -sf -X POST $api/meetings "${auth[@]}" -H 'content-type: application/json' \
    -d '{"title":"Bench","starts_at":"2026-12-01T08:00:00Z"}' | json "['id']")

echo "== validation: upload of a 50 MiB PDF (stream + SHA-256 + child check + store), two different files"
for f in 50m.pdf 50m-b.pdf; do
    curl -sf -o "$data/up.json" -w "  $f: %{size_upload} bytes in %{time_total} s\n" --max-time 60 \
        -X POST "$api/meetings/$meeting/documents?title=$f" "${auth[@]}" \
        -H 'content-type: application/pdf' --data-binary "@$data/50m.pdf"
    doc=$(json "['id']" < "$data/up.json")
    # The second file has other bytes, so it is checked again rather than deduplicated.
    cp "$data/50m-b.pdf" "$data/50m.pdf"
done
big=$doc
mid=$(curl -sf -X POST "$api/meetings/$meeting/documents?title=mid" "${auth[@]}" \
    -H 'content-type: application/pdf' --data-binary "@$data/5m.pdf" | json "['id']")

mkdir -p "$data/www"
cp "$data/50m-b.pdf" "$data/www/file.pdf"
# nginx's workers run as an unprivileged user; mktemp made the directory private.
chmod 755 "$data" "$data/www" && chmod 644 "$data/www/file.pdf"
cat > "$data/nginx.conf" <<CONF
worker_processes 1;
pid $data/nginx.pid;
error_log $data/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    server { listen 127.0.0.1:18096; root $data/www; }
}
CONF
nginx=$(command -v nginx || echo /usr/sbin/nginx)
"$nginx" -c "$data/nginx.conf" -p "$data"
pids+=("$(cat "$data/nginx.pid" 2>/dev/null || echo 0)")
sleep 0.5

speed() { # url, extra curl args...; prints the median of 7 runs in MiB/s
    local url=$1; shift
    for _ in $(seq 7); do curl -sf -o /dev/null --max-time 60 -w '%{speed_download}\n' "$@" "$url"; done |
        sort -n | sed -n 4p | awk '{printf "%.0f", $1/1048576}'
}
echo "== download of the 50 MiB file over loopback (median of 7)"
ours=$(speed "$api/documents/$big/file" "${auth[@]}")
theirs=$(speed "http://127.0.0.1:18096/file.pdf")
echo "  ecabinet $ours MiB/s, nginx $theirs MiB/s, ratio $(awk "BEGIN{printf \"%.2f\", $ours/$theirs}")"

echo "== 200 concurrent downloads of a 5 MiB document for 10 s (wrk)"
timeout 60 wrk -t2 -c200 -d10s --timeout 30s -H "authorization: Bearer $token" "$api/documents/$mid/file" | sed 's/^/  /'

echo "== board book of 20 documents x 50 pages (first request builds and checks it; then cached)"
book=$(curl -sf -X POST $api/meetings "${auth[@]}" -H 'content-type: application/json' \
    -d '{"title":"Board book","starts_at":"2026-12-01T08:00:00Z"}' | json "['id']")
for i in $(seq 20); do
    item=$(curl -sf -X POST "$api/meetings/$book/agenda" "${auth[@]}" -H 'content-type: application/json' \
        -d "{\"title\":\"Item $i\"}" | json "['id']")
    gen --pages 50 --label "book$i" "$data/book$i.pdf"
    curl -sf -o /dev/null -X POST "$api/meetings/$book/documents?title=Doc$i&agenda_item_id=$item" \
        "${auth[@]}" -H 'content-type: application/pdf' --data-binary "@$data/book$i.pdf"
done
curl -sf -o /dev/null --max-time 60 -w "  first: %{time_total} s, %{size_download} bytes\n" "$api/meetings/$book/board-book" "${auth[@]}"
curl -sf -o /dev/null --max-time 60 -w "  cached: %{time_total} s\n" "$api/meetings/$book/board-book" "${auth[@]}"

echo "== qpdf --overlay of a one-page stamp on a 100-page file (hyperfine)"
timeout 120 hyperfine --warmup 2 --runs 20 -N \
    "qpdf $data/100p.pdf --overlay $data/stamp.pdf --repeat=1 -- $data/out.pdf" 2>&1 | sed 's/^/  /'
