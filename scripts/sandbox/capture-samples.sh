#!/usr/bin/env bash
# One-off: captures real Patroni REST responses from a live sandbox into
# tests/PgBackup.Tests.Unit/Cluster/Samples/ (unit-test input for member ranking), or into the
# directory given as $1 (e.g. Samples/patroni-4.0.7 from a `sandbox.sh up --pg 17`).
# Starts the sandbox if needed (same PGBACKUP_SANDBOX_* variables as sandbox.sh), drives it
# through each situation, and leaves it running and healthy again (leader may have moved).
# Each file is the body of one `curl` call, pretty-printed with `python3 -m json.tool`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
SB="$REPO/scripts/sandbox.sh"
OUT="${1:-$REPO/tests/PgBackup.Tests.Unit/Cluster/Samples}"
PY=/usr/bin/python3
mkdir -p "$OUT"

"$SB" up >/dev/null
STATE="$(realpath -m "${PGBACKUP_SANDBOX_DIR:-$REPO/.sandbox}")"
RUN="$(cat "$STATE/run-dir")"
# shellcheck disable=SC1091
source "$STATE/endpoints.env"
IFS=, read -r -a URLS <<<"$SANDBOX_PATRONI_URLS"
IFS=, read -r -a MEMBERS <<<"$SANDBOX_MEMBERS"
IFS=, read -r -a PORTS <<<"$SANDBOX_PG_PORTS"

say() { echo "capture: $*" >&2; }
die() { echo "error: capture: $*" >&2; exit 1; }
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
idx() { local i; for i in "${!MEMBERS[@]}"; do [[ "${MEMBERS[$i]}" == "$1" ]] && echo "$i"; done; }
url_of() { echo "${URLS[$(idx "$1")]}"; }

cluster() {
  local u
  for u in "${URLS[@]}"; do curl -sf --max-time 2 "$u/cluster" && return 0; done
  return 1
}
# q PYTHON-EXPR: evaluates an expression over the /cluster document `c` (members list `ms`).
q() { cluster | "$PY" -c "import json,sys; c=json.load(sys.stdin); ms=c.get('members',[]); r=($1); print(r if not isinstance(r,bool) else ('yes' if r else '')) " 2>/dev/null; }
leader() { q "[m['name'] for m in ms if m['role'] in ('leader','master')][0]"; }
replicas() { q "' '.join(m['name'] for m in ms if m['role'] not in ('leader','master'))"; }
save() { # save FILE URL
  curl -sf --max-time 3 "$2" | "$PY" -m json.tool >"$OUT/$1.tmp"
  mv "$OUT/$1.tmp" "$OUT/$1"
  say "saved $1"
}
save_cluster() { save "$1" "$(url_of "$(leader)")/cluster"; }
wait_for() { # wait_for SECONDS DESCRIPTION PYTHON-CONDITION
  local deadline=$((SECONDS + $1))
  until [[ -n "$(q "$3")" ]]; do
    ((SECONDS < deadline)) || die "timed out after $1s waiting for $2; /cluster: $(cluster || true)"
    sleep 0.5
  done
}
healthy() { local d=$((SECONDS + 120)); until "$SB" status >/dev/null 2>&1; do ((SECONDS < d)) || die "sandbox not healthy again"; sleep 1; done; }
patronictl() { "$SB" patronictl "$@"; }
psql_on() { local m="$1"; shift; "$SB" psql "$m" -Atq "$@"; }
postmaster_of() { head -1 "$RUN/$1/data/postmaster.pid"; }

healthy
L="$(leader)"; read -r R1 R2 <<<"$(replicas)"
say "leader $L, replicas $R1 $R2"

# 1. healthy cluster, and /patroni of the leader and of a replica
save_cluster healthy.json
save patroni-member.json "$(url_of "$L")/patroni"
save patroni-replica.json "$(url_of "$R1")/patroni"

# 2. tag nobackup on one replica: tags are per-member config, reloaded by POST /reload
grep -q '^  nobackup: true$' "$RUN/$R2/patroni.yml" || echo "  nobackup: true" | as_postgres tee -a "$RUN/$R2/patroni.yml" >/dev/null
curl -sf -X POST --max-time 5 "$(url_of "$R2")/reload" >/dev/null
wait_for 30 "nobackup tag on $R2" "any(m['name']=='$R2' and m.get('tags',{}).get('nobackup') is True for m in ms)"
save_cluster nobackup-tag.json
as_postgres sed -i '/^  nobackup: true$/d' "$RUN/$R2/patroni.yml"
curl -sf -X POST --max-time 5 "$(url_of "$R2")/reload" >/dev/null
wait_for 30 "nobackup tag off" "all(m.get('tags',{}).get('nobackup') is not True for m in ms)"

# 3. synchronous mode: one replica becomes sync_standby
patronictl edit-config --force --quiet -s synchronous_mode=true >/dev/null
wait_for 60 "a sync_standby" "any(m['role']=='sync_standby' for m in ms)"
save_cluster sync-standby.json
patronictl edit-config --force --quiet -s synchronous_mode=false >/dev/null
wait_for 60 "no sync_standby" "not any(m['role']=='sync_standby' for m in ms)"

# 4. a lagging replica. Patroni reports a replica's position as max(received, replayed), so
#    pausing replay alone shows no lag: also stop (SIGSTOP) its WAL receiver, then write ~50 MB.
L="$(leader)"; read -r R1 R2 <<<"$(replicas)"
psql_on "$R1" -c "SELECT pg_wal_replay_pause()" >/dev/null
WR="$(psql_on "$R1" -c "SELECT pid FROM pg_stat_wal_receiver")"
[[ "$WR" =~ ^[0-9]+$ ]] || die "no WAL receiver on $R1"
kill -STOP "$WR"
psql_on "$L" -c "DROP TABLE IF EXISTS capture_lag; CREATE TABLE capture_lag AS SELECT g, md5(g::text) AS t FROM generate_series(1, 600000) g"
wait_for 60 "lag over 40 MB on $R1" "any(m['name']=='$R1' and isinstance(m.get('lag'),int) and m['lag'] > 40*1024*1024 for m in ms)"
save_cluster replica-lagging.json
kill -CONT "$WR"
psql_on "$R1" -c "SELECT pg_wal_replay_resume()" >/dev/null
psql_on "$L" -c "DROP TABLE capture_lag"
healthy

# 5. paused; then, still paused, one replica's PostgreSQL stopped (Patroni keeps it down)
patronictl pause --wait >/dev/null
wait_for 30 "pause" "c.get('pause') is True"
save_cluster paused.json
L="$(leader)"; read -r R1 R2 <<<"$(replicas)"
kill -INT "$(postmaster_of "$R1")"   # fast shutdown, as pg_ctl stop -m fast (no host binaries needed)
wait_for 30 "$R1 stopped" "any(m['name']=='$R1' and m['state']=='stopped' for m in ms)"
save_cluster replica-stopped.json
patronictl resume --wait >/dev/null
healthy

# 6. lag "unknown": kill -9 a replica's postmaster (not paused) and catch Patroni reporting it
#    before it has restarted it.
read -r R1 R2 <<<"$(replicas)"
kill -KILL "$(postmaster_of "$R1")"
deadline=$((SECONDS + 30)); caught=""
while ((SECONDS < deadline)); do
  if [[ -n "$(q "any(m['name']=='$R1' and m.get('lag')=='unknown' for m in ms)")" ]]; then
    save_cluster lag-unknown.json; caught=yes; break
  fi
  sleep 0.2
done
[[ -n "$caught" ]] || say "did not catch lag 'unknown' within 30s (no lag-unknown.json)"
healthy

# 7. only the leader: stop both replicas' Patroni (which stops their PostgreSQL)
for r in $(replicas); do kill -TERM "$(cat "$STATE/pids/patroni-$r.pid")"; done
wait_for 60 "only the leader left" "len(ms)==1"
save_cluster only-leader.json
"$SB" up >/dev/null   # starts the missing members again
healthy

# 8. failover: kill -9 the leader's postmaster; capture while the old leader is still out,
#    then once it has rejoined
OLD="$(leader)"
kill -KILL "$(postmaster_of "$OLD")"
wait_for 60 "a new leader" "any(m['role'] in ('leader','master') and m['name']!='$OLD' for m in ms)"
save_cluster failover-in-progress.json
healthy
save_cluster after-failover.json
say "done; sandbox left running: $(leader) leads"
