#!/usr/bin/env bash
# The main job end to end on a fresh machine: a local sandbox cluster (etcd + 3 Patroni members
# + s3rver), continuous WAL archiving from a replica, a backup taken from a replica into S3, and
# a point-in-time restore to a moment between two writes — showing that exactly the earlier
# write is there.
#
#   scripts/quickstart.sh [--pg 13|15|17|18]   (run as root; PostgreSQL itself runs as the postgres user)
#
# --pg is passed to scripts/sandbox.sh up; without it a running sandbox keeps its major (15 otherwise).
#
# Leaves the sandbox running (scripts/sandbox.sh down stops it); stops the archiver and the
# restored server.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
POLICY="$REPO/policies/sandbox.yaml"
WORK="${PGBACKUP_QUICKSTART_DIR:-/tmp/pgbackup-quickstart}"
RESTORE_PORT=15499
AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups)

step() { printf '\n==> %s\n' "$*"; }
leader_sql() { scripts/sandbox.sh psql -X -q -At -c "$1"; }

step "Starting the sandbox cluster"
scripts/sandbox.sh up "$@"
# A sandbox moved by PGBACKUP_SANDBOX_DIR / PGBACKUP_SANDBOX_PORT_BASE: the same policy with its ports and secrets.
SANDBOX_DIR="${PGBACKUP_SANDBOX_DIR:-$REPO/.sandbox}"
BASE="${PGBACKUP_SANDBOX_PORT_BASE:-15400}"
if [[ "$SANDBOX_DIR" != "$REPO/.sandbox" || "$BASE" != 15400 ]]; then
  POLICY="$SANDBOX_DIR/quickstart-policy.yaml"
  ports=()
  for offset in 10 11 12 30; do ports+=(-e "s#127\.0\.0\.1:$((15400 + offset))#127.0.0.1:$((BASE + offset))#g"); done
  sed -e "s#\.\./\.sandbox/secrets/#$SANDBOX_DIR/secrets/#" "${ports[@]}" "$REPO/policies/sandbox.yaml" >"$POLICY"
  RESTORE_PORT=$((BASE + 99))
fi
PG_BIN="$(sed -n 's/^SANDBOX_PG_BIN=//p' "$SANDBOX_DIR/endpoints.env")"

step "Building pgbackup"
scripts/publish.sh "$REPO/artifacts/pgbackup"
pgbackup() { "$REPO/artifacts/pgbackup/pgbackup" "$@"; }

if [[ -f "$WORK/pgdata/postmaster.pid" ]]; then "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pgdata" stop -m immediate || true; fi
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 755 "$WORK"

step "Archiving WAL continuously from a replica (pgbackup archive, in the background)"
# The binary itself, not the shell function: $! must be the archiver's own pid for the cleanup to stop it.
"$REPO/artifacts/pgbackup/pgbackup" archive --policy "$POLICY" >"$WORK/archiver.log" 2>&1 &
ARCHIVER=$!
cleanup() {
  kill "$ARCHIVER" 2>/dev/null && wait "$ARCHIVER" 2>/dev/null || true
  if [[ -f "$WORK/pgdata/postmaster.pid" ]]; then "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pgdata" stop -m fast >/dev/null || true; fi
}
trap cleanup EXIT

step "Which member will we back up from?"
pgbackup cluster --policy "$POLICY"

leader_sql "CREATE TABLE IF NOT EXISTS quickstart (id serial PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp()); TRUNCATE quickstart RESTART IDENTITY"
leader_sql "INSERT INTO quickstart (note) VALUES ('1: before the backup')"

step "Taking a backup from the healthiest replica into s3rver"
pgbackup backup --policy "$POLICY"
pgbackup list --policy "$POLICY"

step "Two more writes, with the recovery target between them"
leader_sql "INSERT INTO quickstart (note) VALUES ('2: after the backup, before the target')"
sleep 1
TARGET="$(leader_sql "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")"
sleep 1
leader_sql "INSERT INTO quickstart (note) VALUES ('3: after the target')"
echo "target: $TARGET"
sleep 3   # the archiver uploads the growing WAL segment every second

step "The plan, before any byte moves"
pgbackup restore --policy "$POLICY" --time "$TARGET" --dry-run

step "Restoring to $TARGET and starting PostgreSQL on the copy (port $RESTORE_PORT)"
pgbackup restore --policy "$POLICY" --time "$TARGET" --pgdata "$WORK/pgdata" --port "$RESTORE_PORT" --start

step "What the restored server holds"
"${AS_POSTGRES[@]}" "$PG_BIN/psql" -X -h /tmp -p "$RESTORE_PORT" -d postgres -c "SELECT id, note, at FROM quickstart ORDER BY id"
rows="$("${AS_POSTGRES[@]}" "$PG_BIN/psql" -X -At -h /tmp -p "$RESTORE_PORT" -d postgres -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM quickstart")"
if [[ "$rows" != "1,2" ]]; then
  echo "error: expected exactly rows 1,2 at the target, found '$rows'" >&2
  exit 1
fi

step "Done: restored to $TARGET — write 2 is there, write 3 (after the target) is not. The sandbox keeps running (scripts/sandbox.sh down stops it)."
