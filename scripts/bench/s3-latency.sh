# Restore from S3 at object-store latency (sourced by scripts/bench.sh). The set's S3 backup (default
# format) is restored straight from the sandbox's s3rver, then through scripts/bench/latency_proxy.py,
# which adds BENCH_S3_LATENCY_MS (default 30) to every request, as an object store elsewhere would.

bench_s3_restore() { # bench_s3_restore SET
  local ms="${BENCH_S3_LATENCY_MS:-30}" port=$((PGBACKUP_SANDBOX_PORT_BASE + 36)) dir="$BENCH/restore-s3" proxy
  sed "s|endpoint: $SANDBOX_S3_URL|endpoint: http://127.0.0.1:$port|" "$BENCH/s3.yaml" >"$BENCH/s3-latency.yaml"
  python3 "$REPO/scripts/bench/latency_proxy.py" "$port" "${SANDBOX_S3_URL##*:}" "$ms" &
  proxy=$!
  echo "$ms" >"$BENCH/results/$1.s3_latency_ms"
  local policy tool
  for policy in s3 s3-latency; do
    tool="pgbackup-$policy-restore"
    fresh_dir "$dir"
    measure "$1" "$tool" 1 -- "$BENCH/pgbackup/pgbackup" restore --policy "$BENCH/$policy.yaml" --backup latest --pgdata "$dir" --port 15994
    start_timed "$1" "$tool" 1 "$dir" 15994
  done
  kill "$proxy"
  fresh_dir "$dir"
}
