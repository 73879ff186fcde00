# Incremental backups on the pgbench set (sourced by scripts/bench.sh; data set name "incr").
# After a full backup, 1% of pgbench_accounts rows in one contiguous aid range are updated and an
# incremental is taken, six times over (each change a new range); then the chain of seven is
# restored and compared with the restore of a full of the same data; then 1% of random rows.
# After the same changes in the same run, the rival takes its own: on 15 pgBackRest's --type=incr;
# on 17+ (native incrementals, which pgBackRest 2.45 predates) PgBackup's block-level incrementals.

incr_policy() {
  sed "s|$BENCH/repo-client|$BENCH/repo-incr|" "$BENCH/client.yaml" >"$BENCH/incr.yaml"
  rm -rf "$BENCH/repo-incr" "$BENCH/repo-incr-block"
  [[ "$BENCH_PG" != 15 ]] || return 0
  sed "s|$BENCH/repo-client|$BENCH/repo-incr-block|" "$BENCH/client.yaml" >"$BENCH/incr-block.yaml"
  echo "  native_incremental: off" >>"$BENCH/incr-block.yaml" # backup: is the policy's last section
}

# incr_stored POLICY REPOSITORY RESULT: the newest backup's own folder size (what it added to the
# repository) and its format (native-incremental or client-chunks).
incr_stored() {
  local id
  id="$("$BENCH/pgbackup/pgbackup" list --policy "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')"
  du -sb "$2/bench/backups/$id" | cut -f1 >"$BENCH/results/$3.stored"
  zstd -dcq "$2/bench/backups/$id/manifest.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])' >"$BENCH/results/$3.format"
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

incr_backup_pair() { # incr_backup_pair NAME TYPE: PgBackup then the rival, after the same change
  measure incr "pgbackup-$1" 1 -- "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/incr.yaml" --type "$2"
  incr_stored "$BENCH/incr.yaml" "$BENCH/repo-incr" "incr.pgbackup-$1.1"
  if [[ "$BENCH_PG" == 15 ]]; then
    measure incr "pgbackrest-$1" 1 -- "${AS_POSTGRES[@]}" "${PGBACKREST[@]}" --type="$2" backup
    pgbackrest_stored "incr.pgbackrest-$1.1"
  else
    measure incr "block-$1" 1 -- "$BENCH/pgbackup/pgbackup" backup --policy "$BENCH/incr-block.yaml" --type "$2"
    incr_stored "$BENCH/incr-block.yaml" "$BENCH/repo-incr-block" "incr.block-$1.1"
  fi
}

incr_restore() { # incr_restore NAME ID
  local dir="$BENCH/restore-incr"
  rm -rf "$dir"
  measure incr "$1" 1 -- "$BENCH/pgbackup/pgbackup" restore --policy "$BENCH/incr.yaml" --backup "$2" --pgdata "$dir" --port 15995
  rm -rf "$dir"
}

bench_incremental() {
  [[ "$BENCH_PG" != 15 || -n "${PGBACKREST_READY:-}" ]] || { finish_pgbackrest_config; PGBACKREST_READY=1; }
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
