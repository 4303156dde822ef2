#!/usr/bin/env bash
# Regenerates the diesel schema from the migrations of each backend and compares it with the
# committed server/src/db/schema.rs: both backends must produce exactly that file.
set -euo pipefail
cd "$(dirname "$0")/.."
schema=server/src/db/schema.rs
tmp=$(mktemp -d)
pg_base=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/test}
pg_db="ecabinet_drift_$$"
cleanup() {
    psql "$pg_base" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

diesel migration run --migration-dir migrations/sqlite --database-url "$tmp/drift.db" >/dev/null
diesel print-schema --database-url "$tmp/drift.db" > "$tmp/sqlite.rs"
diff -u "$schema" "$tmp/sqlite.rs" || { echo "schema drift: SQLite migrations differ from $schema" >&2; exit 1; }

psql "$pg_base" -qc "CREATE DATABASE $pg_db" >/dev/null
pg_url="${pg_base%/*}/$pg_db"
diesel migration run --migration-dir migrations/postgres --database-url "$pg_url" >/dev/null
# diesel prints PostgreSQL integers by their aliases (Int4 = Integer, Int8 = BigInt).
diesel print-schema --database-url "$pg_url" | sed -E 's/\bInt2\b/SmallInt/g; s/\bInt4\b/Integer/g; s/\bInt8\b/BigInt/g; s/\bBytea\b/Binary/g' > "$tmp/postgres.rs"
diff -u "$schema" "$tmp/postgres.rs" || { echo "schema drift: PostgreSQL migrations differ from $schema" >&2; exit 1; }
echo "schema drift check: ok (SQLite and PostgreSQL match $schema)"
