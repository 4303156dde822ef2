#!/usr/bin/env bash
# Installs what scripts/test.sh needs and a fresh machine may lack. Idempotent.
set -euo pipefail
need_apt=()
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v curl >/dev/null || need_apt+=(curl)
dpkg -s libpq-dev >/dev/null 2>&1 || need_apt+=(libpq-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need_apt+=(libsqlite3-dev)
# Headless browser for the web client's end-to-end tests (driven by npm playwright-core).
command -v chromium >/dev/null || need_apt+=(chromium)
# The record's PDFs: the font (Times New Roman metrics, with Vietnamese; docs/minutes.md) and
# poppler's pdftotext / pdffonts / pdftoppm, with which the tests read what they print.
dpkg -s fonts-liberation2 >/dev/null 2>&1 || need_apt+=(fonts-liberation2)
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
# certutil, for the NSS database pdfsig trusts the test CA from.
command -v certutil >/dev/null || need_apt+=(libnss3-tools)
# SoftHSM2 and OpenSC's pkcs11-tool: a PKCS#11 token for the desktop signer's tests.
command -v softhsm2-util >/dev/null || need_apt+=(softhsm2)
command -v pkcs11-tool >/dev/null || need_apt+=(opensc)
# nginx in front of two instances (scripts/nginx-check.sh runs packaging/nginx/ecabinet.conf);
# Debian 12's nginx-light has every module that file uses. The package's own service is not
# needed: the check starts nginx itself with a temporary prefix.
if ! command -v nginx >/dev/null; then
    if apt-cache show nginx-light >/dev/null 2>&1; then need_apt+=(nginx-light); else need_apt+=(nginx); fi
fi
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
# python-docx opens the record's .docx in a test; pyHanko signs PDFs as an outside tool would;
# aiosmtpd is the SMTP sink the notification e-mails are sent to in a test (tests/tools/smtp_sink.py).
python3 -c "import docx, pyhanko, aiosmtpd" 2>/dev/null || pip install --quiet python-docx pyhanko aiosmtpd
command -v cargo-deny >/dev/null || cargo install --locked cargo-deny
command -v diesel >/dev/null || cargo install --locked diesel_cli --no-default-features --features sqlite,postgres
# cargo-deb builds the Debian package that scripts/package-check.sh installs and checks.
command -v cargo-deb >/dev/null || cargo install --locked cargo-deb
