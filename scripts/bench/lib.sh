# Functions of scripts/bench.sh: sandbox wiring, data sets, one measured run per tool, the report.
# shellcheck shell=bash

log() { echo "bench: $*" >&2; }
die() { echo "error: bench: $*" >&2; exit 1; }

as_postgres() { "${AS_POSTGRES[@]}" "$@"; }

sql() { # sql PORT DB SQL... (superuser, quiet, unaligned)
  local port=$1 db=$2; shift 2
  PGPASSWORD="$SANDBOX_SUPERUSER_PASSWORD" psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

load_endpoints() {
  # shellcheck disable=SC1091
  source "$PGBACKUP_SANDBOX_DIR/endpoints.env"
  RUN="$(cat "$PGBACKUP_SANDBOX_DIR/run-dir")"
  IFS=, read -r -a PORTS <<<"$SANDBOX_PG_PORTS"
  IFS=, read -r -a NAMES <<<"$SANDBOX_MEMBERS"
  local i
  for i in "${!PORTS[@]}"; do
    if [[ "$(sql "${PORTS[$i]}" postgres -c 'SELECT pg_is_in_recovery()')" == f ]]; then
      LEADER="${NAMES[$i]}" LEADER_PORT="${PORTS[$i]}"
    fi
  done
  [[ -n "${LEADER:-}" ]] || die "no leader found"
}

# The replica PgBackup chooses is the one every tool backs up from.
choose_replica() {
  local json
  json="$("$BENCH/pgbackup/pgbackup" cluster --policy "$BENCH/local.yaml" --json)"
  REPLICA="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["source"])' <<<"$json")"
  local i
  for i in "${!NAMES[@]}"; do [[ "${NAMES[$i]}" == "$REPLICA" ]] && REPLICA_PORT="${PORTS[$i]}"; done
  log "leader $LEADER ($LEADER_PORT), source replica $REPLICA ($REPLICA_PORT)"
}

write_policies() {
  mkdir -p "$BENCH/secrets"
  printf '%s\n' "$SANDBOX_REPL_PASSWORD" >"$BENCH/secrets/password"
  printf '%s\n' "$SANDBOX_S3_ACCESS_KEY" >"$BENCH/secrets/s3-access"
  printf '%s\n' "$SANDBOX_S3_SECRET_KEY" >"$BENCH/secrets/s3-secret"
  chmod 600 "$BENCH/secrets/"*
  local common
  common="cluster: bench
patroni:
  urls: [${SANDBOX_PATRONI_URLS//,/, }]
connection:
  user: $SANDBOX_REPL_USER
  password_file: $BENCH/secrets/password
  sslmode: disable"
  printf '%s\nrepository:\n  type: local\n  path: %s\nbackup:\n  compression: server\n' "$common" "$BENCH/repo-local" >"$BENCH/local.yaml"
  printf '%s\nrepository:\n  type: local\n  path: %s\nbackup:\n  compression: client\n' "$common" "$BENCH/repo-client" >"$BENCH/client.yaml"
  printf '%s\nrepository:\n  type: s3\n  s3:\n    bucket: %s\n    prefix: bench\n    endpoint: %s\n    access_key_file: %s\n    secret_key_file: %s\n' \
    "$common" "$SANDBOX_S3_BUCKET" "$SANDBOX_S3_URL" "$BENCH/secrets/s3-access" "$BENCH/secrets/s3-secret" >"$BENCH/s3.yaml"
  choose_replica
}

# pgBackRest as its users run it: WAL archived by archive_command, backups from the standby.
configure_pgbackrest() {
  local dir="$BENCH/pgbackrest"
  rm -rf "$dir" && mkdir -p "$dir"/{repo,lock,log,spool}
  cat >"$dir/pgbackrest.conf" <<CONF
[global]
repo1-path=$dir/repo
lock-path=$dir/lock
log-path=$dir/log
spool-path=$dir/spool
compress-type=zst
compress-level=3
process-max=2
start-fast=y
backup-standby=y
log-level-console=warn
log-level-file=off

[bench]
pg1-path=$RUN/$LEADER/data
pg1-port=$LEADER_PORT
pg1-socket-path=$RUN/sock
pg2-path=$RUN/__REPLICA__/data
pg2-port=__REPLICA_PORT__
pg2-socket-path=$RUN/sock
CONF
  chown -R postgres:postgres "$dir"
  chmod 755 "$BENCH"
  PGBACKREST=(pgbackrest --config="$dir/pgbackrest.conf" --stanza=bench)
}

# Called once the replica is known (policies written).
finish_pgbackrest_config() {
  sed -i "s|__REPLICA__|$REPLICA|; s|__REPLICA_PORT__|$REPLICA_PORT|" "$BENCH/pgbackrest/pgbackrest.conf"
  patronictl_bench edit-config --force -s "postgresql.parameters.archive_command=pgbackrest --config=$BENCH/pgbackrest/pgbackrest.conf --stanza=bench archive-push %p" >/dev/null
  sleep 3 # Patroni reloads members on its next loop
  as_postgres "${PGBACKREST[@]}" stanza-create
  as_postgres "${PGBACKREST[@]}" check
}

patronictl_bench() { as_postgres /usr/bin/python3 /usr/bin/patronictl -c "$RUN/${NAMES[0]}/patroni.yml" "$@"; }

wait_replayed() {
  local target
  target="$(sql "$LEADER_PORT" postgres -c 'SELECT pg_current_wal_lsn()')"
  for _ in $(seq 1 600); do
    [[ "$(sql "$REPLICA_PORT" postgres -c "SELECT pg_last_wal_replay_lsn() >= '$target'")" == t ]] && return 0
    sleep 0.5
  done
  die "replica $REPLICA did not replay up to $target"
}

load_data_set() {
  case "$1" in
    pgbench)
      sql "$LEADER_PORT" postgres -c "CREATE DATABASE bench_pgbench"
      PGPASSWORD="$SANDBOX_SUPERUSER_PASSWORD" "$PG_BIN/pgbench" -q -i -s "${BENCH_PGBENCH_SCALE:-100}" -h 127.0.0.1 -p "$LEADER_PORT" -U postgres bench_pgbench >/dev/null 2>&1
      sql "$LEADER_PORT" bench_pgbench -c "VACUUM (FREEZE, ANALYZE)" ;;
    md5)
      sql "$LEADER_PORT" postgres -c "CREATE DATABASE bench_md5"
      sql "$LEADER_PORT" bench_md5 -c "CREATE TABLE t AS SELECT i, md5(i::text) a, md5((i + 1)::text) b, md5((i + 2)::text) c, now() - i * interval '1 second' AS created FROM generate_series(1, ${BENCH_MD5_ROWS:-10000000}) i" \
        -c "VACUUM (FREEZE, ANALYZE) t" ;;
    rels)
      # Many small relations (a schema-per-tenant cluster): each table a heap, a primary key, and after
      # VACUUM a free space and a visibility map, and a TOAST table with its index: about 7 files per table. Committed in
      # batches: one transaction would need a lock per table beyond max_locks_per_transaction.
      sql "$LEADER_PORT" postgres -c "CREATE DATABASE bench_rels"
      sql "$LEADER_PORT" bench_rels -c "DO \$\$ BEGIN FOR t IN 1..${BENCH_RELS_TABLES:-10000} LOOP
          EXECUTE format('CREATE TABLE r%s (id int PRIMARY KEY, v text)', t);
          EXECUTE format('INSERT INTO r%s SELECT i, md5(i::text) FROM generate_series(1, 100) i', t);
          IF t % 500 = 0 THEN COMMIT; END IF;
        END LOOP; END \$\$" -c "VACUUM (FREEZE, ANALYZE)" ;;
    *) die "unknown data set $1" ;;
  esac
  sql "$LEADER_PORT" postgres -c "CHECKPOINT"
  wait_replayed
  sql "$REPLICA_PORT" postgres -c "CHECKPOINT"
  DATA_BYTES="$(du -sb --exclude=pg_wal "$RUN/$REPLICA/data" | cut -f1)"
  echo "$DATA_BYTES" >"$BENCH/results/$1.data_bytes"
  log "data set $1: data directory $((DATA_BYTES / 1048576)) MiB"
}

drop_data_set() {
  sql "$LEADER_PORT" postgres -c "DROP DATABASE bench_$1"
  sql "$LEADER_PORT" postgres -c "CHECKPOINT"
  wait_replayed
}

warm_cache() { find "$RUN/$REPLICA/data" -type f -exec cat {} + >/dev/null; }

# CPU ticks used by the sandbox's PostgreSQL processes, including children that have exited.
server_ticks() {
  python3 - "$RUN" <<'PY'
import os, sys
run = sys.argv[1]
total = 0
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        cmd = open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\0', b' ').decode()
        if run not in cmd or 'postgres' not in cmd.split(' ')[0]:
            continue
        f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    except (FileNotFoundError, ProcessLookupError, IndexError):
        pass
print(total)
PY
}

# Bytes the source replica's processes that have exited read (rchar, page cache included): its
# postmaster's /proc io counts its reaped children, such as the walsenders a backup ran on.
source_read_bytes() {
  awk '$1 == "rchar:" { print $2 }' "/proc/$(head -1 "$RUN/$REPLICA/data/postmaster.pid")/io"
}

# measure SET TOOL RUN -- COMMAND...: wall, client CPU and peak RSS from /usr/bin/time -v; server CPU
# and the source replica's reads from /proc.
measure() {
  local set=$1 tool=$2 run=$3; shift 4
  local f="$BENCH/results/$set.$tool.$run" before after read_before
  before="$(server_ticks)"
  read_before="$(source_read_bytes)"
  if ! /usr/bin/time -v -o "$f.time" "$@" >"$f.out" 2>&1; then
    cat "$f.out" >&2
    die "$tool failed on $set (run $run)"
  fi
  after="$(server_ticks)"
  echo $((after - before)) >"$f.server_ticks"
  echo $(($(source_read_bytes) - read_before)) >"$f.source_read"
}

bench_pgbackup_backup() {
  rm -rf "$BENCH/repo-local"
  measure "$1" pgbackup "$2" -- "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/local.yaml"
  du -sb "$BENCH/repo-local" | cut -f1 >"$BENCH/results/$1.pgbackup.$2.stored"
}

bench_pgbackup_client_backup() {
  rm -rf "$BENCH/repo-client"
  measure "$1" pgbackup-client "$2" -- "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/client.yaml"
  du -sb "$BENCH/repo-client" | cut -f1 >"$BENCH/results/$1.pgbackup-client.$2.stored"
}

bench_pgbackup_backup_s3() {
  measure "$1" pgbackup-s3 1 -- "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/s3.yaml"
  "$BENCH/pgbackup/pgbackup" info latest --policy "$BENCH/s3.yaml" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["storedSize"])' >"$BENCH/results/$1.pgbackup-s3.1.stored"
}

bench_pgbackrest_backup() {
  [[ -n "${PGBACKREST_READY:-}" ]] || { finish_pgbackrest_config; PGBACKREST_READY=1; }
  measure "$1" pgbackrest "$2" -- "${AS_POSTGRES[@]}" "${PGBACKREST[@]}" --type=full backup
  local label
  label="$(as_postgres "${PGBACKREST[@]}" info --output=json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backup"][-1]["label"])')"
  du -sb "$BENCH/pgbackrest/repo/backup/bench/$label" | cut -f1 >"$BENCH/results/$1.pgbackrest.$2.stored"
}

bench_basebackup() {
  local dir="$BENCH/basebackup"
  rm -rf "$dir"
  measure "$1" pg_basebackup "$2" -- env PGPASSWORD="$SANDBOX_REPL_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$REPLICA_PORT" \
    -U "$SANDBOX_REPL_USER" -D "$dir" -Ft -X stream -c fast --compress=server-zstd:level=3,workers=2
  du -sb "$dir" | cut -f1 >"$BENCH/results/$1.pg_basebackup.$2.stored"
}

# fresh_dir DIR: removes an earlier restore into DIR, then waits BENCH_SETTLE_S (default 35 s, past
# vm.dirty_expire_centisecs): ext4 without a journal skips inodes deleted within that window when it
# allocates new ones, which slows whatever creates many files next. Every restore starts settled.
fresh_dir() {
  [[ -e "$1" ]] || return 0
  rm -rf "$1"
  sync
  sleep "${BENCH_SETTLE_S:-35}"
}

# start_timed SET TOOL RUN PGDATA PORT: seconds from pg_ctl start until it accepts connections.
start_timed() {
  local f="$BENCH/results/$1.$2.$3"
  chown -R postgres:postgres "$4"
  local t0 t1
  t0=$(date +%s.%N)
  install -d -o postgres -g postgres "$BENCH/pglogs"
  as_postgres "$PG_BIN/pg_ctl" -D "$4" -l "$BENCH/pglogs/$(basename "$4").log" -w -t 300 -o "-p $5" start >/dev/null
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.2f}')" >"$f.start_seconds"
  as_postgres "$PG_BIN/pg_ctl" -D "$4" -m fast stop >/dev/null
}

bench_pgbackup_restore() {
  local dir="$BENCH/restore-pgbackup"
  fresh_dir "$dir"
  measure "$1" pgbackup-restore "$2" -- "$BENCH/pgbackup/pgbackup" restore --policy "$BENCH/local.yaml" --backup latest --pgdata "$dir" --port 15998
  start_timed "$1" pgbackup-restore "$2" "$dir" 15998
}

bench_pgbackup_client_restore() {
  local dir="$BENCH/restore-pgbackup-client"
  fresh_dir "$dir"
  measure "$1" pgbackup-client-restore "$2" -- "$BENCH/pgbackup/pgbackup" restore --policy "$BENCH/client.yaml" --backup latest --pgdata "$dir" --port 15996
  start_timed "$1" pgbackup-client-restore "$2" "$dir" 15996
}

bench_pgbackrest_restore() {
  local dir="$BENCH/restore-pgbackrest"
  fresh_dir "$dir" && mkdir -p "$dir" && chown postgres:postgres "$dir" && chmod 700 "$dir"
  measure "$1" pgbackrest-restore "$2" -- "${AS_POSTGRES[@]}" "${PGBACKREST[@]}" --pg1-path="$dir" --type=immediate --target-action=promote \
    --recovery-option=port=15997 --recovery-option=primary_conninfo= restore
  start_timed "$1" pgbackrest-restore "$2" "$dir" 15997
}

# Starts `pgbackup serve` (its log results/$1.serve.log) with one policy whose archiver streams into a fresh $BENCH/repo-stream; sets SERVE.
start_serve_archiver() {
  rm -rf "$BENCH/repo-stream" "$BENCH/serve-policies" "$BENCH/serve.db" && mkdir -p "$BENCH/serve-policies"
  sed "s|$BENCH/repo-local|$BENCH/repo-stream|" "$BENCH/local.yaml" >"$BENCH/serve-policies/bench.yaml"
  "$BENCH/pgbackup/pgbackup" serve --policies "$BENCH/serve-policies" --urls http://127.0.0.1:15981 --storage "sqlite:$BENCH/serve.db" >"$BENCH/results/$1.serve.log" 2>&1 &
  SERVE=$!
  sleep 8
}

# Stops serve, noting its peak RSS (KiB) in results/$1.
stop_serve() {
  awk '/^VmHWM/ {print $2}' "/proc/$SERVE/status" >"$BENCH/results/$1"
  kill "$SERVE" && wait "$SERVE" || true
}

# The probe's database and table (wal_latency.py), on whichever member leads.
create_probe_table() {
  [[ "$(sql "$LEADER_PORT" postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'bench_wal'")" == 1 ]] ||
    sql "$LEADER_PORT" postgres -c "CREATE DATABASE bench_wal"
  sql "$LEADER_PORT" bench_wal -c "CREATE TABLE IF NOT EXISTS probe (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())"
}

# WAL: commit-to-repository delay under pgbench -c 8, streaming archiver vs archive_command.
bench_wal_latency() {
  create_probe_table
  PGPASSWORD="$SANDBOX_SUPERUSER_PASSWORD" "$PG_BIN/pgbench" -q -i -s 10 -h 127.0.0.1 -p "$LEADER_PORT" -U postgres bench_wal >/dev/null 2>&1
  rm -rf "$BENCH/repo-push" && mkdir -p "$BENCH/repo-push"
  sed "s|$BENCH/repo-local|$BENCH/repo-push|" "$BENCH/local.yaml" >"$BENCH/walpush.yaml"
  chown -R postgres:postgres "$BENCH/repo-push" && chmod 644 "$BENCH/walpush.yaml" && chmod 755 "$BENCH/secrets" && chmod 644 "$BENCH/secrets/password"
  patronictl_bench edit-config --force \
    -s "postgresql.parameters.archive_command=$BENCH/pgbackup/pgbackup wal-push %p --policy $BENCH/walpush.yaml" \
    -s "postgresql.parameters.archive_timeout=60" >/dev/null
  sleep 3
  start_serve_archiver wal
  PGPASSWORD="$SANDBOX_SUPERUSER_PASSWORD" "$PG_BIN/pgbench" -c 8 -j 2 -T "${BENCH_WAL_SECONDS:-60}" -h 127.0.0.1 -p "$LEADER_PORT" -U postgres bench_wal >"$BENCH/results/wal.pgbench" 2>&1 &
  local load=$!
  python3 "$REPO/scripts/bench/wal_latency.py" "$LEADER_PORT" "$SANDBOX_SUPERUSER_PASSWORD" http://127.0.0.1:15981/api/status \
    "$BENCH/repo-push" "${BENCH_WAL_SECONDS:-60}" >"$BENCH/results/wal.latency.json"
  wait "$load" || true
  stop_serve wal.serve_rss_kib
  log "WAL latency: $(cat "$BENCH/results/wal.latency.json")"
}

# WAL through leader changes: the streaming archiver's commit-to-repository delay across a
# switchover and a kill -9 failover, probe only (a load would stop at each change). Runs last by
# default: the leader is another member afterwards.
bench_wal_failover() {
  create_probe_table
  start_serve_archiver wal.failover
  python3 "$REPO/scripts/bench/wal_latency.py" "$SANDBOX_PG_PORTS" "$SANDBOX_SUPERUSER_PASSWORD" http://127.0.0.1:15981/api/status \
    - "${BENCH_WAL_FAILOVER_SECONDS:-60}" "$SANDBOX" >"$BENCH/results/wal.failover.json"
  stop_serve wal.failover.serve_rss_kib
  load_endpoints
  log "WAL latency through a switchover and a failover: $(cat "$BENCH/results/wal.failover.json")"
}

write_report() {
  python3 "$REPO/scripts/bench/report.py" "$BENCH/results" "$RUNS" "$SETS" "$0 (BENCH_RUNS=$RUNS BENCH_SETS='$SETS')"
}
