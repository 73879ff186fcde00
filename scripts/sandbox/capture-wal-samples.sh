#!/usr/bin/env bash
# One-off: captures real WAL segments from a live sandbox into
# tests/PgBackup.Tests.Unit/Postgres/Samples/wal/ (unit-test input for the WAL record reader),
# zstd-compressed. Records are logical messages of 'x' (non-transactional, 8000 bytes each), so
# every record spans pages, one spans the segment boundary, and the segments compress to little.
#   records-A.zst, records-B.zst  two consecutive segments; B ends with an XLOG_SWITCH
#   timeline-switch.zst, .history   the first segment of a new timeline after a switchover (old-
#                                   timeline pages up to the switch point, then new-timeline ones), and its history file
# Leaves the sandbox running (the leader moves once).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
SB="$REPO/scripts/sandbox.sh"
OUT="${1:-$REPO/tests/PgBackup.Tests.Unit/Postgres/Samples/wal}"
mkdir -p "$OUT"

"$SB" up >/dev/null
STATE="$(realpath -m "${PGBACKUP_SANDBOX_DIR:-$REPO/.sandbox}")"
RUN="$(cat "$STATE/run-dir")"
# shellcheck disable=SC1091
source "$STATE/endpoints.env"
IFS=, read -r -a MEMBERS <<<"$SANDBOX_MEMBERS"
IFS=, read -r -a PORTS <<<"$SANDBOX_PG_PORTS"

sql() { # sql PORT SQL: one value
  PGPASSWORD="$SANDBOX_SUPERUSER_PASSWORD" psql -h 127.0.0.1 -p "$1" -U "$SANDBOX_SUPERUSER" -d postgres -Atqc "$2"
}
leader_index() {
  local i
  for i in "${!PORTS[@]}"; do [[ "$(sql "${PORTS[$i]}" 'select pg_is_in_recovery()' 2>/dev/null)" == f ]] && { echo "$i"; return; }; done
  return 1
}
save() { # save MEMBER-INDEX WALFILE NAME
  local src="$RUN/${MEMBERS[$1]}/data/pg_wal/$2"
  for _ in $(seq 50); do [[ -f "$src" ]] && break; sleep 0.1; done
  zstd -q -19 -f "$src" -o "$OUT/$3"
  echo "capture: $2 -> $OUT/$3" >&2
}

i="$(leader_index)"; port="${PORTS[$i]}"
sql "$port" 'select pg_switch_wal()' >/dev/null
first="$(sql "$port" 'select pg_walfile_name(pg_current_wal_insert_lsn())')"
# 2100 x 8000 bytes: more than one 16 MiB segment.
sql "$port" "select count(pg_logical_emit_message(false, 'pgbackup-sample', repeat('x', 8000))) from generate_series(1, 2100)" >/dev/null
second="$(sql "$port" 'select pg_walfile_name(pg_current_wal_insert_lsn())')"
sql "$port" 'select pg_switch_wal()' >/dev/null
sql "$port" 'checkpoint' >/dev/null
save "$i" "$first" records-A.zst
save "$i" "$second" records-B.zst

"$SB" switchover >/dev/null
i="$(leader_index)"; port="${PORTS[$i]}"
tli="$(sql "$port" 'select timeline_id from pg_control_checkpoint()')"
hex="$(printf '%08X' "$tli")"
sql "$port" "select count(pg_logical_emit_message(false, 'pgbackup-sample', repeat('y', 8000))) from generate_series(1, 20)" >/dev/null
segment="$(sql "$port" "select pg_walfile_name(pg_current_wal_insert_lsn())")"
sql "$port" 'select pg_switch_wal()' >/dev/null
save "$i" "$segment" timeline-switch.zst
cp "$RUN/${MEMBERS[$i]}/data/pg_wal/$hex.history" "$OUT/timeline-switch.history"
echo "capture: $hex.history -> $OUT/" >&2
