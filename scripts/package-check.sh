#!/usr/bin/env bash
# Builds the Debian package, installs it on this machine, checks what it installed, starts the
# installed binary from outside the repository as the package's user (it must find its tablet
# client), checks the systemd unit (`systemd-analyze verify`, and the exposure score of
# `systemd-analyze security`, which must stay at or below MAX_EXPOSURE), then removes it.
#
#   scripts/package-check.sh          release build (what an administrator installs)
#   scripts/package-check.sh --dev    the debug build the tests already made (CI)
#
# Needs root (dpkg), cargo-deb, and the built client (web/dist). Skips with a message, and
# success, where dpkg or systemd-analyze are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}
target=${CARGO_TARGET_DIR:-target}

if ! command -v dpkg >/dev/null || ! command -v systemd-analyze >/dev/null; then
    echo "package check skipped: this machine has no dpkg or systemd-analyze"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "package check skipped: installing a package needs root"
    exit 0
fi
[ -f web/dist/index.html ] || { echo "build the client first (cd web && npm run build)" >&2; exit 1; }

deb="$(pwd)/$target/debian/ecabinet-check.deb"
case "$target" in /*) deb="$target/debian/ecabinet-check.deb" ;; esac
mkdir -p "$(dirname "$deb")"
if [ "${1:-}" = "--dev" ]; then
    # The package takes <target>/release/ecabinet; give it the debug build the tests made,
    # in a target directory of its own so no real release build is overwritten.
    staging=$(mktemp -d)
    mkdir -p "$staging/release"
    cp "$target/debug/ecabinet" "$staging/release/ecabinet"
    CARGO_TARGET_DIR="$staging" cargo deb -p ecabinet --no-build --no-strip --output "$deb" >/dev/null
    rm -rf "$staging"
else
    cargo deb -p ecabinet --output "$deb" >/dev/null
fi
echo "built $deb ($(du -h "$deb" | cut -f1))"

cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
    dpkg --purge ecabinet >/dev/null 2>&1 || true
    rm -rf "${work:-/nonexistent}"
}
trap cleanup EXIT

dpkg -i "$deb" >/dev/null
fail() { echo "package check FAILED: $*" >&2; exit 1; }
[ -x /usr/bin/ecabinet ] || fail "/usr/bin/ecabinet missing"
/usr/bin/ecabinet --version >/dev/null || fail "the installed binary does not run"
getent passwd ecabinet >/dev/null || fail "no ecabinet user"
[ -f /usr/share/ecabinet/web/index.html ] || fail "the tablet client is not installed"
[ -f /usr/share/doc/ecabinet/examples/nginx-ecabinet.conf ] || fail "the nginx example is not installed"
[ "$(stat -c '%a %G' /etc/ecabinet/ecabinet.toml)" = "640 ecabinet" ] || fail "config permissions: $(stat -c '%a %G' /etc/ecabinet/ecabinet.toml)"
if systemctl is-enabled ecabinet >/dev/null 2>&1; then fail "the service was enabled without the admin's say"; fi

unit=/lib/systemd/system/ecabinet.service
systemd-analyze verify "$unit" 2>&1 | grep -v "^$" | grep -iv "network-online\|postgresql.service" && fail "systemd-analyze verify complained" || true
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
[ -n "$score" ] || fail "no exposure score from systemd-analyze security"
echo "systemd-analyze security: exposure $score (limit $MAX_EXPOSURE)"
awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' || fail "exposure $score above $MAX_EXPOSURE"

# The installed binary, started from / as the package's user with the installed config,
# serves the installed client (not the placeholder page).
work=$(mktemp -d)
chown ecabinet: "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd / && exec runuser -u ecabinet -- /usr/bin/ecabinet serve --config /etc/ecabinet/ecabinet.toml \
    --data "$work/data" --bind "127.0.0.1:$port" >"$work/log" 2>&1) &
pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/" | grep -q '<script' || { cat "$work/log" >&2; fail "the installed server does not serve its client"; }
echo "package check: ok (installed, unit verified, exposure $score, client served from /usr/share/ecabinet/web)"
