#!/usr/bin/env bash
# Backup and restore benchmark: PgBackup vs pgBackRest 2.45 vs pg_basebackup (server-side zstd),
# all from the same replica of a private sandbox, in one run. Writes docs/benchmarks.md.
#
#   scripts/bench.sh                 # the three data sets (pgbench, md5, rels: 10,000 small tables), 3 runs
#                                    # per tool (median reported), then RTO, WAL latency, incrementals
#                                    # WAL latency through a switchover and a failover (walfailover), and
#                                    # the fleet: memory per hosted archiver, backups per hour (fleet)
#   BENCH_RUNS=1 BENCH_SETS=pgbench scripts/bench.sh
#   BENCH_PG=17 BENCH_SETS=incr scripts/bench.sh   # native incrementals against block-level ones on 17
#
# BENCH_PG (default 15) is the sandbox's PostgreSQL major (scripts/sandbox.sh up --pg). pgBackRest 2.45
# (Debian 12's) predates PostgreSQL 16, so on another major only the incr set runs, and there PgBackup's
# native incrementals are set against its block-level ones (backup.native_incremental: off).
#
# Needs root (PostgreSQL runs as postgres). Installs pgbackrest, hyperfine and time from apt if
# missing. Uses its own sandbox (.bench/, port base 15900) and tears it down at the end.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BENCH="${BENCH_DIR:-$REPO/.bench}"
RUNS="${BENCH_RUNS:-3}"
SETS="${BENCH_SETS:-pgbench md5 rels rto wal incr fleet walfailover}"
OUT="${BENCH_OUT:-$REPO/docs/benchmarks.md}"
export PGBACKUP_SANDBOX_DIR="$BENCH/sandbox" PGBACKUP_SANDBOX_PORT_BASE="${BENCH_PORT_BASE:-15900}"
SANDBOX="$REPO/scripts/sandbox.sh"
BENCH_PG="${BENCH_PG:-15}"
PG_BIN="/usr/lib/postgresql/$BENCH_PG/bin"
AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups)
source "$REPO/scripts/bench/lib.sh"
source "$REPO/scripts/bench/incremental.sh"
source "$REPO/scripts/bench/s3-latency.sh"
source "$REPO/scripts/bench/rto.sh"
source "$REPO/scripts/bench/fleet.sh"

for p in pgbackrest hyperfine time zstd; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done

[[ "$BENCH_PG" == 15 || "$SETS" == incr ]] || die "BENCH_PG=$BENCH_PG runs only BENCH_SETS=incr: pgBackRest 2.45 does not know PostgreSQL $BENCH_PG"
rm -rf "$BENCH/results" && mkdir -p "$BENCH/results"
echo "$BENCH_PG" >"$BENCH/results/pg_major"
trap '"$SANDBOX" down >/dev/null 2>&1 || true' EXIT
"$SANDBOX" up --pg "$BENCH_PG" >/dev/null
load_endpoints
"$REPO/scripts/publish.sh" "$BENCH/pgbackup" >/dev/null
[[ "$BENCH_PG" != 15 ]] || configure_pgbackrest
write_policies

for set in $SETS; do
  if [[ "$set" == wal ]]; then bench_wal_latency; continue; fi
  if [[ "$set" == walfailover ]]; then bench_wal_failover; continue; fi
  if [[ "$set" == incr ]]; then bench_incremental; continue; fi
  if [[ "$set" == rto ]]; then bench_rto; continue; fi
  if [[ "$set" == fleet ]]; then bench_fleet; continue; fi
  log "data set $set: loading"
  load_data_set "$set"
  warm_cache
  for run in $(seq 1 "$RUNS"); do
    bench_pgbackup_backup "$set" "$run"
    bench_pgbackup_client_backup "$set" "$run"
    bench_pgbackrest_backup "$set" "$run"
    bench_basebackup "$set" "$run"
  done
  bench_pgbackup_backup_s3 "$set"
  bench_s3_restore "$set"
  # The order turns with each run: on this kernel (ext4 without a journal) creating files soon after
  # many were deleted is slower (inode allocation skips recently deleted inodes), so a fixed order
  # would charge one tool for the previous tool's clean-up.
  restores=(bench_pgbackup_restore bench_pgbackup_client_restore bench_pgbackrest_restore)
  for run in $(seq 1 "$RUNS"); do
    for i in 0 1 2; do
      "${restores[(i + run - 1) % 3]}" "$set" "$run"
    done
  done
  drop_data_set "$set"
done

write_report > "$OUT"
log "wrote $OUT"
