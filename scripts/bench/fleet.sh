# The fleet set of scripts/bench.sh: what one `serve` instance costs per archiver it hosts, and how
# many backups an hour two instances finish. The fleet is the bench cluster under N names, each
# with its own local repository and archiver slot: to serve they are N clusters (N leases,
# archivers, schedules), and N real clusters would not fit on the machine beside the rival tools.
# shellcheck shell=bash

# fleet_policies DIR COUNT CRON: COUNT policies, fleet1..fleetCOUNT, all on CRON, not spread.
fleet_policies() {
  rm -rf "$1" && mkdir -p "$1"
  local i
  for i in $(seq 1 "$2"); do
    sed -e "s|^cluster: bench|cluster: fleet$i|" -e "s|$BENCH/repo-local|$BENCH/fleet/repo-$i|" "$BENCH/local.yaml" >"$1/fleet$i.yaml"
    printf 'schedules:\n  full: "%s"\n  jitter: 0s\n' "$3" >>"$1/fleet$i.yaml"
  done
}

drop_fleet_slots() {
  local port
  for port in "${PORTS[@]}"; do
    sql "$port" postgres -c "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name LIKE 'pgbackup_fleet%' AND NOT active" >/dev/null || true
  done
}

# streaming_archivers URL: how many clusters the instance at URL archives right now.
streaming_archivers() {
  curl -fsS "$1/api/status" | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["clusters"] if (c.get("archiver") or {}).get("state") == "streaming"))'
}

bench_fleet() {
  rm -rf "$BENCH/fleet" && mkdir -p "$BENCH/fleet"
  # Something to back up: pgbench at scale 10 (about 160 MB) beside whatever the other sets left.
  sql "$LEADER_PORT" postgres -c "DROP DATABASE IF EXISTS bench_fleet" -c "CREATE DATABASE bench_fleet"
  PGPASSWORD="$SANDBOX_SUPERUSER_PASSWORD" "$PG_BIN/pgbench" -q -i -s 10 -h 127.0.0.1 -p "$LEADER_PORT" -U postgres bench_fleet >/dev/null 2>&1
  sql "$LEADER_PORT" postgres -c "CHECKPOINT" >/dev/null
  sql "$LEADER_PORT" postgres -c "SELECT sum(pg_database_size(datname)) FROM pg_database" >"$BENCH/results/fleet.data_bytes"

  # Memory: one instance hosting n archivers, resident once all stream and have settled.
  local n pid url=http://127.0.0.1:15982
  for n in 1 10 30; do
    fleet_policies "$BENCH/fleet/policies-$n" "$n" "0 0 1 1 *"
    "$BENCH/pgbackup/pgbackup" serve --policies "$BENCH/fleet/policies-$n" --urls "$url" --storage "sqlite:$BENCH/fleet/memory-$n.db" >"$BENCH/results/fleet.memory-$n.log" 2>&1 &
    pid=$!
    local waited=0
    until [[ "$(streaming_archivers "$url" 2>/dev/null || echo 0)" == "$n" ]]; do
      sleep 1; waited=$((waited + 1))
      ((waited < 120)) || die "fleet: $n archivers did not all stream within 120 s (results/fleet.memory-$n.log)"
    done
    sleep 30
    awk '/^VmRSS/ {print $2}' "/proc/$pid/status" >"$BENCH/results/fleet.rss_kib.$n"
    kill "$pid" && wait "$pid" || true
    drop_fleet_slots
    log "fleet: $n archivers streaming, $(cat "$BENCH/results/fleet.rss_kib.$n") KiB resident"
  done

  # Throughput: two instances on one Hangfire PostgreSQL storage, at most 2 backups each, and ten
  # clusters whose backups all fire in the same minute.
  sql "$LEADER_PORT" postgres -c "DROP DATABASE IF EXISTS bench_hangfire" -c "CREATE DATABASE bench_hangfire"
  printf 'Host=127.0.0.1;Port=%s;Username=postgres;Password=%s;Database=bench_hangfire\n' "$LEADER_PORT" "$SANDBOX_SUPERUSER_PASSWORD" >"$BENCH/secrets/hangfire"
  chmod 600 "$BENCH/secrets/hangfire"
  local clusters=10 minute
  minute=$(date -u -d "+70 seconds" +%-M)
  fleet_policies "$BENCH/fleet/policies-run" "$clusters" "$minute * * * *"
  local pids=() i
  for i in 1 2; do
    "$BENCH/pgbackup/pgbackup" serve --policies "$BENCH/fleet/policies-run" --urls "http://127.0.0.1:$((15982 + i))" \
      --storage "postgres:file:$BENCH/secrets/hangfire" --max-concurrent-backups 2 >"$BENCH/results/fleet.run-$i.log" 2>&1 &
    pids+=($!)
  done
  local done_count=0 waited=0
  until ((done_count >= clusters)); do
    sleep 2; waited=$((waited + 2))
    ((waited < 1800)) || die "fleet: $clusters backups did not finish within 30 min (results/fleet.run-*.log)"
    done_count=$(sql "$LEADER_PORT" bench_hangfire -c "SELECT count(*) FROM hangfire.job WHERE statename IN ('Succeeded', 'Failed') AND invocationdata::text LIKE '%BackupJob%'" 2>/dev/null || echo 0)
  done
  sql "$LEADER_PORT" bench_hangfire -c "SELECT count(DISTINCT j.id) FILTER (WHERE j.statename = 'Succeeded'), extract(epoch FROM max(s.createdat) FILTER (WHERE s.name = 'Succeeded') - min(s.createdat) FILTER (WHERE s.name = 'Processing'))
    FROM hangfire.job j JOIN hangfire.state s ON s.jobid = j.id WHERE j.invocationdata::text LIKE '%BackupJob%'" >"$BENCH/results/fleet.run"
  for i in 1 2; do awk '/^VmHWM/ {print $2}' "/proc/${pids[$((i - 1))]}/status" >"$BENCH/results/fleet.run_hwm_kib.$i"; done
  kill "${pids[@]}" && wait "${pids[@]}" || true
  drop_fleet_slots
  sql "$LEADER_PORT" postgres -c "DROP DATABASE IF EXISTS bench_hangfire WITH (FORCE)" -c "DROP DATABASE IF EXISTS bench_fleet" >/dev/null
  log "fleet: $clusters backups (succeeded|seconds from first start to last end): $(cat "$BENCH/results/fleet.run")"
}
