# Incremental backups on the pgbench set (sourced by scripts/bench.sh; data set name "incr").
# After a full backup, 1% of pgbench_accounts rows in one contiguous aid range are updated and an
# incremental is taken, six times over (each change a new range); then the chain of seven is
# restored and compared with the restore of a full of the same data; then 1% of random rows.
# pgBackRest's --type=incr is taken after the same changes in the same run.

incr_policy() {
  sed "s|$BENCH/repo-client|$BENCH/repo-incr|" "$BENCH/client.yaml" >"$BENCH/incr.yaml"
  rm -rf "$BENCH/repo-incr"
}

# The newest backup's own folder size (what the backup added to the repository).
incr_stored() {
  local id
  id="$("$BENCH/pgbackup/pgbackup" list --policy "$BENCH/incr.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')"
  du -sb "$BENCH/repo-incr/bench/backups/$id" | cut -f1 >"$BENCH/results/$1.stored"
}

pgbackrest_stored() {
  local label
  label="$(as_postgres "${PGBACKREST[@]}" info --output=json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backup"][-1]["label"])')"
  du -sb "$BENCH/pgbackrest/repo/backup/bench/$label" | cut -f1 >"$BENCH/results/$1.stored"
}

# incr_change contiguous|random N: updates 1% of the accounts, as a range starting at row N or at random.
incr_change() {
  local rows
  rows="$(sql "$LEADER_PORT" bench_pgbench -c 'SELECT count(*) FROM pgbench_accounts')"
  if [[ "$1" == contiguous ]]; then
    sql "$LEADER_PORT" bench_pgbench -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid > $2 AND aid <= $2 + $rows / 100" >/dev/null
  else
    sql "$LEADER_PORT" bench_pgbench -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid IN (SELECT 1 + (random() * ($rows - 1))::int FROM generate_series(1, $rows / 100))" >/dev/null
  fi
  sql "$LEADER_PORT" postgres -c "CHECKPOINT" >/dev/null
  wait_replayed
  sql "$REPLICA_PORT" postgres -c "CHECKPOINT" >/dev/null
  warm_cache
}

incr_backup_pair() { # incr_backup_pair NAME TYPE: PgBackup then pgBackRest, after the same change
  measure incr "pgbackup-$1" 1 -- "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/incr.yaml" --type "$2"
  incr_stored "incr.pgbackup-$1.1"
  measure incr "pgbackrest-$1" 1 -- "${AS_POSTGRES[@]}" "${PGBACKREST[@]}" --type="$2" backup
  pgbackrest_stored "incr.pgbackrest-$1.1"
}

incr_restore() { # incr_restore NAME ID
  local dir="$BENCH/restore-incr"
  rm -rf "$dir"
  measure incr "$1" 1 -- "$BENCH/pgbackup/pgbackup" restore --policy "$BENCH/incr.yaml" --backup "$2" --pgdata "$dir" --port 15995
  rm -rf "$dir"
}

bench_incremental() {
  [[ -n "${PGBACKREST_READY:-}" ]] || { finish_pgbackrest_config; PGBACKREST_READY=1; }
  incr_policy
  log "data set incr: loading pgbench"
  load_data_set pgbench
  cp "$BENCH/results/pgbench.data_bytes" "$BENCH/results/incr.data_bytes"
  warm_cache
  incr_backup_pair full full
  local rows
  rows="$(sql "$LEADER_PORT" bench_pgbench -c 'SELECT count(*) FROM pgbench_accounts')"
  for n in 1 2 3 4 5 6; do
    log "data set incr: contiguous change $n"
    incr_change contiguous $(( (n - 1) * rows / 100 ))
    incr_backup_pair "incr$n" incr
  done
  local chain
  chain="$("$BENCH/pgbackup/pgbackup" list --policy "$BENCH/incr.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')"
  incr_restore chain-restore "$chain"
  measure incr pgbackup-refull 1 -- "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/incr.yaml" --type full
  incr_restore full-restore latest
  log "data set incr: random change"
  incr_change random 0
  incr_backup_pair random incr
  drop_data_set pgbench
}
