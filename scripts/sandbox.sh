#!/usr/bin/env bash
# PgBackup sandbox: etcd + a three-member Patroni cluster of PostgreSQL + s3rver, all on
# 127.0.0.1, PostgreSQL/Patroni/etcd running as the non-root user `postgres`.
#
#   scripts/sandbox.sh up [--pg 13|15|17|18] | down | status | switchover | failover | wait-healthy
#                      | psql [member] [psql args] | patronictl [args]
#
# PostgreSQL 15 (the default) runs from the host's packages (Debian 12). Any other major runs, with
# its own suite's Patroni and etcd, in a Debian chroot of the suite that ships it (13 bullseye,
# 17 trixie, 18 forky), built once by debootstrap and cached (scripts/sandbox/chroot.sh); the
# major's binaries are also linked on the host as /usr/lib/postgresql/MAJOR (wrappers running
# the chroot's), so restores, drills and tests find them where they find 15's. `up` records the
# major; the other verbs act on the recorded one. s3rver always runs on the host.
#
# Environment:
#   PGBACKUP_SANDBOX_DIR        state directory (default <repo>/.sandbox)
#   PGBACKUP_SANDBOX_PORT_BASE  port base (default 15400): etcd base, base+1 (peer), Patroni REST
#                               base+10..12, PostgreSQL base+20..22, s3rver base+30
#   PGBACKUP_SANDBOX_TIMEOUT    seconds any single wait may take (default 120)
#   PGBACKUP_SANDBOX_NOBACKUP   comma-separated members written with tags {nobackup: true} on up
#   PGBACKUP_SANDBOX_PGBACKUP   the pgbackup Patroni calls to build replicas from the repository
#                               (default: the Release build in src/PgBackup.Cli/bin)
#
# Where data lives: everything root-owned (logs, pid files, endpoints.env, s3 data) is under the
# state directory. Everything the postgres user owns (etcd data, PGDATA, Patroni configs, unix
# sockets) lives under <state>/run when the postgres user can traverse the state directory's
# path; otherwise (e.g. a repository under /root, which is 0700) under
# /tmp/pgbackup-sandbox-<hash of the state dir>. The choice is recorded in <state>/run-dir.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"
HELPERS="$SCRIPT_DIR/sandbox"

STATE="$(realpath -m "${PGBACKUP_SANDBOX_DIR:-$REPO/.sandbox}")"
BASE="${PGBACKUP_SANDBOX_PORT_BASE:-15400}"
TIMEOUT="${PGBACKUP_SANDBOX_TIMEOUT:-120}"

ETCD_PORT=$BASE
ETCD_PEER_PORT=$((BASE + 1))
S3_PORT=$((BASE + 30))
MEMBERS=(m1 m2 m3)
CLUSTER=sandbox
PYTHON=/usr/bin/python3
S3RVER_VERSION=3.7.1
S3RVER_DIR="$HELPERS/.s3rver-$S3RVER_VERSION"
SUPER_PASSWORD=sandbox-super
REPL_PASSWORD=sandbox-repl
BACKUP_PASSWORD=sandbox-backup
PGBACKUP="${PGBACKUP_SANDBOX_PGBACKUP:-$REPO/src/PgBackup.Cli/bin/Release/net10.0/pgbackup}"
# The sandbox's own policy (its ports, its secrets): what Patroni's pgbackup replica method uses.
POLICY="$STATE/policy.yaml"

rest_port() { echo $((BASE + 10 + $1)); }   # member index 0..2
pg_port() { echo $((BASE + 20 + $1)); }

log() { echo "sandbox: $*" >&2; }
die() { echo "error: sandbox: $*" >&2; exit 1; }

member_index() {
  local i
  for i in "${!MEMBERS[@]}"; do [[ "${MEMBERS[$i]}" == "$1" ]] && { echo "$i"; return 0; }; done
  return 1
}

AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups)
# File work in the run directory as postgres: always on the host (the chroot sees the same path).
as_postgres() { "${AS_POSTGRES[@]}" "$@"; }

# shellcheck source=sandbox/chroot.sh
source "$HELPERS/chroot.sh"

# set_major MAJOR: what depends on the PostgreSQL major. PG_BIN is the same path on the host and
# in the cluster's filesystem (for a chroot major, on the host a link to its wrappers).
set_major() {
  [[ "$1" =~ ^[0-9]+$ ]] && suite_of "$1" >/dev/null || die "--pg '$1' is not a supported PostgreSQL major (13, 15, 17 or 18)"
  PG_MAJOR="$1"
  PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
  CHROOT=""
  [[ "$PG_MAJOR" == 15 ]] || CHROOT="$(chroot_dir "$PG_MAJOR")"
  # Patroni 2 (bullseye, with 13) knows only the old names of primary_start_timeout and of
  # patronictl switchover's --leader.
  START_TIMEOUT_KEY=primary_start_timeout SWITCHOVER_FROM=--leader
  [[ "$PG_MAJOR" != 13 ]] || START_TIMEOUT_KEY=master_start_timeout SWITCHOVER_FROM=--master
  # PostgreSQL 17+ summarizes WAL (on standbys too) for native incremental backups; older majors
  # do not know the setting and would refuse to start with it.
  EXTRA_PARAMETERS=""
  (( PG_MAJOR < 17 )) || EXTRA_PARAMETERS="summarize_wal: 'on'"
}

# The recorded major of a sandbox that is up (15 for one made before majors were recorded).
recorded_major() { if [[ -f "$STATE/pg-major" ]]; then cat "$STATE/pg-major"; else echo 15; fi; }

# How etcd, Patroni and patronictl run: as postgres, on the host or inside the major's chroot.
cluster_as_postgres() {
  if [[ -n "$CHROOT" ]]; then CLUSTER_AS_POSTGRES=("$HELPERS/in-chroot" "$CHROOT" "$RUN" /usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups)
  else CLUSTER_AS_POSTGRES=("${AS_POSTGRES[@]}"); fi
}

# ---------------------------------------------------------------------------------------------
# Run directory (postgres-owned)
# ---------------------------------------------------------------------------------------------
resolve_run_dir() {
  if [[ -f "$STATE/run-dir" ]]; then
    RUN="$(cat "$STATE/run-dir")"
    cluster_as_postgres
    return
  fi
  local candidate="$STATE/run"
  # Unix socket paths are limited to 107 bytes: <run>/sock/.s.PGSQL.NNNNN must fit.
  if (( ${#candidate} <= 80 )) && id postgres >/dev/null 2>&1 && as_postgres test -x "$STATE" 2>/dev/null; then
    RUN="$candidate"
  else
    RUN="/tmp/pgbackup-sandbox-$(printf '%s' "$STATE" | sha256sum | cut -c1-12)"
  fi
  cluster_as_postgres
}

# ---------------------------------------------------------------------------------------------
# Process helpers
# ---------------------------------------------------------------------------------------------
alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
# The pid recorded in file $1, only if that process still runs with this sandbox's directories
# on its command line (a stale pid file must never make us signal an unrelated process).
pidfile_pid() {
  local pid args
  [[ -f "$1" ]] || return 0
  pid="$(head -1 "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  args="$(ps -o args= -p "$pid" 2>/dev/null || true)"
  [[ "$args" == *"$STATE/"* || ( -n "${RUN:-}" && "$args" == *"$RUN/"* ) ]] && echo "$pid"
  return 0
}

# PIDs whose command line contains the fixed string $1 (never this script itself).
pids_matching() {
  local re
  re="$(printf '%s' "$1" | sed 's/[][\\.*^$()+?{}|]/\\&/g')"
  pgrep -f -- "$re" | grep -vx -e "$$" -e "$BASHPID" || true
}

# All descendants of a pid (children first is not needed: we signal them all).
descendants() {
  local p
  for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$p"
    descendants "$p"
  done
}

# stop_pids SECONDS SIGNAL PID...: signal them all, wait for all, SIGKILL what is left.
stop_pids() {
  local secs="$1" sig="$2" i pid left; shift 2
  for pid in "$@"; do alive "$pid" && kill -"$sig" "$pid" 2>/dev/null || true; done
  for ((i = 0; i < secs * 10; i++)); do
    left=""
    for pid in "$@"; do alive "$pid" && left+=" $pid"; done
    [[ -z "$left" ]] && return 0
    sleep 0.1
  done
  log "pid(s)$left did not stop after ${secs}s; killing them"
  kill -KILL $left 2>/dev/null || true
  sleep 0.2
}

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

all_ports() {
  echo "$ETCD_PORT $ETCD_PEER_PORT $S3_PORT"
  local i
  for i in "${!MEMBERS[@]}"; do echo "$(rest_port "$i") $(pg_port "$i")"; done
}

# wait_until SECONDS "what we wait for" command...: polls every 0.5 s.
wait_until() {
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs)) out=""
  while true; do
    if out="$("$@" 2>&1)"; then return 0; fi
    if ((SECONDS >= deadline)); then
      die "timed out after ${secs}s waiting for $what${out:+ (last: $out)}"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------
# Installation of what is missing
# ---------------------------------------------------------------------------------------------
ensure_packages() {
  local missing=()
  if [[ -z "$CHROOT" ]]; then
    [[ -x "$PG_BIN/postgres" ]] || missing+=(postgresql-15 postgresql-contrib)
    [[ -x /usr/bin/patroni ]] || missing+=(patroni)
    command -v etcd >/dev/null || missing+=(etcd-server)
  fi
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  command -v curl >/dev/null || missing+=(curl)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v zstd >/dev/null || missing+=(zstd)   # the scripts read manifest.json (zstd-encoded) with it
  [[ -x "$PYTHON" ]] || missing+=(python3)
  command -v setpriv >/dev/null || missing+=(util-linux)
  command -v ps >/dev/null || missing+=(procps)
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt-get)"
    [[ $EUID -eq 0 ]] || die "missing packages ${missing[*]}; run as root or install them"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  id postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql --create-home --shell /bin/bash postgres
  [[ -z "$CHROOT" ]] || { chroot_build "$PG_MAJOR" >/dev/null; link_host_binaries; }
  if [[ ! -f "$S3RVER_DIR/node_modules/s3rver/bin/s3rver.js" ]]; then
    log "installing s3rver@$S3RVER_VERSION (npm) into $S3RVER_DIR"
    mkdir -p "$S3RVER_DIR"
    # Several sandboxes of one worktree may start together: one installs, the others wait.
    (
      flock -w 300 9 || die "could not lock $S3RVER_DIR"
      if [[ ! -f "$S3RVER_DIR/node_modules/s3rver/bin/s3rver.js" ]]; then
        npm install --silent --no-save --no-package-lock --no-audit --no-fund \
          --prefix "$S3RVER_DIR" "s3rver@$S3RVER_VERSION" >"$S3RVER_DIR/npm.log" 2>&1 \
          || { cat "$S3RVER_DIR/npm.log" >&2; die "npm install s3rver@$S3RVER_VERSION failed"; }
      fi
    ) 9>"$HELPERS/.s3rver.lock"
  fi
}

# /usr/lib/postgresql/MAJOR on the host -> the chroot's wrappers, unless the host has that major itself.
link_host_binaries() {
  local link="/usr/lib/postgresql/$PG_MAJOR" target="$CHROOT/host/usr/lib/postgresql/$PG_MAJOR"
  [[ -e "$link" && ! -L "$link" ]] && return 0
  [[ "$(readlink "$link" 2>/dev/null)" == "$target" ]] && return 0
  log "linking $link -> $target (PostgreSQL $PG_MAJOR binaries for the host)"
  mkdir -p /usr/lib/postgresql
  ln -sfn "$target" "$link"
}

# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------
write_configs() {
  mkdir -p "$RUN"
  chown postgres:postgres "$RUN"
  chmod 0700 "$RUN"
  as_postgres mkdir -p "$RUN/sock" "$RUN/etcd"
  as_postgres chmod 0700 "$RUN/etcd"

  # Roles beyond Patroni's superuser and replication user (Patroni 3 has no bootstrap.users).
  # Patroni calls this with a connection URL; the password never reaches a command line.
  as_postgres tee "$RUN/post-bootstrap.sh" >/dev/null <<EOF
#!/bin/bash
set -euo pipefail
$PG_BIN/psql -v ON_ERROR_STOP=1 -X -q "\$1" <<'SQL'
CREATE ROLE pgbackup WITH LOGIN REPLICATION PASSWORD '$BACKUP_PASSWORD';
GRANT pg_monitor TO pgbackup;
CREATE ROLE trustrepl WITH LOGIN REPLICATION;
GRANT pg_monitor TO trustrepl;
SQL
EOF
  as_postgres chmod 0700 "$RUN/post-bootstrap.sh"

  # The members serve TLS (self-signed), so sslmode=require/prefer paths are tested for real.
  if [[ ! -f "$RUN/tls/server.crt" ]]; then
    as_postgres mkdir -p "$RUN/tls"
    as_postgres openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$RUN/tls/server.key" -out "$RUN/tls/server.crt" >/dev/null 2>&1
    as_postgres chmod 0600 "$RUN/tls/server.key"
  fi

  # Replicas are built from the repository when it holds a backup (pgbackup create-replica), else
  # by basebackup from the leader: at the first `up` there is no backup, and pgbackup exits non-zero.
  # Not for a chroot major: the host's pgbackup and .NET are not inside the chroot.
  local replica_methods=""
  [[ -n "$CHROOT" ]] || replica_methods="  create_replica_methods: [pgbackup, basebackup]
  pgbackup:
    command: $PGBACKUP create-replica --policy $POLICY"

  local i name nobackup
  for i in "${!MEMBERS[@]}"; do
    name="${MEMBERS[$i]}"
    nobackup=""   # written only when set, as a real deployment would: absent otherwise
    [[ ",${PGBACKUP_SANDBOX_NOBACKUP:-}," == *",$name,"* ]] && nobackup="  nobackup: true"
    as_postgres mkdir -p "$RUN/$name"
    as_postgres chmod 0700 "$RUN/$name"
    [[ -f "$RUN/$name/patroni.yml" ]] && continue   # keep edits (tags) across a second `up`
    as_postgres tee "$RUN/$name/patroni.yml.tmp" >/dev/null <<EOF
scope: $CLUSTER
namespace: /service/
name: $name
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$(rest_port "$i")
  connect_address: 127.0.0.1:$(rest_port "$i")
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    $START_TIMEOUT_KEY: 0
    # Patroni drops replication slots it does not know once it re-reads them (a restart, a
    # demotion); the archiver's slot must survive that (docs/wal-archiving.md).
    ignore_slots:
      - name: pgbackup_$CLUSTER
        type: physical
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        # Room for the fleet test: the archivers of ten clusters (a slot and a walsender each) and their backups.
        max_wal_senders: 40
        max_replication_slots: 40
        wal_keep_size: 256MB
        max_slot_wal_keep_size: 2GB
        hot_standby: 'on'
        wal_log_hints: 'on'
        track_commit_timestamp: 'on'
        archive_mode: 'on'
        archive_command: /bin/true
        shared_buffers: 128MB
        password_encryption: scram-sha-256
        $EXTRA_PARAMETERS
      pg_hba:
        - local all postgres trust
        - local replication postgres trust
        - host replication trustrepl 127.0.0.1/32 trust
        - host all trustrepl 127.0.0.1/32 trust
        - host replication all 127.0.0.1/32 md5
        - host all all 127.0.0.1/32 md5
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  post_bootstrap: $RUN/post-bootstrap.sh
postgresql:
  listen: 127.0.0.1:$(pg_port "$i")
  connect_address: 127.0.0.1:$(pg_port "$i")
  data_dir: $RUN/$name/data
  bin_dir: $PG_BIN
  pgpass: $RUN/$name/pgpass
$replica_methods
  authentication:
    superuser:
      username: postgres
      password: $SUPER_PASSWORD
    replication:
      username: replicator
      password: $REPL_PASSWORD
  parameters:
    unix_socket_directories: $RUN/sock
    ssl: 'on'
    ssl_cert_file: $RUN/tls/server.crt
    ssl_key_file: $RUN/tls/server.key
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
$nobackup
EOF
    as_postgres chmod 0600 "$RUN/$name/patroni.yml.tmp"
    as_postgres mv "$RUN/$name/patroni.yml.tmp" "$RUN/$name/patroni.yml"
  done
}

# ---------------------------------------------------------------------------------------------
# Starting
# ---------------------------------------------------------------------------------------------
# spawn NAME command...: detached (own session), output to logs/NAME.log, pid to pids/NAME.pid.
spawn() {
  local name="$1"; shift
  setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/pids/$name.pid"
}

check_port_free() {
  port_open "$1" && die "port $1 ($2) is already in use by another process; pick another PGBACKUP_SANDBOX_PORT_BASE or stop it"
  return 0
}

start_etcd() {
  alive "$(pidfile_pid "$STATE/pids/etcd.pid")" && return 0
  check_port_free "$ETCD_PORT" etcd; check_port_free "$ETCD_PEER_PORT" "etcd peer"
  log "starting etcd on 127.0.0.1:$ETCD_PORT"
  spawn etcd "${CLUSTER_AS_POSTGRES[@]}" /usr/bin/etcd --name sandbox-etcd --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "sandbox-etcd=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-token "pgbackup-sandbox-$BASE" --initial-cluster-state new
}

etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }

start_member() {
  local i="$1" name="${MEMBERS[$1]}"
  alive "$(pidfile_pid "$STATE/pids/patroni-$name.pid")" && return 0
  check_port_free "$(rest_port "$i")" "Patroni REST of $name"
  log "starting Patroni $name (REST 127.0.0.1:$(rest_port "$i"), PostgreSQL 127.0.0.1:$(pg_port "$i"))"
  spawn "patroni-$name" "${CLUSTER_AS_POSTGRES[@]}" "$PYTHON" /usr/bin/patroni "$RUN/$name/patroni.yml"
}

start_s3() {
  alive "$(pidfile_pid "$STATE/pids/s3rver.pid")" && return 0
  check_port_free "$S3_PORT" s3rver
  mkdir -p "$STATE/s3"
  log "starting s3rver on 127.0.0.1:$S3_PORT"
  NODE_OPTIONS=--openssl-legacy-provider spawn s3rver /usr/bin/env node "$S3RVER_DIR/node_modules/s3rver/bin/s3rver.js" \
    --address 127.0.0.1 --port "$S3_PORT" --no-vhost-buckets --directory "$STATE/s3" --configure-bucket pgbackup
}

s3_healthy() {
  # s3rver answers anonymous requests; the bucket listing proves the bucket exists.
  curl -sf --max-time 3 "http://127.0.0.1:$S3_PORT/pgbackup?list-type=2&max-keys=1" | grep -q '<Name>pgbackup</Name>'
}

# ---------------------------------------------------------------------------------------------
# Cluster state
# ---------------------------------------------------------------------------------------------
cluster_json() {
  local i
  for i in "${!MEMBERS[@]}"; do
    curl -sf --max-time 2 "http://127.0.0.1:$(rest_port "$i")/cluster" && return 0
  done
  return 1
}

cluster_q() { local json; json="$(cluster_json)" || { echo "no Patroni REST API answers"; return 1; }; "$PYTHON" "$HELPERS/cluster.py" "$@" <<<"$json"; }

leader_name() { cluster_q leader; }

# psql_member MEMBER psql-args...: superuser over TCP, password from the environment.
psql_member() {
  local i; i="$(member_index "$1")" || die "unknown member $1 (members: ${MEMBERS[*]})"; shift
  # The cluster's own psql: inside the chroot for a chroot major (bullseye's binaries cannot run on the host).
  local run_psql=("$PG_BIN/psql")
  [[ -z "$CHROOT" ]] || run_psql=("$HELPERS/in-chroot" "$CHROOT" "$RUN" "$PG_BIN/psql")
  PGPASSWORD="$SUPER_PASSWORD" "${run_psql[@]}" -X -h 127.0.0.1 -p "$(pg_port "$i")" -U postgres -d postgres "$@"
}

streaming_count() {
  local leader; leader="$(leader_name)" || { echo "no leader"; return 1; }
  # Still in recovery means promoting (17 with summarize_wal waits for its WAL summarizer first):
  # its cascading replicas stream, but it takes no writes yet. Count none until it does.
  psql_member "$leader" -Atq -c "SELECT CASE WHEN pg_is_in_recovery() THEN -1 ELSE count(*) END FROM pg_stat_replication WHERE state = 'streaming'" 2>&1
}

cluster_healthy() {
  local why n
  why="$(cluster_q healthy "${#MEMBERS[@]}")" || { echo "$why"; return 1; }
  n="$(streaming_count)" || { echo "leader not answering SQL: $n"; return 1; }
  [[ "$n" == $((${#MEMBERS[@]} - 1)) ]] || { echo "$n replicas streaming on the leader"; return 1; }
  echo "$why"
}

write_endpoints() {
  local urls="" ports="" members="" i
  for i in "${!MEMBERS[@]}"; do
    urls+="${urls:+,}http://127.0.0.1:$(rest_port "$i")"
    ports+="${ports:+,}$(pg_port "$i")"
    members+="${members:+,}${MEMBERS[$i]}"
  done
  cat >"$STATE/endpoints.env.tmp" <<EOF
SANDBOX_PATRONI_URLS=$urls
SANDBOX_PG_PORTS=$ports
SANDBOX_MEMBERS=$members
SANDBOX_S3_URL=http://127.0.0.1:$S3_PORT
SANDBOX_S3_ACCESS_KEY=S3RVER
SANDBOX_S3_SECRET_KEY=S3RVER
SANDBOX_S3_BUCKET=pgbackup
SANDBOX_S3_REGION=us-east-1
SANDBOX_REPL_USER=pgbackup
SANDBOX_REPL_PASSWORD=$BACKUP_PASSWORD
SANDBOX_SUPERUSER=postgres
SANDBOX_SUPERUSER_PASSWORD=$SUPER_PASSWORD
SANDBOX_CLUSTER=$CLUSTER
SANDBOX_PG_BIN=$PG_BIN
SANDBOX_PG_MAJOR=$PG_MAJOR
SANDBOX_POLICY=$POLICY
EOF
  chmod 0600 "$STATE/endpoints.env.tmp"
  mv "$STATE/endpoints.env.tmp" "$STATE/endpoints.env"
}

# Secret files for policies/sandbox.yaml and $POLICY (password_file / access_key_file): never
# inline. Group postgres may read them: a restored server runs `pgbackup wal-fetch` as postgres,
# and so does Patroni `pgbackup create-replica`. Written before any member starts.
write_secrets() {
  chmod 0711 "$STATE"
  install -d -m 0750 -g postgres "$STATE/secrets"
  (umask 027
   printf '%s\n' "$BACKUP_PASSWORD" >"$STATE/secrets/pgbackup-password"
   printf '%s\n' S3RVER >"$STATE/secrets/s3-access-key"
   printf '%s\n' S3RVER >"$STATE/secrets/s3-secret-key")
  chgrp postgres "$STATE/secrets/"*
}

write_policy() {
  local urls="" i
  for i in "${!MEMBERS[@]}"; do urls+="${urls:+, }http://127.0.0.1:$(rest_port "$i")"; done
  (umask 027
   cat >"$POLICY.tmp" <<EOF
# Written by scripts/sandbox.sh up: this sandbox's ports and secrets. Patroni's pgbackup replica method uses it.
cluster: $CLUSTER
patroni:
  urls: [$urls]
  timeout: 2s
connection:
  user: pgbackup
  password_file: secrets/pgbackup-password
  sslmode: disable
repository:
  type: s3
  s3:
    bucket: pgbackup
    prefix: sandbox
    endpoint: http://127.0.0.1:$S3_PORT
    access_key_file: secrets/s3-access-key
    secret_key_file: secrets/s3-secret-key
source:
  max_lag: 16MB
  allow_leader: false
EOF
  )
  chgrp postgres "$POLICY.tmp"
  mv "$POLICY.tmp" "$POLICY"
}

print_endpoints() {
  local i
  echo "PgBackup sandbox ($STATE, data in $RUN)"
  echo "  PostgreSQL  $PG_MAJOR${CHROOT:+ (chroot $CHROOT)}"
  echo "  etcd        http://127.0.0.1:$ETCD_PORT"
  for i in "${!MEMBERS[@]}"; do
    echo "  ${MEMBERS[$i]}          Patroni http://127.0.0.1:$(rest_port "$i")  PostgreSQL 127.0.0.1:$(pg_port "$i")"
  done
  echo "  s3rver      http://127.0.0.1:$S3_PORT  bucket pgbackup  (S3RVER/S3RVER)"
  echo "  leader      $(leader_name || echo none)"
  echo "  endpoints   $STATE/endpoints.env"
}

# ---------------------------------------------------------------------------------------------
# Verbs
# ---------------------------------------------------------------------------------------------
cmd_up() {
  local major; major="$(recorded_major)"   # a second `up` without --pg keeps the running major
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --pg) [[ $# -ge 2 ]] || die "--pg needs a major (13, 15, 17 or 18)"; major="$2"; shift 2 ;;
      --pg=*) major="${1#--pg=}"; shift ;;
      *) die "up: unknown argument '$1' (usage: up [--pg 13|15|17|18])" ;;
    esac
  done
  [[ $EUID -eq 0 ]] || die "run as root (PostgreSQL, Patroni and etcd are started as the user postgres)"
  if [[ -f "$STATE/pg-major" && "$(recorded_major)" != "$major" ]]; then
    die "this sandbox ($STATE) runs PostgreSQL $(recorded_major); run scripts/sandbox.sh down before up --pg $major"
  fi
  set_major "$major"
  ensure_packages
  mkdir -p "$STATE/logs" "$STATE/pids"
  chmod 0755 "$STATE"
  echo "$PG_MAJOR" >"$STATE/pg-major"
  resolve_run_dir
  echo "$RUN" >"$STATE/run-dir"
  write_secrets
  write_policy
  write_configs
  start_s3
  start_etcd
  wait_until 30 "etcd on 127.0.0.1:$ETCD_PORT (see $STATE/logs/etcd.log)" etcd_healthy
  local i
  for i in "${!MEMBERS[@]}"; do start_member "$i"; done
  wait_until 30 "s3rver on 127.0.0.1:$S3_PORT (see $STATE/logs/s3rver.log)" s3_healthy
  wait_until "$TIMEOUT" "a leader and $((${#MEMBERS[@]} - 1)) streaming replicas (see $STATE/logs/patroni-*.log)" cluster_healthy
  write_endpoints
  print_endpoints
}

cmd_down() {
  local i name pid pm kids
  if [[ ! -d "$STATE" ]]; then
    log "nothing to stop ($STATE does not exist)"
    return 0
  fi
  resolve_run_dir
  # Patroni first: on SIGTERM it shuts its PostgreSQL down cleanly.
  stop_pids 30 TERM $(for name in "${MEMBERS[@]}"; do pidfile_pid "$STATE/pids/patroni-$name.pid"; done)
  # Then any postmaster still running (Patroni killed, or orphaned): fast shutdown, then kill.
  for name in "${MEMBERS[@]}"; do
    pm="$(pidfile_pid "$RUN/$name/data/postmaster.pid")"
    alive "$pm" || continue
    kids="$(descendants "$pm")"
    stop_pids 20 INT "$pm"
    for pid in $kids; do kill -KILL "$pid" 2>/dev/null || true; done
  done
  # etcd and s3rver last (Patroni needed etcd to hand its leader key back); both take ~2 s.
  stop_pids 15 TERM "$(pidfile_pid "$STATE/pids/etcd.pid")" "$(pidfile_pid "$STATE/pids/s3rver.pid")"
  # Fallback: anything whose command line names this sandbox's directories.
  for pid in $(pids_matching "$RUN/") $(pids_matching "$STATE/"); do
    log "killing leftover pid $pid: $(ps -o args= -p "$pid" 2>/dev/null || true)"
    kids="$(descendants "$pid")"
    kill -KILL "$pid" $kids 2>/dev/null || true
  done
  local port deadline=$((SECONDS + 15)) busy
  while true; do
    busy=""
    for port in $(all_ports); do port_open "$port" && busy+=" $port"; done
    [[ -z "$busy" ]] && break
    ((SECONDS < deadline)) || die "ports still in use after down:$busy"
    sleep 0.5
  done
  [[ "$STATE" != "/" && "$STATE" != "$REPO" ]] || die "refusing to remove $STATE"
  [[ "$RUN" == "$STATE/run" ]] || rm -rf "$RUN"
  rm -rf "$STATE"
  log "stopped; removed $STATE"
}

cmd_status() {
  [[ -d "$STATE" ]] || die "not running ($STATE does not exist); start it with scripts/sandbox.sh up"
  resolve_run_dir
  local rc=0 why
  patronictl list || rc=1
  if s3_healthy; then echo "s3rver: http://127.0.0.1:$S3_PORT healthy (bucket pgbackup)"; else echo "s3rver: http://127.0.0.1:$S3_PORT NOT answering"; rc=1; fi
  if why="$(cluster_healthy)"; then echo "cluster: healthy: $why"; else echo "cluster: NOT healthy: $why"; rc=1; fi
  return $rc
}

patronictl() {
  # Any member's config will do; patronictl only needs the DCS and the REST API.
  "${CLUSTER_AS_POSTGRES[@]}" "$PYTHON" /usr/bin/patronictl -c "$RUN/${MEMBERS[0]}/patroni.yml" "$@"
}

leader_is_not() { local l; l="$(leader_name)" || { echo "no leader"; return 1; }; [[ "$l" != "$1" ]] || { echo "leader is still $l"; return 1; }; echo "$l"; }

cmd_switchover() {
  resolve_run_dir
  local leader candidate new
  leader="$(leader_name)" || die "no leader to switch over from"
  candidate="$(cluster_q replicas | sed -n 1p)"   # sed reads everything: no SIGPIPE for the python side
  [[ -n "$candidate" ]] || die "no replica to switch over to"
  log "switchover $leader -> $candidate"
  patronictl switchover "$SWITCHOVER_FROM" "$leader" --candidate "$candidate" --force "$CLUSTER" >&2
  wait_until "$TIMEOUT" "a leader other than $leader" leader_is_not "$leader"
  wait_until "$TIMEOUT" "$leader to rejoin as a streaming replica" cluster_healthy
  new="$(leader_name)"
  log "new leader $new"
  echo "$new"
}

cmd_failover() {
  resolve_run_dir
  local leader pm new
  leader="$(leader_name)" || die "no leader to fail"
  pm="$(pidfile_pid "$RUN/$leader/data/postmaster.pid")"
  alive "$pm" || die "the postmaster of $leader is not running (no live pid in $RUN/$leader/data/postmaster.pid)"
  log "kill -9 postmaster of leader $leader (pid $pm)"
  kill -KILL "$pm"
  wait_until "$TIMEOUT" "a new leader (not $leader)" leader_is_not "$leader"
  new="$(leader_name)"
  log "new leader $new; waiting for $leader to rejoin"
  wait_until "$TIMEOUT" "$leader to rejoin as a streaming replica (pg_rewind)" cluster_healthy
  log "healthy again: $(cluster_healthy)"
  echo "$new"
}

# Returns once there is a leader and every other member streams from it (after a test's own failover).
cmd_wait_healthy() {
  [[ -d "$STATE" ]] || die "not running ($STATE does not exist); start it with scripts/sandbox.sh up"
  resolve_run_dir
  wait_until "$TIMEOUT" "a leader and $((${#MEMBERS[@]} - 1)) streaming replicas (see $STATE/logs/patroni-*.log)" cluster_healthy
  cluster_healthy
}

cmd_psql() {
  resolve_run_dir
  local target
  if [[ $# -gt 0 ]] && member_index "$1" >/dev/null; then
    target="$1"; shift
  else
    target="$(leader_name)" || die "no leader; name a member (${MEMBERS[*]})"
  fi
  psql_member "$target" "$@"
}

usage() {
  echo "usage: $0 up [--pg 13|15|17|18]|down|status|switchover|failover|wait-healthy|psql [member] [psql args]|patronictl [args]" >&2
  exit 2
}

verb="${1:-}"
[[ $# -gt 0 ]] && shift
[[ "$verb" == up ]] || set_major "$(recorded_major)"
case "$verb" in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  switchover) cmd_switchover ;;
  failover) cmd_failover ;;
  wait-healthy) cmd_wait_healthy ;;
  psql) cmd_psql "$@" ;;
  patronictl) resolve_run_dir; patronictl "$@" ;;
  *) usage ;;
esac
