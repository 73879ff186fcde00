#!/usr/bin/env bash
# One-off: captures PostgreSQL 17 native incremental-backup files (INCREMENTAL.* and the
# incremental's backup_manifest) from a running `scripts/sandbox.sh up --pg 17` into
# tests/PgBackup.Tests.Unit/Samples/pg17-incremental/ (or $1), as input for a unit-tested reader.
# On the leader: summarize_wal on, a pgbench database, pg_basebackup (full, with manifest), some
# rows changed, pg_basebackup --incremental; the pair is proven by pg_combinebackup +
# pg_verifybackup before anything is kept. summarize_wal is reset and the database dropped after.
set -euo pipefail

# shellcheck source=capture-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/capture-common.sh"
OUT="${1:-$REPO/tests/PgBackup.Tests.Unit/Samples/pg17-incremental}"
DB=capture_incremental
WORK="$(mktemp -d /tmp/pgbackup-incr-XXXXXX)"
trap 'rm -rf "$WORK"; "$SB" psql -X -q -c "ALTER SYSTEM RESET summarize_wal" -c "SELECT pg_reload_conf()" >/dev/null || true; "$SB" psql -X -q -c "DROP DATABASE IF EXISTS $DB" >/dev/null || true' EXIT


"$BIN/psql" -X -q -c "ALTER SYSTEM SET summarize_wal = on" -c "SELECT pg_reload_conf()" >/dev/null
"$BIN/psql" -X -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
"$BIN/pgbench" -q -i -s 1 "$DB" >/dev/null 2>&1
say "full backup of 127.0.0.1:$leader_port"
"$BIN/pg_basebackup" -D "$WORK/full" -c fast --manifest-checksums=CRC32C -X stream
"$BIN/psql" -X -q -d "$DB" -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 20000 = 0" -c "UPDATE pgbench_branches SET bbalance = 7"
say "incremental backup on the full's manifest"
"$BIN/pg_basebackup" -D "$WORK/incr" -c fast --manifest-checksums=CRC32C -X stream --incremental="$WORK/full/backup_manifest"
"$BIN/pg_combinebackup" -o "$WORK/combined" "$WORK/full" "$WORK/incr"
"$BIN/pg_verifybackup" -q "$WORK/combined"
say "pg_combinebackup + pg_verifybackup passed"

# pgbench_accounts' file (some blocks changed) and the database's smallest incremental file (no
# block changed), plus the manifest. Small tables whose every block changed come whole, not as INCREMENTAL.
dboid="$("$BIN/psql" -X -At -c "SELECT oid FROM pg_database WHERE datname = '$DB'")"
pick=("base/$dboid/INCREMENTAL.$("$BIN/psql" -X -At -d "$DB" -c "SELECT pg_relation_filenode('pgbench_accounts')")")
[[ -f "$WORK/incr/${pick[0]}" ]] || { echo "error: capture: pgbench_accounts was not sent incrementally (${pick[0]} missing)" >&2; exit 1; }
pick+=("$(cd "$WORK/incr" && find "base/$dboid" -name 'INCREMENTAL.*' -printf '%s %p\n' | sort -n | head -1 | cut -d' ' -f2)")
rm -rf "$OUT"; mkdir -p "$OUT"
for f in "${pick[@]}"; do
  mkdir -p "$OUT/$(dirname "$f")"
  cp "$WORK/incr/$f" "$OUT/$f"
done
gzip -9 -n -c "$WORK/incr/backup_manifest" >"$OUT/backup_manifest.gz"
"$BIN/postgres" --version >"$OUT/VERSION"
du -sh "$OUT" >&2
