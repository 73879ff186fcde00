#!/usr/bin/env bash
# One-off: captures a PostgreSQL 17 chain of native backups of one small table — the full's file,
# two INCREMENTAL files of it (incr1 on the full, incr2 on incr1) — and what pg_combinebackup makes
# of full + incr1 and of full + incr1 + incr2, into
# tests/PgBackup.Tests.Unit/Samples/pg17-reconstruction/ (or $1), gzip -9, as the expected output
# of PgBackup's own reconstruction. Needs `scripts/sandbox.sh up --pg 17` (summarize_wal on).
# incr1 changes two blocks and extends the table; incr2 changes another block and deletes the
# tail so that VACUUM truncates the file: both of reconstruct.c's length rules are exercised. The
# table is vacuumed before the full, so that the later VACUUM rewrites only the pages it must.
set -euo pipefail

# shellcheck source=capture-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/capture-common.sh"
OUT="${1:-$REPO/tests/PgBackup.Tests.Unit/Samples/pg17-reconstruction}"
DB=capture_reconstruction
WORK="$(mktemp -d /tmp/pgbackup-recon-XXXXXX)"
trap 'rm -rf "$WORK"; "$SB" psql -X -q -c "DROP DATABASE IF EXISTS $DB" >/dev/null || true' EXIT

sql() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@" >/dev/null; }
backup() { "$BIN/pg_basebackup" -D "$WORK/$1" -c fast --manifest-checksums=CRC32C -X stream "${@:2}"; }

"$BIN/psql" -X -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
sql -c "CREATE TABLE recon (id int PRIMARY KEY, v text) WITH (fillfactor = 50, autovacuum_enabled = off)" \
    -c "INSERT INTO recon SELECT i, repeat(md5(i::text), 3) FROM generate_series(1, 1500) i" -c "VACUUM recon" -c "CHECKPOINT"
file="base/$("$BIN/psql" -X -At -c "SELECT oid FROM pg_database WHERE datname = '$DB'")/$("$BIN/psql" -X -At -d "$DB" -c "SELECT pg_relation_filenode('recon')")"
say "full backup ($file)"
backup full
sql -c "UPDATE recon SET v = 'incr1' WHERE id IN (100, 900)" -c "INSERT INTO recon SELECT i, repeat(md5(i::text), 3) FROM generate_series(1501, 1800) i" -c "CHECKPOINT"
say "incr1 on the full"
backup incr1 --incremental="$WORK/full/backup_manifest"
sql -c "UPDATE recon SET v = 'incr2' WHERE id = 500" -c "DELETE FROM recon WHERE id > 1200" -c "VACUUM recon" -c "CHECKPOINT"
say "incr2 on incr1"
backup incr2 --incremental="$WORK/incr1/backup_manifest"
"$BIN/pg_combinebackup" -o "$WORK/combined1" "$WORK/full" "$WORK/incr1"
"$BIN/pg_combinebackup" -o "$WORK/combined2" "$WORK/full" "$WORK/incr1" "$WORK/incr2"
"$BIN/pg_verifybackup" -q "$WORK/combined1"
"$BIN/pg_verifybackup" -q "$WORK/combined2"
say "pg_combinebackup + pg_verifybackup passed"

incremental="$(dirname "$file")/INCREMENTAL.$(basename "$file")"
for b in incr1 incr2; do
  [[ -f "$WORK/$b/$incremental" ]] || { echo "error: capture: $b sent $file whole, not as INCREMENTAL" >&2; exit 1; }
done
rm -rf "$OUT"; mkdir -p "$OUT"
gzip -9 -n -c "$WORK/full/$file" >"$OUT/full.gz"
gzip -9 -n -c "$WORK/incr1/$incremental" >"$OUT/incr1.INCREMENTAL.gz"
gzip -9 -n -c "$WORK/incr2/$incremental" >"$OUT/incr2.INCREMENTAL.gz"
gzip -9 -n -c "$WORK/combined1/$file" >"$OUT/combined1.gz"
gzip -9 -n -c "$WORK/combined2/$file" >"$OUT/combined2.gz"
"$BIN/postgres" --version >"$OUT/VERSION"
ls -l "$WORK/full/$file" "$WORK/incr1/$incremental" "$WORK/incr2/$incremental" "$WORK/combined1/$file" "$WORK/combined2/$file" >&2
du -sh "$OUT" >&2
