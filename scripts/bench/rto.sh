# Recovery time objective, end to end (sourced by scripts/bench.sh; data set name "rto"). After a full
# backup by each tool, at least 1 GiB of WAL is written (every pgbench_accounts row updated), and the
# time just after it is the target. Measured: from the restore command until a server that recovered
# to that time accepts connections as a primary — PgBackup `restore --time T --start`, pgBackRest
# `restore --type=time` (archive-get with archive-async=y) then pg_ctl start until promoted.

rto_wait_archived() { # rto_wait_archived SEGMENT: both archives hold it
  local tli=${1:0:8} pgbackrest_dir="$BENCH/pgbackrest/repo/archive/bench"
  for _ in $(seq 1 600); do
    if [[ -f "$BENCH/repo-rto/bench/wal/$tli/$1.zst" ]] && compgen -G "$pgbackrest_dir/*/${1:0:16}/$1-*" >/dev/null; then return 0; fi
    sleep 0.5
  done
  die "segment $1 was not archived by both tools within 300 s"
}

# pgBackRest's restore, start, and wait until the server is promoted: one command for measure.
rto_pgbackrest() { # rto_pgbackrest TARGET DIR PORT
  as_postgres "${PGBACKREST[@]}" --pg1-path="$2" --type=time --target="$1" --target-action=promote \
    --recovery-option=port="$3" --recovery-option=primary_conninfo= restore
  as_postgres "$PG_BIN/pg_ctl" -D "$2" -l "$BENCH/pglogs/rto-pgbackrest.log" -w -t 900 -o "-p $3" start >/dev/null
  for _ in $(seq 1 3600); do
    [[ "$(sql "$3" postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" == f ]] && return 0
    sleep 0.25
  done
  return 1
}

bench_rto() {
  [[ -n "${PGBACKREST_READY:-}" ]] || { finish_pgbackrest_config; PGBACKREST_READY=1; }
  # The WAL latency set points archive_command elsewhere: pgBackRest must archive this set's WAL.
  patronictl_bench edit-config --force -s "postgresql.parameters.archive_command=pgbackrest --config=$BENCH/pgbackrest/pgbackrest.conf --stanza=bench archive-push %p" >/dev/null
  grep -q '^\[global:archive-get\]' "$BENCH/pgbackrest/pgbackrest.conf" ||
    printf '\n[global:archive-get]\narchive-async=y\n' >>"$BENCH/pgbackrest/pgbackrest.conf"
  sed "s|$BENCH/repo-local|$BENCH/repo-rto|" "$BENCH/local.yaml" >"$BENCH/rto.yaml"
  rm -rf "$BENCH/repo-rto"
  log "data set rto: loading pgbench"
  load_data_set pgbench
  "$BENCH/pgbackup/pgbackup" archive --policy "$BENCH/rto.yaml" >"$BENCH/results/rto.archive.log" 2>&1 &
  local archiver=$!
  "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/rto.yaml" >/dev/null
  as_postgres "${PGBACKREST[@]}" --type=full backup

  log "data set rto: writing WAL"
  local before after target segment
  before="$(sql "$LEADER_PORT" postgres -c 'SELECT pg_current_wal_lsn()')"
  sql "$LEADER_PORT" bench_pgbench -c "UPDATE pgbench_accounts SET abalance = abalance + 1" >/dev/null
  after="$(sql "$LEADER_PORT" postgres -c 'SELECT pg_current_wal_lsn()')"
  sql "$LEADER_PORT" postgres -c "SELECT pg_wal_lsn_diff('$after', '$before')" >"$BENCH/results/rto.wal_bytes"
  sleep 1
  target="$(sql "$LEADER_PORT" postgres -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')")"
  sleep 1
  sql "$LEADER_PORT" bench_pgbench -c "UPDATE pgbench_branches SET bbalance = bbalance + 1" >/dev/null
  segment="$(sql "$LEADER_PORT" postgres -c 'SELECT pg_walfile_name(pg_switch_wal())')"
  rto_wait_archived "$segment"
  log "data set rto: $(( $(cat "$BENCH/results/rto.wal_bytes" | cut -d. -f1) / 1048576 )) MiB of WAL up to $target"

  install -d -o postgres -g postgres "$BENCH/pglogs"
  local dir="$BENCH/restore-rto"
  rm -rf "$dir"
  measure rto pgbackup 1 -- "$BENCH/pgbackup/pgbackup" restore --policy "$BENCH/rto.yaml" --time "${target/ /T}:00" --pgdata "$dir" --port 15993 --start
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m fast stop >/dev/null
  rm -rf "$dir" && mkdir -p "$dir" && chown postgres:postgres "$dir" && chmod 700 "$dir"
  # measure times a command, not a function: the function goes along as its definition.
  measure rto pgbackrest 1 -- bash -c "$(declare -p PGBACKREST AS_POSTGRES PG_BIN BENCH SANDBOX_SUPERUSER_PASSWORD; declare -f sql as_postgres rto_pgbackrest); rto_pgbackrest \"\$@\"" \
    rto-pgbackrest "$target" "$dir" 15992
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m fast stop >/dev/null
  rm -rf "$dir"
  kill "$archiver" && wait "$archiver" || true
  drop_data_set pgbench
}
