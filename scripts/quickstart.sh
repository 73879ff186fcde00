#!/usr/bin/env bash
# The main job end to end on a fresh machine: a local sandbox cluster (etcd + 3 Patroni members
# + s3rver), a backup taken from a replica into S3, and a restore that PostgreSQL starts on.
#
#   scripts/quickstart.sh          (run as root; PostgreSQL itself runs as the postgres user)
#
# Leaves the sandbox running (scripts/sandbox.sh down stops it) and the restored server stopped.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
POLICY="$REPO/policies/sandbox.yaml"
WORK="${PGBACKUP_QUICKSTART_DIR:-/tmp/pgbackup-quickstart}"
RESTORE_PORT=15499
PG_BIN=/usr/lib/postgresql/15/bin
AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups)

step() { printf '\n==> %s\n' "$*"; }

step "Starting the sandbox cluster"
scripts/sandbox.sh up

step "Building pgbackup"
dotnet publish src/PgBackup.Cli/PgBackup.Cli.csproj -c Release -o "$REPO/artifacts/pgbackup" --nologo -v quiet
pgbackup() { "$REPO/artifacts/pgbackup/pgbackup" "$@"; }

step "Writing a marker row on the leader"
scripts/sandbox.sh psql -q -c "CREATE TABLE IF NOT EXISTS quickstart (id serial PRIMARY KEY, note text, at timestamptz DEFAULT now())" \
  -c "INSERT INTO quickstart (note) VALUES ('before the backup')"

step "Which member will we back up from?"
pgbackup cluster --policy "$POLICY"

step "Taking a backup from the healthiest replica into s3rver"
pgbackup backup --policy "$POLICY"
pgbackup list --policy "$POLICY"

step "Restoring the latest backup into $WORK/pgdata"
if [[ -f "$WORK/pgdata/postmaster.pid" ]]; then "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pgdata" stop -m immediate || true; fi
rm -rf "$WORK"
mkdir -p "$WORK"
pgbackup restore --policy "$POLICY" --backup latest --pgdata "$WORK/pgdata" --port "$RESTORE_PORT"
chown -R postgres:postgres "$WORK"

step "Checking the restored files against PostgreSQL's own manifest"
"${AS_POSTGRES[@]}" "$PG_BIN/pg_verifybackup" "$WORK/pgdata"

step "Starting PostgreSQL on the restored copy (port $RESTORE_PORT)"
"${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pgdata" -l "$WORK/postgres.log" -w -t 60 start
trap '"${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pgdata" stop -m fast >/dev/null || true' EXIT
"${AS_POSTGRES[@]}" "$PG_BIN/psql" -h /tmp -p "$RESTORE_PORT" -U postgres -d postgres -c "SELECT id, note, at FROM quickstart ORDER BY id"

step "Done: the backup restored and started; the sandbox keeps running (scripts/sandbox.sh down stops it)"
