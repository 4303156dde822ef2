#!/usr/bin/env bash
# Runs packaging/nginx/ecabinet.conf, as shipped but for its addresses, ports and certificate
# paths, in front of two ecabinet instances sharing one PostgreSQL database, and checks through
# it what a tablet does (tests/tools/nginx-check.mjs): readiness, the HTTPS redirect, sign-in,
# an upload then Range downloads answered by both instances, the live channel's upgrade, and a
# live channel whose instance is killed with SIGKILL resuming on the other one by last_seq with
# no event missed or duplicated; then the killed instance comes back and takes new channels.
#
#   scripts/nginx-check.sh
#
# The server binary: $ECABINET_BIN, else $E2E_SERVER_BIN, else target/debug/ecabinet (what
# `cargo test` built; scripts/test.sh runs this after it). Needs nginx (scripts/install-tools.sh),
# openssl, node with `npm ci` in benches/ (done here), and PostgreSQL on 127.0.0.1:5432 with
# trust authentication for the user postgres and a database `test` (as the integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
target=${CARGO_TARGET_DIR:-target}
bin=${ECABINET_BIN:-${E2E_SERVER_BIN:-$target/debug/ecabinet}}
case "$bin" in /*) ;; *) bin="$repo/$bin" ;; esac
PG=${NGINX_CHECK_PG:-postgres://postgres@127.0.0.1:5432}

fail() { echo "nginx check FAILED: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no server binary at $bin (build it, or set ECABINET_BIN)"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/install-tools.sh)"
command -v openssl >/dev/null || fail "openssl is not installed"
command -v psql >/dev/null || fail "psql is not installed (scripts/install-tools.sh)"
[ -d benches/node_modules/ws ] || (cd benches && npm ci --no-audit --no-fund >/dev/null)

work=$(mktemp -d /tmp/ecabinet-nginx.XXXXXX)
db="nginx_check_$$_$RANDOM"
cleanup() {
    local rc=$?
    # nginx's master stops its workers on TERM; the instances are killed outright.
    [ -f "$work/nginx/nginx.pid" ] && kill -TERM "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
    for f in "$work"/*.pid; do
        [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    psql "$PG/test" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    if [ "$rc" != 0 ]; then
        for f in "$work"/a.log "$work"/b.log "$work"/nginx/error.log; do
            [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { # url, seconds
    local end=$((SECONDS + $2))
    until curl -fsS -o /dev/null --max-time 1 "$1/readyz" 2>/dev/null; do
        [ $SECONDS -lt $end ] || fail "$1 not ready within $2 s"
        sleep 0.1
    done
}

psql "$PG/test" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null || fail "cannot create a database on $PG"

# Two instances as a real installation has them: one database, documents in it (the default
# with PostgreSQL), the same signing secret and second-factor key, client addresses from nginx.
port_a=$(free_port); port_b=$(free_port); metrics_token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
for name in a b; do
    port=$([ $name = a ] && echo "$port_a" || echo "$port_b")
    mkdir -p "$work/$name"
    # The start script, run again by the client after it killed the instance: exec keeps the
    # pid the cleanup reads.
    cat >"$work/start-$name.sh" <<EOF
echo \$\$ >"$work/$name.pid"
export ECABINET_AUTH__JWT_SECRET=nginx-check-shared-signing-secret-0123456789
export ECABINET_AUTH__MFA_KEY=$(printf '%s' 'nginx-check-mfa-key-32-bytes-ok!' | base64)
export ECABINET_AUTH__TRUST_PROXY_HEADERS=true
export ECABINET_METRICS__TOKEN=$metrics_token
export ECABINET_LOG__FILTER=warn
export ECABINET_LIVE__HEARTBEAT_SECS=2
exec "$bin" serve $([ $name = a ] && echo --demo) --database-url "$PG/$db" --data "$work/$name" \
    --bind 127.0.0.1:$port >>"$work/$name.log" 2>&1
EOF
done
# A first, alone: it runs the migrations and creates the demo users.
bash "$work/start-a.sh" &
disown
wait_ready "http://127.0.0.1:$port_a" 30
bash "$work/start-b.sh" &
disown
wait_ready "http://127.0.0.1:$port_b" 30

# nginx with the repository's file; only addresses, ports and paths rewritten, and two times
# shortened so that the check takes half a minute: the live channel's read timeout from 45 s to
# 6 s (the instances ping every 2 s here instead of 15 s), and the time an instance that failed
# is left out from 10 s to 3 s.
https_port=$(free_port); http_port=$(free_port)
mkdir -p "$work/nginx/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/nginx/tls/privkey.pem" \
    -out "$work/nginx/tls/fullchain.pem" 2>/dev/null
sed -e "s|server 10.0.0.11:8080|server 127.0.0.1:$port_a|" \
    -e "s|server 10.0.0.12:8080|server 127.0.0.1:$port_b|" \
    -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$https_port ssl;|" \
    -e "/listen \[::\]/d" \
    -e "s|/etc/nginx/tls/ecabinet/|$work/nginx/tls/|" \
    -e "s|/var/log/nginx/ecabinet.access.log|$work/nginx/access.log|" \
    -e "s|proxy_read_timeout 45s;|proxy_read_timeout 6s;|" \
    -e "s|fail_timeout=10s|fail_timeout=3s|g" \
    packaging/nginx/ecabinet.conf >"$work/nginx/ecabinet.conf"
for addr in "127.0.0.1:$port_a" "127.0.0.1:$port_b" "127.0.0.1:$https_port ssl" "$work/nginx/access.log" "proxy_read_timeout 6s" "max_fails=2 fail_timeout=3s"; do
    grep -qF "$addr" "$work/nginx/ecabinet.conf" || fail "packaging/nginx/ecabinet.conf changed shape: no '$addr' after rewriting"
done
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    access_log $work/nginx/access-other.log;
    include $work/nginx/ecabinet.conf;
}
EOF
nginx -t -q -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" || fail "nginx -t refused the configuration"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" || fail "nginx did not start"
curl -fsS -o /dev/null --max-time 5 --cacert "$work/nginx/tls/fullchain.pem" "https://127.0.0.1:$https_port/readyz" \
    || fail "nginx does not answer /readyz over HTTPS"

instances=$(printf '[{"name":"instance A","url":"http://127.0.0.1:%s","pidfile":"%s","start":"%s"},{"name":"instance B","url":"http://127.0.0.1:%s","pidfile":"%s","start":"%s"}]' \
    "$port_a" "$work/a.pid" "$work/start-a.sh" "$port_b" "$work/b.pid" "$work/start-b.sh")
NGINX_HTTPS="https://127.0.0.1:$https_port" NGINX_HTTP="http://127.0.0.1:$http_port" \
    NGINX_ACCESS_LOG="$work/nginx/access.log" NGINX_ERROR_LOG="$work/nginx/error.log" METRICS_TOKEN="$metrics_token" INSTANCES="$instances" \
    NODE_EXTRA_CA_CERTS="$work/nginx/tls/fullchain.pem" \
    timeout 120 node tests/tools/nginx-check.mjs || fail "the client checks failed (above)"
