#!/usr/bin/env bash
# PgBackup's own fault suite: injects faults into backups, restores, the WAL archiver,
# the cluster (switchover, failover), the S3 endpoint and a local repository's disk, flips bytes
# in every kind of stored object, and checks what PgBackup does about each. NOT part of
# scripts/test.sh: run it on demand, as root:
#
#   scripts/chaos.sh                     # ~20-25 min on 2 cores; writes the results section of docs/reliability.md
#   CHAOS_KEEP_SANDBOX=1 scripts/chaos.sh   # leave the sandbox up afterwards (faster re-runs)
#
# Every fault ends in exactly one outcome class:
#   completed and restores exactly                     the operation (or the next one) completed and every
#                                                       backup it listed restores (--immediate and the default
#                                                       target, --start) with the expected rows
#   failed cleanly with one error line and nothing listed
#   refused naming the damaged object
#   VIOLATION                                           anything else; evidence printed (exit code, stderr, command)
# The script never stops at a violation: it records it, goes on, and exits 1 at the end if any occurred.
#
# Environment: PGBACKUP_SANDBOX_PORT_BASE (default 15700), PGBACKUP_SANDBOX_DIR (default <repo>/.chaos/sandbox, apart from the test suite's),
# CHAOS_RESTORE_PORTS (default 15750-15799), CHAOS_SCALE (pgbench scale, default 10), CHAOS_OUT
# (default docs/reliability.md), CHAOS_DIR (published CLI and logs, default <repo>/.chaos),
# CHAOS_KEEP_SANDBOX=1, CHAOS_PHASES (default "backup restore diskfull s3 archive switch corrupt").
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export PGBACKUP_SANDBOX_PORT_BASE="${PGBACKUP_SANDBOX_PORT_BASE:-15700}"
export PGBACKUP_SANDBOX_DIR="${PGBACKUP_SANDBOX_DIR:-$REPO/.chaos/sandbox}"
export PGBACKUP_SANDBOX_TIMEOUT="${PGBACKUP_SANDBOX_TIMEOUT:-90}"
SANDBOX="$REPO/scripts/sandbox.sh"
CHAOS="${CHAOS_DIR:-$REPO/.chaos}"
OUT="${CHAOS_OUT:-$REPO/docs/reliability.md}"
SCALE="${CHAOS_SCALE:-10}"
PHASES="${CHAOS_PHASES:-backup restore diskfull s3 archive switch corrupt}"
PORT_RANGE="${CHAOS_RESTORE_PORTS:-15750-15799}"
PORT_LO="${PORT_RANGE%-*}" PORT_HI="${PORT_RANGE#*-}"
PG_BIN=/usr/lib/postgresql/15/bin
AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups)
PGB="$CHAOS/pgbackup/pgbackup"
T0=$SECONDS
STARTED_AT="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# shellcheck source=bench/lib.sh
source "$REPO/scripts/bench/lib.sh"   # sql, load_endpoints, as_postgres
log() { printf '%s chaos: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { echo "error: chaos: $*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (PostgreSQL runs as the user postgres; a tmpfs is mounted for the disk-full faults)"

C_OK="completed and restores exactly"
C_FAIL="failed cleanly with one error line and nothing listed"
C_REFUSED="refused naming the damaged object"
C_VIOL="VIOLATION"
C_CHECK_OK="ok"            # follow-up checks (not faults) are ok or VIOLATION

# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
N=0                       # faults injected
R_PHASE=() R_FAULT=() R_CLASS=() R_DETAIL=() R_KIND=()
record() { # record fault|check PHASE "what" CLASS "detail"
  local kind=$1 phase=$2 what=$3 class=$4 detail=$5
  [[ $kind == fault ]] && N=$((N + 1))
  R_KIND+=("$kind") R_PHASE+=("$phase") R_FAULT+=("$what") R_CLASS+=("$class") R_DETAIL+=("$detail")
  local tag; [[ $kind == fault ]] && tag="fault $N" || tag="check"
  if [[ $class == "$C_VIOL" ]]; then
    printf '[%s] %s: %s\n  => VIOLATION: %s\n' "$tag" "$phase" "$what" "$detail"
  else
    printf '[%s] %s: %s\n  => %s (%s)\n' "$tag" "$phase" "$what" "$class" "$detail"
  fi
}

# One line of evidence from a finished command: exit code, its stderr (first lines), the command.
evidence() { # evidence RC ERRFILE "command"
  local err; err="$(grep -v '^\s*$' "$2" 2>/dev/null | head -3 | tr '\n' ' ' | cut -c1-400)"
  echo "exit $1; stderr: ${err:-(empty)}; command: $3"
}

# Exit 2-5 and exactly one stderr line starting with "error:" (the error contract); other stderr lines
# may only be log warnings ("HH:MM:SS WRN ..."), which warnings_of reports as a note.
clean_error() { # clean_error RC ERRFILE
  local rc=$1
  [[ $rc -ge 2 && $rc -le 5 ]] || return 1
  [[ "$(grep -c '^error: ' "$2")" -eq 1 ]] || return 1
  [[ "$(grep -v '^\s*$' "$2" | grep -v '^error: ' | grep -cvE '^[0-9]{2}:[0-9]{2}:[0-9]{2} WRN ')" -eq 0 ]]
}
warnings_of() { # "; plus N warning line(s): first" or nothing
  local n; n="$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} WRN ' "$1")"
  ((n > 0)) && echo "; plus $n warning line(s) on stderr: $(grep -m1 -E '^[0-9]{2}:[0-9]{2}:[0-9]{2} WRN ' "$1" | cut -c1-200)"
}

# ---------------------------------------------------------------------------------------------
# Processes: everything we start is tracked and stopped by cleanup
# ---------------------------------------------------------------------------------------------
WORK=""
ARCHIVER_PID="" LOAD_PID="" TMPFS=""
# Running (a zombie or a reaped pid is not).
alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }

# wait_bounded PID SECONDS: the process's exit code, or 124 after killing it at the deadline.
wait_bounded() {
  local pid=$1 secs=$2 deadline=$((SECONDS + $2))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null; { wait "$pid"; } 2>/dev/null; return 124; fi
  { wait "$pid"; } 2>/dev/null
}

stop_restored_servers() {
  local pid_file dir
  [[ -n "$WORK" && -d "$WORK/restore" ]] || return 0
  for pid_file in "$WORK"/restore/*/postmaster.pid "$WORK"/drill/*/pgdata/postmaster.pid; do
    [[ -f "$pid_file" ]] || continue
    dir="$(dirname "$pid_file")"
    as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate -t 20 stop >/dev/null 2>&1 || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  log "cleaning up"
  stop_load
  stop_archiver
  # Whatever else this script still runs in the background (a backup, a restore): by pid.
  local j; for j in $BK_PID $(jobs -p); do alive "$j" && kill -KILL "$j" 2>/dev/null; done
  sleep 0.5
  stop_restored_servers
  if [[ -n "$TMPFS" ]] && mountpoint -q "$TMPFS"; then umount "$TMPFS" || umount -l "$TMPFS"; fi
  if [[ "${CHAOS_KEEP_SANDBOX:-}" == 1 ]]; then
    drop_slots
    log "sandbox left running (CHAOS_KEEP_SANDBOX=1): $SANDBOX down stops it"
  else
    "$SANDBOX" down >/dev/null 2>&1 || log "sandbox down failed; run $SANDBOX down"
  fi
  [[ -n "$WORK" && "$WORK" == /tmp/pgbackup-chaos.* ]] && { rm -rf "$WORK" 2>/dev/null || { sleep 2; rm -rf "$WORK"; }; }
  local port busy=""
  for ((port = PORT_LO; port <= PORT_HI; port++)); do
    timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && busy+=" $port"
  done
  [[ -z "$busy" ]] || log "WARNING: still listening on restore port(s)$busy"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Sandbox, data, policies
# ---------------------------------------------------------------------------------------------
SUPERPW=sandbox-super
CONNSTR=""
leader_sql() { # SQL against whichever member is the leader now
  PGPASSWORD="$SUPERPW" psql -X -q -At "$CONNSTR dbname=${2:-chaos}" -c "$1"
}

drop_slots() {
  local port
  [[ -f "$PGBACKUP_SANDBOX_DIR/endpoints.env" ]] || return 0
  local ports="${SANDBOX_PG_PORTS:-}"
  for port in ${ports//,/ }; do
    sql "$port" postgres -c "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name LIKE 'chaos\_%' AND NOT active" >/dev/null 2>&1 || true
  done
}

# Wait until every replica has replayed what the leader has written so far (bounded, 20 s).
wait_replicas() {
  local target port i ok
  target="$(leader_sql "SELECT pg_current_wal_lsn()" postgres)" || return 0
  for ((i = 0; i < 100; i++)); do
    ok=1
    for port in ${SANDBOX_PG_PORTS//,/ }; do
      [[ "$(sql "$port" postgres -c "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= '$target'" 2>/dev/null)" == t ]] || ok=0
    done
    ((ok)) && return 0
    sleep 0.2
  done
  log "replicas did not replay $target within 20 s"
}

MARK=0
mark() { # a row written (and replayed) before the next operation; its id is $MARK
  MARK="$(leader_sql "INSERT INTO chaos_marker DEFAULT VALUES RETURNING id")" || MARK=0
  wait_replicas
}

write_policy() { # write_policy NAME COMPRESSION local PATH | s3 PREFIX ; policies/secrets readable by group postgres
  local name=$1 comp=$2 type=$3 where=$4 f="$WORK/$1.yaml"
  {
    echo "cluster: sandbox"
    echo "patroni:"
    echo "  urls: [${SANDBOX_PATRONI_URLS//,/, }]"
    echo "  timeout: 2s"
    echo "connection:"
    echo "  user: $SANDBOX_REPL_USER"
    echo "  password_file: secrets/password"
    echo "  sslmode: disable"
    echo "repository:"
    if [[ $type == local ]]; then
      echo "  type: local"
      echo "  path: $where"
    else
      echo "  type: s3"
      echo "  s3:"
      echo "    bucket: $SANDBOX_S3_BUCKET"
      echo "    prefix: $where"
      echo "    endpoint: $SANDBOX_S3_URL"
      echo "    access_key_file: secrets/s3-access"
      echo "    secret_key_file: secrets/s3-secret"
    fi
    echo "source:"
    echo "  max_lag: 16MB"
    echo "backup:"
    echo "  compression: $comp"
    echo "archive:"
    echo "  slot_name: chaos_$name"
  } >"$f"
  echo "$f"
}

setup() {
  log "sandbox up (port base $PGBACKUP_SANDBOX_PORT_BASE, $PGBACKUP_SANDBOX_DIR)"
  "$SANDBOX" up >"$CHAOS/sandbox-up.log" 2>&1 || { cat "$CHAOS/sandbox-up.log" >&2; die "sandbox up failed"; }
  load_endpoints
  SUPERPW="$SANDBOX_SUPERUSER_PASSWORD"
  local hosts; hosts="$(printf '127.0.0.1,%.0s' ${SANDBOX_PG_PORTS//,/ })"
  CONNSTR="host=${hosts%,} port=$SANDBOX_PG_PORTS user=postgres target_session_attrs=read-write connect_timeout=3"
  drop_slots
  log "publishing the CLI into $CHAOS/pgbackup"
  "$REPO/scripts/publish.sh" "$CHAOS/pgbackup" >"$CHAOS/publish.log" 2>&1 || { cat "$CHAOS/publish.log" >&2; die "publish failed"; }
  COMMIT="$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted src changes')"

  WORK="$(mktemp -d /tmp/pgbackup-chaos.XXXXXX)"
  chgrp postgres "$WORK" && chmod 2750 "$WORK"
  umask 027
  mkdir -p "$WORK/secrets" "$WORK/repos" "$WORK/logs"
  printf '%s\n' "$SANDBOX_REPL_PASSWORD" >"$WORK/secrets/password"
  printf '%s\n' "$SANDBOX_S3_ACCESS_KEY" >"$WORK/secrets/s3-access"
  printf '%s\n' "$SANDBOX_S3_SECRET_KEY" >"$WORK/secrets/s3-secret"
  install -d -o postgres -g postgres -m 0750 "$WORK/restore"

  log "loading data: pgbench scale $SCALE into database chaos"
  leader_sql "DROP DATABASE IF EXISTS chaos WITH (FORCE)" postgres >/dev/null
  leader_sql "CREATE DATABASE chaos" postgres >/dev/null
  wait_replicas
  PGPASSWORD="$SUPERPW" "$PG_BIN/pgbench" -q -i -s "$SCALE" "$CONNSTR dbname=chaos" >"$WORK/logs/pgbench-init.log" 2>&1 || { tail -5 "$WORK/logs/pgbench-init.log" >&2; die "pgbench -i failed"; }
  leader_sql "CREATE TABLE chaos_marker (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())" >/dev/null
  ACCOUNTS=$((SCALE * 100000))
  leader_sql "CHECKPOINT" >/dev/null
  wait_replicas

  P_SRV="$(write_policy srv server local "$WORK/repos/srv")"
  P_CLI="$(write_policy cli client local "$WORK/repos/cli")"
  P_ARC="$(write_policy arc server local "$WORK/repos/arc")"
  P_S3="$(write_policy s3 server s3 "chaos-$(date +%s)")"
  P_S3C="$(write_policy s3c client s3 "chaos-c-$(date +%s)")"
}

# ---------------------------------------------------------------------------------------------
# Load and archiver
# ---------------------------------------------------------------------------------------------
start_load() { # pgbench, rate-limited, re-connecting to whichever member leads
  rm -f "$WORK/load.stop"
  (
    while [[ ! -f "$WORK/load.stop" ]]; do
      PGPASSWORD="$SUPERPW" "$PG_BIN/pgbench" -n -c 2 -j 1 -R 150 -T 5 "$CONNSTR dbname=chaos" >>"$WORK/logs/pgbench.log" 2>&1
      sleep 0.3
    done
  ) &
  LOAD_PID=$!
}
stop_load() {
  alive "$LOAD_PID" || { LOAD_PID=""; return 0; }
  touch "$WORK/load.stop"
  wait_bounded "$LOAD_PID" 15 >/dev/null
  pkill -KILL -P "$LOAD_PID" 2>/dev/null   # only this loop's own pgbench child, if any is left
  LOAD_PID=""
}

ARCHIVER_POLICY=""
start_archiver() { # start_archiver POLICY
  ARCHIVER_POLICY=$1
  "$PGB" archive --policy "$1" >>"$WORK/logs/archive-$(basename "$1" .yaml).log" 2>&1 &
  ARCHIVER_PID=$!
}
stop_archiver() {
  alive "$ARCHIVER_PID" || { ARCHIVER_PID=""; return 0; }
  kill -TERM "$ARCHIVER_PID" 2>/dev/null
  wait_bounded "$ARCHIVER_PID" 20 >/dev/null
  ARCHIVER_PID=""
}

# check_no_gap POLICY: prints "ok <detail>" or "gap <evidence>" (waits up to 20 s for the archive to catch up).
check_no_gap() {
  local p=$1 i rc out="$WORK/check.out" err="$WORK/check.err"
  for ((i = 0; i < 10; i++)); do
    timeout -k 5 60 "$PGB" check --policy "$p" --json >"$out" 2>"$err"; rc=$?
    if python3 - "$out" <<'PY'
import json, sys
try: c = json.load(open(sys.argv[1]))
except Exception: sys.exit(2)
sys.exit(0 if not c.get("gaps") and "archivedTo" in c else 1)
PY
    then
      echo "ok check exit $rc, no gap, $(python3 -c 'import json,sys
c=json.load(open(sys.argv[1])); p=c.get("problems") or []
print("archived to", c.get("archivedTo"), "on timeline", c.get("timeline"), "with", len(c.get("histories") or []), "history file(s)"
      + ("; other findings: " + " / ".join(x.get("message", "")[:160] for x in p) if p else ""))' "$out")"
      return 0
    fi
    sleep 2
  done
  echo "gap $(evidence "$rc" "$err" "pgbackup check --policy $p --json"); gaps/problems: $(python3 -c 'import json,sys
try:
  c=json.load(open(sys.argv[1])); print(json.dumps(c.get("gaps")), json.dumps(c.get("problems")))
except Exception as e: print("unparsable:", e)' "$out" | cut -c1-300)"
}

# ---------------------------------------------------------------------------------------------
# Backups, listing, restores
# ---------------------------------------------------------------------------------------------
list_ids() { # complete backups, as `pgbackup list --json` shows them
  timeout -k 5 60 "$PGB" list --policy "$1" --json 2>"$WORK/list.err" |
    python3 -c 'import json,sys; print(" ".join(b["id"] + ("" if b.get("status", "complete") == "complete" else ":" + b["status"]) for b in json.load(sys.stdin)))' 2>/dev/null
}
list_all_other() { # ids `list --all` shows as not complete (running / dead leftovers)
  timeout -k 5 60 "$PGB" list --policy "$1" --all --json 2>/dev/null |
    python3 -c 'import json,sys; print(" ".join(b["id"] + ":" + b["status"] for b in json.load(sys.stdin) if b["status"] != "complete"))' 2>/dev/null
}
new_ids() { # new_ids "BEFORE" "AFTER": ids in AFTER not in BEFORE
  local id out=""
  for id in $2; do [[ " $1 " == *" $id "* ]] || out+="$id "; done
  echo "${out% }"
}
# Incomplete backups a listing shows: an id with a status other than complete, or (local) no manifest.json.
incomplete_listed() { # incomplete_listed POLICY "IDS"
  local id bad="" root; root="$(sed -n 's/^  path: //p' "$1")"
  for id in $2; do
    [[ $id == *:* ]] && { bad+="$id "; continue; }
    [[ -n "$root" && ! -f "$root/sandbox/backups/$id/manifest.json" ]] && bad+="$id(no manifest.json) "
  done
  echo "${bad% }"
}
debris() { # local repositories: backup directories holding files but no manifest.json
  local root d out=""; root="$(sed -n 's/^  path: //p' "$1")"
  [[ -n "$root" && -d "$root/sandbox/backups" ]] || return 0
  for d in "$root"/sandbox/backups/*/; do
    [[ -d "$d" && ! -f "$d/manifest.json" && -n "$(find "$d" -type f -print -quit)" ]] && out+="$(basename "$d")($(find "$d" -type f | wc -l) files) "
  done
  echo "${out% }"
}
empty_dirs() { # local repositories: backup directories left empty (no objects: not debris, reported as a note)
  local root; root="$(sed -n 's/^  path: //p' "$1")"
  [[ -n "$root" && -d "$root/sandbox/backups" ]] || { echo 0; return 0; }
  find "$root/sandbox/backups" -mindepth 1 -maxdepth 1 -type d -empty | wc -l
}

# backup_bg POLICY [args]: starts `pgbackup backup` (the process itself, so kill -9 hits it).
BK_PID="" BK_OUT="" BK_ERR="" BK_CMD=""
backup_bg() {
  local p=$1; shift
  BK_OUT="$WORK/backup.out" BK_ERR="$WORK/backup.err" BK_CMD="pgbackup backup --policy $(basename "$p") $*"
  "$PGB" backup --policy "$p" "$@" >"$BK_OUT" 2>"$BK_ERR" &
  BK_PID=$!
}

NEXT_PORT=$PORT_LO
next_port() {
  PORT=$NEXT_PORT
  NEXT_PORT=$((NEXT_PORT + 1)); ((NEXT_PORT > PORT_HI)) && NEXT_PORT=$PORT_LO
}

# restore_one POLICY ID MODE(immediate|default) PORT MARK RESULTFILE: restore --start, query, stop, remove.
restore_one() {
  local p=$1 id=$2 mode=$3 port=$4 mark=$5 res=$6 dir="$WORK/restore/$2-$3-$4" rc args=() got
  [[ $mode == immediate ]] && args=(--immediate)
  local cmd="pgbackup restore --policy $(basename "$p") --backup $id ${args[*]} --pgdata $dir --port $port --start"
  timeout -k 5 240 "$PGB" restore --policy "$p" --backup "$id" "${args[@]}" --pgdata "$dir" --port "$port" --start \
    >"$res.out" 2>"$res.err"; rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "FAIL $mode restore of $id: $(evidence "$rc" "$res.err" "$cmd")" >"$res"
  else
    got="$(as_postgres "$PG_BIN/psql" -X -At -h /tmp -p "$port" -d chaos -c \
      "SELECT (SELECT count(*) FROM pgbench_accounts) || '/' || (SELECT CASE WHEN $mark = 0 THEN 1 ELSE (SELECT count(*) FROM chaos_marker WHERE id = $mark) END)" 2>&1 | head -1)"
    if [[ "$got" == "$ACCOUNTS/1" ]]; then
      echo "OK" >"$res"
    else
      echo "FAIL $mode restore of $id: exit 0 but the server on port $port answered '$got' (expected $ACCOUNTS accounts and marker row $mark); command: $cmd" >"$res"
    fi
  fi
  [[ -f "$dir/postmaster.pid" ]] && as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate -t 20 stop >/dev/null 2>&1
  rm -rf "$dir"
}

# restore_check POLICY "IDS" MARK [DEFAULT_MARK]: both restores of every id (the two of one id in parallel);
# --immediate must hold row MARK, the default target row DEFAULT_MARK (default: MARK). 0: accounts only.
# Prints "" when all succeeded, else the failures (one per line).
restore_check() {
  local p=$1 ids=$2 mark=$3 dmark=${4:-$3} id p1 p2 a b fails=""
  for id in $ids; do
    next_port; p1=$PORT; next_port; p2=$PORT
    a="$WORK/r.$id.imm" b="$WORK/r.$id.def"
    restore_one "$p" "$id" immediate "$p1" "$mark" "$a" &
    local j1=$!
    restore_one "$p" "$id" default "$p2" "$dmark" "$b" &
    local j2=$!
    wait "$j1" "$j2"
    for f in "$a" "$b"; do
      [[ "$(cat "$f" 2>/dev/null)" == OK ]] || fails+="$(cat "$f" 2>/dev/null || echo "no result from $f")"$'\n'
    done
  done
  printf '%s' "$fails"
}
RESTORES=0
# after_backup PHASE "what" POLICY "BEFORE" [rc errfile] -> classifies a backup that ran (or was killed).
# The next backup must succeed, clean every leftover, and every new listed backup must restore.
# settle_and_restore PHASE WHAT POLICY BEFORE HEADLINE [CLASS DETAIL]: CLASS/DETAIL are recorded when all is well
# (default: completed and restores exactly).
settle_and_restore() {
  local phase=$1 what=$2 p=$3 before=$4 headline=$5 ok_class=${6:-$C_OK} ok_detail=${7:-} viol="" fault_mark=$MARK
  # A fault already judged a violation: the follow-up still runs (and adds to the evidence).
  [[ $ok_class == "$C_VIOL" ]] && viol="$ok_detail; " after incomplete nrc next_err left ids fails
  after="$(list_ids "$p")"
  incomplete="$(incomplete_listed "$p" "$after")"
  [[ -n "$incomplete" ]] && viol+="incomplete backup listed after the fault: $incomplete; "
  # The next backup: succeeds, and leaves no dead backup behind.
  mark
  local m=$MARK
  timeout -k 5 180 "$PGB" backup --policy "$p" >"$WORK/next.out" 2>"$WORK/next.err"; nrc=$?
  if [[ $nrc -ne 0 ]]; then
    viol+="the next backup failed: $(evidence "$nrc" "$WORK/next.err" "pgbackup backup --policy $(basename "$p")"); "
  fi
  left="$(list_all_other "$p")"; [[ -n "$left" ]] && viol+="after the next backup list --all still shows: $left; "
  left="$(debris "$p")"; [[ -n "$left" ]] && viol+="after the next backup the repository still holds backup directories without manifest.json: $left; "
  local empties; empties="$(empty_dirs "$p")"
  ((empties > 0)) && headline+="; note: $empties empty backup director(y/ies) left in the local repository"
  # What the fault's own run listed holds the row written before it; the next backup the row written before that.
  local ids_fault ids_next
  ids_fault="$(new_ids "$before" "$after")"
  ids_next="$(new_ids "$before $after" "$(list_ids "$p")")"
  ids="$ids_fault${ids_fault:+ }$ids_next"
  fails="$(restore_check "$p" "$ids_fault" "$fault_mark")$(restore_check "$p" "$ids_next" "$m")"
  RESTORES=$((RESTORES + 2 * $(wc -w <<<"$ids")))
  [[ -n "$fails" ]] && viol+="$(tr '\n' ' ' <<<"$fails")"
  if [[ -n "$viol" ]]; then
    record fault "$phase" "$what" "$C_VIOL" "$headline; $viol"
  else
    record fault "$phase" "$what" "$ok_class" "${ok_detail:-$headline; next backup ok}; restored $(wc -w <<<"$ids") new backup(s) both ways: $ids"
  fi
}

# wait_archived POLICY LSN SECONDS: waits until the archiver's slot says WAL up to LSN is durable in
# the repository (partials included); prints how long that took, or what check said last.
wait_archived() {
  local p=$1 lsn=$2 limit=$3 start=$SECONDS
  while ((SECONDS - start <= limit)); do
    timeout -k 5 60 "$PGB" check --policy "$p" --json >"$WORK/wait.out" 2>/dev/null
    if python3 - "$WORK/wait.out" "$lsn" <<'PY'
import json, sys
def lsn(t): hi, lo = t.split("/"); return int(hi, 16) << 32 | int(lo, 16)
try: c = json.load(open(sys.argv[1]))
except Exception: sys.exit(1)
flushed = [s["flushLsn"] for s in c.get("slots") or [] if s.get("active") and s.get("flushLsn")]
sys.exit(0 if any(lsn(f) >= lsn(sys.argv[2]) for f in flushed) else 1)
PY
    then echo "$((SECONDS - start)) s"; return 0; fi
    sleep 1
  done
  echo "last check: $(head -c 400 "$WORK/wait.out")"
  return 1
}

# check_archive_replays PHASE POLICY WHAT: the newest backup restores both ways, its default target
# reaching a marker row written now (after the phase's faults), from the WAL archived across them.
check_archive_replays() {
  local phase=$1 p=$2 what=$3 id fails lsn waited
  mark
  # The row must be in the archive before a restore can reach it: after an outage the archiver's
  # retry pause (up to 30 s) delays it. Not reaching the archive within 45 s is a violation itself.
  lsn="$(leader_sql "SELECT pg_current_wal_lsn()")"
  if ! waited="$(wait_archived "$p" "$lsn" 45)"; then
    record check "$phase" "restore after $what" "$C_VIOL" "the archive did not reach $lsn (row $MARK) within 45 s: $waited"
    return
  fi
  id="$(list_ids "$p" | tr ' ' '\n' | tail -1)"
  fails="$(restore_check "$p" "$id" 0 "$MARK")"; RESTORES=$((RESTORES + 2))
  what="restore $id $what, both ways (--immediate: all accounts; default target: also row $MARK, written after them)"
  if [[ -z "$fails" ]]; then record check "$phase" "$what" "$C_CHECK_OK" "the row was archived after $waited; both restores start and hold the rows"
  else record check "$phase" "$what" "$C_VIOL" "$(tr '\n' ' ' <<<"$fails")"; fi
}

# ---------------------------------------------------------------------------------------------
# Phase: kill -9 of pgbackup backup
# ---------------------------------------------------------------------------------------------
BACKUP_SECONDS_server=4 BACKUP_SECONDS_client=4
calibrate_backup() { # one clean backup per repository: its wall time spreads the kill moments
  local p=$1 comp=$2 t rc
  mark
  t=$(date +%s.%N)
  timeout -k 5 180 "$PGB" backup --policy "$p" >"$WORK/cal.out" 2>"$WORK/cal.err"; rc=$?
  t=$(python3 -c "import sys; print(f'{$(date +%s.%N) - $t:.1f}')")
  [[ $rc -eq 0 ]] || record check setup "first backup ($comp compression)" "$C_VIOL" "$(evidence "$rc" "$WORK/cal.err" "pgbackup backup --policy $(basename "$p")")"
  printf -v "BACKUP_SECONDS_$comp" '%s' "$t"
  log "a clean backup ($comp compression) takes ${t}s"
}

moments() { # moments SECONDS: 0.5 s, then 20/40/60/80/97 % of the duration (each >= previous + 0.1)
  python3 - "$1" <<'PY'
import sys
d = float(sys.argv[1]); out = [0.5]
for f in (0.2, 0.4, 0.6, 0.8, 0.97):
    out.append(max(round(d * f, 2), round(out[-1] + 0.1, 2)))
print(" ".join(str(x) for x in out))
PY
}

phase_backup() {
  local comp p d before rc killed headline
  for comp in server client; do
    [[ $comp == server ]] && p=$P_SRV || p=$P_CLI
    calibrate_backup "$p" "$comp"
    local dur_var="BACKUP_SECONDS_$comp"
    for d in $(moments "${!dur_var}"); do
      before="$(list_ids "$p")"
      mark
      backup_bg "$p"
      sleep "$d"
      killed=0
      local tk=$SECONDS
      { alive "$BK_PID" && kill -KILL "$BK_PID" && killed=1; wait_bounded "$BK_PID" 90; rc=$?; } 2>/dev/null
      if ((killed)); then
        headline="killed at ${d}s (exit $rc$( ((SECONDS - tk > 2)) && echo ", took $((SECONDS - tk)) s to die after SIGKILL")); listed after: $(new_ids "$before" "$(list_ids "$p")" | sed 's/^$/nothing new/')"
      else
        headline="the backup ended (exit $rc) before the kill at ${d}s"
        [[ $rc -ne 0 ]] && headline+=": $(evidence "$rc" "$BK_ERR" "$BK_CMD")"
      fi
      settle_and_restore backup "kill -9 pgbackup backup at ${d}s (compression: $comp)" "$p" "$before" "$headline"
    done
  done
}

# ---------------------------------------------------------------------------------------------
# Phase: kill -9 of pgbackup restore
# ---------------------------------------------------------------------------------------------
phase_restore() {
  local comp p t rc d dir port moments_ id
  for comp in server client; do
    [[ $comp == server ]] && p=$P_SRV || p=$P_CLI
    id="$(list_ids "$p" | tr ' ' '\n' | tail -1)"
    [[ -n "$id" ]] || { record check restore "a backup to restore ($comp)" "$C_VIOL" "no backup listed in $(basename "$p")"; continue; }
    # Calibrate: one restore without --start.
    next_port; dir="$WORK/restore/cal-$comp"
    t=$(date +%s.%N)
    timeout -k 5 180 "$PGB" restore --policy "$p" --backup "$id" --pgdata "$dir" --port "$PORT" >"$WORK/rcal.out" 2>"$WORK/rcal.err"; rc=$?
    t=$(python3 -c "print(f'{$(date +%s.%N) - $t:.1f}')")
    rm -rf "$dir"
    log "a restore of $id ($comp) without --start takes ${t}s (exit $rc)"
    moments_="$(python3 -c "
d=$t; out=[0.5]
for f in (0.3, 0.6, 0.9):
    out.append(max(round(d*f,2), round(out[-1]+0.1,2)))
print(' '.join(map(str,out)))")"
    for d in $moments_; do
      next_port; dir="$WORK/restore/killed-$comp-$d"
      local cmd="pgbackup restore --policy $(basename "$p") --backup $id --pgdata $dir --port $PORT"
      "$PGB" restore --policy "$p" --backup "$id" --pgdata "$dir" --port "$PORT" >"$WORK/rk.out" 2>"$WORK/rk.err" &
      local pid=$! killed=0
      sleep "$d"
      { alive "$pid" && kill -KILL "$pid" && killed=1; wait_bounded "$pid" 30; rc=$?; } 2>/dev/null
      local what="kill -9 pgbackup restore at ${d}s (backup $id, compression: $comp)"
      if ((!killed)); then
        # It finished first: then the copy must start and hold the data.
        if [[ $rc -eq 0 ]]; then
          chown -R postgres:postgres "$dir"
          if as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$WORK/restore/killed-$comp-$d.log" -w -t 90 start >/dev/null 2>&1 &&
             [[ "$(as_postgres "$PG_BIN/psql" -X -At -h /tmp -p "$PORT" -d chaos -c 'SELECT count(*) FROM pgbench_accounts' 2>&1)" == "$ACCOUNTS" ]]; then
            record fault restore "$what" "$C_OK" "the restore finished (exit 0) before the kill; the copy starts and holds $ACCOUNTS accounts"
          else
            record fault restore "$what" "$C_VIOL" "the restore finished (exit 0) before the kill but the copy does not start/answer: $(tail -2 "$WORK/restore/killed-$comp-$d.log" 2>/dev/null | tr '\n' ' ')"
          fi
        else
          record fault restore "$what" "$C_VIOL" "the restore ended by itself before the kill: $(evidence "$rc" "$WORK/rk.err" "$cmd")"
        fi
        as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1
        rm -rf "$dir" "$WORK/restore/killed-$comp-$d.log"
        continue
      fi
      # Killed: the half-done copy must not start, and pgbackup must refuse to reuse it.
      local startlog="$WORK/restore/killed-$comp-$d.log" started=0 startmsg refuse_rc refusal
      if [[ ! -d "$dir" || -z "$(ls -A "$dir")" ]]; then
        # Nothing written: then the same directory must take a whole restore that starts.
        rm -rf "$dir"
        restore_one "$p" "$id" immediate "$PORT" 0 "$WORK/rk.res"
        RESTORES=$((RESTORES + 1))
        if [[ "$(cat "$WORK/rk.res")" == OK ]]; then
          record fault restore "$what" "$C_OK" "killed before it wrote anything into $dir; a restore --immediate --start into the same directory then completes and answers"
        else
          record fault restore "$what" "$C_VIOL" "killed before it wrote anything; the restore into the same directory afterwards: $(cat "$WORK/rk.res")"
        fi
        continue
      fi
      chown -R postgres:postgres "$dir"
      as_postgres touch "$startlog"
      if timeout -k 5 60 "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$dir" -l "$startlog" -w -t 30 \
           -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp" start >"$WORK/pgctl.out" 2>&1; then
        started=1
      fi
      startmsg="$(grep -E 'FATAL|PANIC|LOG:  (database system is ready|redo done|entering standby|consistent recovery)' "$startlog" 2>/dev/null | tail -2 | cut -c1-250 | tr '\n' ' ')"
      [[ -z "$startmsg" ]] && startmsg="$(tail -2 "$WORK/pgctl.out" | tr '\n' ' ' | cut -c1-250)"
      as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate -t 20 stop >/dev/null 2>&1
      timeout -k 5 60 "$PGB" restore --policy "$p" --backup "$id" --pgdata "$dir" --port "$PORT" >"$WORK/rr.out" 2>"$WORK/rr.err"; refuse_rc=$?
      refusal="$(grep -v '^\s*$' "$WORK/rr.err" | head -1 | cut -c1-200)"
      if ((started)); then
        record fault restore "$what" "$C_VIOL" "the half-done copy STARTED under pg_ctl start ($startmsg); re-restore: exit $refuse_rc ${refusal}"
      elif [[ $refuse_rc -ne 0 ]] && clean_error "$refuse_rc" "$WORK/rr.err" && grep -q -- "$dir" "$WORK/rr.err"; then
        record fault restore "$what" "$C_REFUSED" "pg_ctl start fails (${startmsg:-no log}); pgbackup restore into it: exit $refuse_rc: $refusal"
      else
        record fault restore "$what" "$C_VIOL" "pg_ctl start fails (${startmsg:-no log}) but re-restoring into it did not refuse cleanly: $(evidence "$refuse_rc" "$WORK/rr.err" "$cmd")"
      fi
      as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1
      rm -rf "$dir" "$startlog"
    done
  done
}

# ---------------------------------------------------------------------------------------------
# Phase: disk full on a local-directory repository (tmpfs)
# ---------------------------------------------------------------------------------------------
fill_tmpfs() { # leave about $1 bytes free on $TMPFS
  rm -f "$TMPFS/filler"
  local avail; avail=$(( $(stat -f -c '%a*%S' "$TMPFS") ))
  ((avail > $1)) && head -c $((avail - $1)) /dev/zero >"$TMPFS/filler" 2>/dev/null
  return 0
}

phase_diskfull() {
  TMPFS="$WORK/tmpfs"
  mkdir -p "$TMPFS"
  mount -t tmpfs -o size=256m,mode=0750 chaos-tmpfs "$TMPFS" || { record check diskfull "mount a 256 MiB tmpfs" "$C_VIOL" "mount failed"; TMPFS=""; return; }
  chgrp postgres "$TMPFS"; chmod 2750 "$TMPFS"
  local comp p before rc stored what
  for comp in server client; do
    p="$(write_policy "full$comp" "$comp" local "$TMPFS/$comp")"
    # About a third of what one backup stores is free: the backup must fail on ENOSPC.
    local nb; nb="$(list_ids "$([[ $comp == server ]] && echo "$P_SRV" || echo "$P_CLI")" | wc -w)"
    stored=$((8 << 20))
    ((nb > 0)) && stored=$(( $(du -sb "$WORK/repos/$([[ $comp == server ]] && echo srv || echo cli)" | cut -f1) / nb ))
    fill_tmpfs $((stored / 3))
    before="$(list_ids "$p")"
    mark
    what="disk full (~$((stored / 3 / 1024)) KiB free on a tmpfs) during pgbackup backup (compression: $comp)"
    timeout -k 5 180 "$PGB" backup --policy "$p" >"$WORK/df.out" 2>"$WORK/df.err"; rc=$?
    local listed; listed="$(new_ids "$before" "$(list_ids "$p")")"
    rm -f "$TMPFS/filler"
    if [[ $rc -eq 0 ]]; then
      settle_and_restore diskfull "$what" "$p" "$before" "the backup succeeded despite the full disk (exit 0)"
    elif clean_error "$rc" "$WORK/df.err" && [[ -z "$listed" ]]; then
      # Space is back: the next backup must clean the debris, succeed, and restore.
      local headline; headline="$(grep -m1 '^error:' "$WORK/df.err" | cut -c1-220)$(warnings_of "$WORK/df.err")"
      settle_and_restore diskfull "$what" "$p" "$before" "exit $rc: $headline" "$C_FAIL" \
        "exit $rc, nothing listed: $headline; with space back the next backup cleaned up and succeeded"
    else
      settle_and_restore diskfull "$what" "$p" "$before" "" "$C_VIOL" "$(evidence "$rc" "$WORK/df.err" "pgbackup backup --policy $(basename "$p")"); listed: ${listed:-nothing}"
    fi
  done
  # The archiver into a full repository, then space back and restarted: no gap.
  p="$(write_policy fullarc server local "$TMPFS/arc")"
  start_archiver "$p"
  sleep 3
  start_load
  fill_tmpfs $((256 * 1024))
  sleep 8
  local arc_state
  if alive "$ARCHIVER_PID"; then arc_state="the archiver kept running on the full disk"; else
    wait_bounded "$ARCHIVER_PID" 1; rc=$?
    arc_state="the archiver exited $rc: $(grep -m1 '^error:' "$WORK/logs/archive-fullarc.log" | cut -c1-200)"
  fi
  rm -f "$TMPFS/filler"
  stop_archiver
  start_archiver "$p"
  sleep 4
  local res; res="$(check_no_gap "$p")"
  stop_load
  stop_archiver
  what="disk full (256 KiB free) under pgbackup archive while pgbench writes; space freed, archiver restarted"
  if [[ $res == ok* ]]; then record fault diskfull "$what" "$C_OK" "$arc_state; after restart: ${res#ok }"
  else record fault diskfull "$what" "$C_VIOL" "$arc_state; after restart: ${res#gap }"; fi
  umount "$TMPFS" && TMPFS=""
  drop_slots
}

# ---------------------------------------------------------------------------------------------
# Phase: s3rver stopped mid-backup and mid-archive
# ---------------------------------------------------------------------------------------------
s3_stop() { local pid; pid="$(cat "$PGBACKUP_SANDBOX_DIR/pids/s3rver.pid" 2>/dev/null)"; alive "$pid" && kill -TERM "$pid"; wait_pid_gone "$pid"; }
wait_pid_gone() { local i; for ((i = 0; i < 50; i++)); do alive "$1" || return 0; sleep 0.2; done; kill -KILL "$1" 2>/dev/null; }
s3_start() { "$SANDBOX" up >>"$CHAOS/sandbox-up.log" 2>&1 || log "sandbox up (restarting s3rver) failed: see $CHAOS/sandbox-up.log"; }

phase_s3() {
  local comp p before rc d what headline
  for comp in server client; do
    [[ $comp == server ]] && p=$P_S3 || p=$P_S3C
    # A first backup there: its duration places the outage.
    mark
    local t; t=$(date +%s.%N)
    timeout -k 5 180 "$PGB" backup --policy "$p" >"$WORK/s3cal.out" 2>"$WORK/s3cal.err"; rc=$?
    t=$(python3 -c "print(max(0.5, round(($(date +%s.%N) - $t) * 0.4, 1)))")
    [[ $rc -eq 0 ]] || record check s3 "first backup into S3 ($comp)" "$C_VIOL" "$(evidence "$rc" "$WORK/s3cal.err" "pgbackup backup --policy $(basename "$p")")"
    before="$(list_ids "$p")"
    mark
    backup_bg "$p"
    sleep "$t"
    s3_stop
    sleep 3
    s3_start
    wait_bounded "$BK_PID" 180; rc=$?
    what="s3rver stopped ${t}s into pgbackup backup for 3 s, then restarted (compression: $comp)"
    local listed; listed="$(new_ids "$before" "$(list_ids "$p")")"
    if [[ $rc -eq 0 ]]; then
      settle_and_restore s3 "$what" "$p" "$before" "the backup rode out the outage (exit 0)"
    elif clean_error "$rc" "$BK_ERR" && [[ -z "$listed" ]]; then
      headline="exit $rc: $(grep -m1 '^error:' "$BK_ERR" | cut -c1-220)$(warnings_of "$BK_ERR")"
      settle_and_restore s3 "$what" "$p" "$before" "$headline" "$C_FAIL" "$headline; nothing listed; the next backup succeeded"
    else
      settle_and_restore s3 "$what" "$p" "$before" "" "$C_VIOL" "$(evidence "$rc" "$BK_ERR" "$BK_CMD"); listed: ${listed:-nothing}"
    fi
  done
  # Mid-archive: the archiver streams into S3 while pgbench writes; s3rver goes away for 3 s, then 10 s.
  p=$P_S3
  start_archiver "$p"
  start_load
  sleep 4
  for d in 3 10; do
    s3_stop
    sleep "$d"
    s3_start
    sleep 5
    local arc_state="the archiver survived"
    if ! alive "$ARCHIVER_PID"; then
      wait_bounded "$ARCHIVER_PID" 1; rc=$?
      arc_state="the archiver exited $rc ($(grep -m1 '^error:' "$WORK/logs/archive-s3.log" | cut -c1-160)); restarted"
      start_archiver "$p"; sleep 4
    fi
    local res; res="$(check_no_gap "$p")"
    what="s3rver stopped for ${d}s under pgbackup archive while pgbench writes, then restarted"
    if [[ $res == ok* ]]; then record fault s3 "$what" "$C_OK" "$arc_state; ${res#ok }"
    else record fault s3 "$what" "$C_VIOL" "$arc_state; ${res#gap }"; fi
  done
  stop_load
  # The WAL archived across both outages replays: the default target of the newest backup reaches a row written now.
  check_archive_replays s3 "$p" "(S3) after the archiver's outages"
  stop_archiver
  drop_slots
}

# ---------------------------------------------------------------------------------------------
# Phase: kill -9 of pgbackup archive while pgbench writes
# ---------------------------------------------------------------------------------------------
phase_archive() {
  local p=$P_ARC d rc res what
  start_archiver "$p"
  sleep 4
  mark
  timeout -k 5 180 "$PGB" backup --policy "$p" >"$WORK/arcb.out" 2>"$WORK/arcb.err"; rc=$?
  [[ $rc -eq 0 ]] || record check archive "backup into the archived repository" "$C_VIOL" "$(evidence "$rc" "$WORK/arcb.err" "pgbackup backup --policy $(basename "$p")")"
  start_load
  for d in 0.5 1 1.5 2 3 5 8 12; do
    stop_archiver          # graceful; the kill below comes $d s after a fresh start
    start_archiver "$p"
    sleep "$d"
    what="kill -9 pgbackup archive ${d}s after its start while pgbench writes; restarted"
    local was_alive=1
    { if alive "$ARCHIVER_PID"; then kill -KILL "$ARCHIVER_PID"; else was_alive=0; fi
      wait_bounded "$ARCHIVER_PID" 10 >/dev/null; } 2>/dev/null
    ARCHIVER_PID=""
    start_archiver "$p"
    sleep 3
    res="$(check_no_gap "$p")"
    if ((!was_alive)); then record fault archive "$what" "$C_VIOL" "the archiver had already exited before the kill (see its log); ${res#* }"
    elif [[ $res == ok* ]]; then record fault archive "$what" "$C_OK" "${res#ok }; restores: the phase's check row"
    else record fault archive "$what" "$C_VIOL" "${res#gap }"; fi
  done
  # Every segment written across the kills replays.
  stop_load
  check_archive_replays archive "$p" "after 8 archiver kills"
  # the archiver keeps running into the switch phase
}

# ---------------------------------------------------------------------------------------------
# Phase: switchover / failover during archiving and during a backup
# ---------------------------------------------------------------------------------------------
phase_switch() {
  local p=$P_ARC verb res what rc before retry
  alive "$ARCHIVER_PID" || start_archiver "$p"
  start_load
  for verb in switchover failover; do
    sleep 3
    "$SANDBOX" "$verb" >"$WORK/logs/$verb-arc.log" 2>&1; rc=$?
    sleep 5
    res="$(check_no_gap "$p")"
    what="scripts/sandbox.sh $verb during pgbackup archive while pgbench writes"
    if [[ $rc -ne 0 ]]; then record fault switch "$what" "$C_VIOL" "the sandbox's $verb itself failed (exit $rc): $(tail -1 "$WORK/logs/$verb-arc.log")"
    elif [[ $res == ok* ]]; then record fault switch "$what" "$C_OK" "new leader $(tail -1 "$WORK/logs/$verb-arc.log"); ${res#ok }"
    else record fault switch "$what" "$C_VIOL" "${res#gap }"; fi
  done
  stop_load
  check_archive_replays switch "$p" "(timeline 1) across the switchover and failover"
  stop_archiver   # its repository (with history files and a .partial) is the corruption phase's subject

  p=$P_SRV
  for verb in switchover failover; do
    for retry in "" "--retry 1"; do
      before="$(list_ids "$p")"
      mark
      # shellcheck disable=SC2086
      backup_bg "$p" $retry
      sleep 1
      "$SANDBOX" "$verb" >"$WORK/logs/$verb-bk.log" 2>&1
      wait_bounded "$BK_PID" 180; rc=$?
      what="scripts/sandbox.sh $verb 1 s into pgbackup backup${retry:+ $retry}"
      local listed; listed="$(new_ids "$before" "$(list_ids "$p")")"
      if [[ $rc -eq 0 ]]; then
        settle_and_restore switch "$what" "$p" "$before" "the backup completed (exit 0): $(grep -m1 '^backup ' "$BK_OUT" | cut -c1-160)"
      elif clean_error "$rc" "$BK_ERR" && [[ -z "$listed" ]]; then
        local headline; headline="exit $rc: $(grep -m1 '^error:' "$BK_ERR" | cut -c1-220)$(warnings_of "$BK_ERR")"
        settle_and_restore switch "$what" "$p" "$before" "$headline" "$C_FAIL" "$headline; nothing listed; the next backup succeeded"
      else
        settle_and_restore switch "$what" "$p" "$before" "" "$C_VIOL" "$(evidence "$rc" "$BK_ERR" "$BK_CMD"); listed: ${listed:-nothing}"
      fi
    done
  done
}

# ---------------------------------------------------------------------------------------------
# Phase: one flipped byte in each kind of stored object
# ---------------------------------------------------------------------------------------------
# flip FILE MODE: MODE middle (the byte in the middle, xor 0x01) or json:KEY (the last decimal digit of
# KEY's string value, xor 0x01, so it stays a digit and the JSON stays valid; a zstd-encoded document,
# as manifest.json is stored, is decoded, edited and encoded again, as a person editing it would). Prints the offset.
flip() {
  python3 - "$1" "$2" <<'PY'
import sys, re, subprocess
path, mode = sys.argv[1], sys.argv[2]
data = bytearray(open(path, 'rb').read())
encoded = mode != 'middle' and data[:4] == b'\x28\xb5\x2f\xfd'
if encoded:
    data = bytearray(subprocess.run(['zstd', '-dcq'], input=bytes(data), capture_output=True, check=True).stdout)
if mode == 'middle':
    off = len(data) // 2
else:
    key = mode.split(':', 1)[1].encode()
    m = re.search(rb'"' + re.escape(key) + rb'"\s*:\s*"([^"]*)"', data)
    if not m: sys.exit(f"no string value for {key!r}")
    digits = [m.start(1) + i for i, c in enumerate(m.group(1)) if 48 <= c <= 57]
    if not digits: sys.exit(f"no digit in {key!r}")
    off = digits[-1]
data[off] ^= 0x01
if encoded:
    data = subprocess.run(['zstd', '-cq'], input=bytes(data), capture_output=True, check=True).stdout
open(path, 'wb').write(data)
print(off)
PY
}

corrupt_one() { # corrupt_one KIND SOURCE_REPO_DIR RELATIVE_KEY MODE
  local kind=$1 src=$2 key=$3 mode=$4 dst p off rc what
  dst="$WORK/corrupt/$(tr -c 'a-z0-9\n' '-' <<<"$kind" | tr -s '-')"
  rm -rf "$dst"; mkdir -p "$dst"
  cp -a "$src/." "$dst/"
  p="$(write_policy "corrupt$(tr -cd 'a-z' <<<"$kind")" server local "$dst")"
  what="one flipped byte in $kind ($key)"
  if ! off="$(flip "$dst/sandbox/$key" "$mode" 2>&1)"; then
    record check corrupt "$what" "$C_VIOL" "the script could not flip a byte: $off"; return
  fi
  timeout -k 5 300 "$PGB" verify --policy "$p" --all >"$WORK/v.out" 2>"$WORK/v.err"; rc=$?
  local named=0 base; base="$(basename "$key")"
  grep -qF -- "$key" "$WORK/v.out" "$WORK/v.err" && named=1
  ((named)) || { grep -qF -- "$base" "$WORK/v.out" "$WORK/v.err" && named=1; }
  local said; said="$(cat "$WORK/v.out" "$WORK/v.err" | grep -F -- "$base" | head -1 | cut -c1-220)"
  if [[ $rc -ne 0 && $named -eq 1 ]]; then
    record fault corrupt "$what" "$C_REFUSED" "byte $off; verify --all exit $rc: $said"
  else
    record fault corrupt "$what" "$C_VIOL" "byte $off flipped; verify --all exit $rc$( ((named)) && echo ", names it" || echo ", does not name $base"); output: $(cat "$WORK/v.out" "$WORK/v.err" | grep -v '^\s*$' | tail -3 | tr '\n' ' ' | cut -c1-300); command: pgbackup verify --policy $(basename "$p") --all"
  fi
  rm -rf "$dst"
}

phase_corrupt() {
  local arc="$WORK/repos/arc" cli="$WORK/repos/cli" rc id seg
  # A drill writes the drill report into the archived repository.
  mkdir -p "$WORK/drill" && chown postgres:postgres "$WORK/drill"
  timeout -k 5 300 "$PGB" drill --policy "$P_ARC" --scratch "$WORK/drill/scratch" >"$WORK/drill.out" 2>"$WORK/drill.err"; rc=$?
  log "drill: exit $rc: $(head -1 "$WORK/drill.out")"
  stop_restored_servers
  # Baselines: clean repositories verify clean (else nothing below means anything).
  local r
  for r in "$P_ARC" "$P_CLI"; do
    timeout -k 5 300 "$PGB" verify --policy "$r" --all >"$WORK/v0.out" 2>"$WORK/v0.err"; rc=$?
    if [[ $rc -eq 0 ]]; then record check corrupt "verify --all of the undamaged $(basename "$r" .yaml) repository" "$C_CHECK_OK" "exit 0"
    else record check corrupt "verify --all of the undamaged $(basename "$r" .yaml) repository" "$C_VIOL" "$(evidence "$rc" "$WORK/v0.err" "pgbackup verify --policy $(basename "$r") --all") $(tail -2 "$WORK/v0.out" | tr '\n' ' ')"; fi
  done
  local S="$arc/sandbox" k
  id="$(ls "$S/backups" | sort | tail -1)"
  pick() { (cd "$S" && ls -d $1 2>/dev/null | sort | sed -n "$2"); }
  k="$(pick "backups/$id/data/*.pack" 1p)";                     [[ -n $k ]] && corrupt_one "a pack (server-compressed backup)" "$arc" "$k" middle
  k="$(cd "$cli/sandbox" && ls -d backups/*/data/*.pack | sort | tail -1)"
  [[ -n $k ]] && corrupt_one "a pack (client chunks)" "$cli" "$k" middle
  local wals; wals="$(pick "backups/$id/wal/0*.zst" 'p' | grep -v history)"
  k="$(sed -n "$(( ($(wc -l <<<"$wals") + 1) / 2 ))p" <<<"$wals")"; [[ -n $k ]] && corrupt_one "a backup WAL segment" "$arc" "$k" middle
  k="backups/$id/backup_manifest.zst";                             corrupt_one "backup_manifest.zst" "$arc" "$k" middle
  k="backups/$id/manifest.json";                                   corrupt_one "manifest.json (a digit of endLsn)" "$arc" "$k" json:endLsn
  corrupt_one "manifest.json (the middle byte of its zstd object)" "$arc" "$k" middle
  corrupt_one "repo.json (a digit of systemIdentifier)" "$arc" repo.json json:systemIdentifier
  k="$(pick 'wal/0*/0*[0-9A-F].zst' '$p')";                         [[ -n $k ]] && corrupt_one "an archived WAL segment" "$arc" "$k" middle
  k="$(pick 'wal/0*/*.partial*' '$p')"
  if [[ -n $k ]]; then corrupt_one "a .partial segment" "$arc" "$k" middle
  else record check corrupt "one flipped byte in a .partial segment" "$C_VIOL" "no .partial object in the archived repository to corrupt: $(cd "$S" && ls wal/*/ | tail -3 | tr '\n' ' ')"; fi
  k="$(pick 'wal/*.history*' '$p')"
  if [[ -n $k ]]; then corrupt_one "a history file (archiver)" "$arc" "$k" middle
  else record check corrupt "one flipped byte in a history file" "$C_VIOL" "no history file in wal/ of the archived repository"; fi
  k="$(pick 'drills/*' '$p')"
  if [[ -n $k ]]; then corrupt_one "a drill report" "$arc" "$k" middle
  else record check corrupt "one flipped byte in a drill report" "$C_VIOL" "no drill report in the repository (drill: exit $rc: $(head -1 "$WORK/drill.err"))"; fi
}

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
write_report() {
  local elapsed=$((SECONDS - T0)) i v=0 n_ok=0 n_fail=0 n_ref=0 n_viol=0 checks=0 checks_viol=0
  for i in "${!R_CLASS[@]}"; do
    if [[ ${R_KIND[$i]} == fault ]]; then
      case "${R_CLASS[$i]}" in
        "$C_OK") n_ok=$((n_ok + 1)) ;; "$C_FAIL") n_fail=$((n_fail + 1)) ;;
        "$C_REFUSED") n_ref=$((n_ref + 1)) ;; *) n_viol=$((n_viol + 1)) ;;
      esac
    else
      checks=$((checks + 1)); [[ ${R_CLASS[$i]} == "$C_VIOL" ]] && checks_viol=$((checks_viol + 1))
    fi
  done
  VIOLATIONS=$((n_viol + checks_viol))
  local summary
  summary="faults injected: $N; $C_OK: $n_ok; $C_FAIL: $n_fail; $C_REFUSED: $n_ref; VIOLATION: $n_viol (plus $checks_viol of $checks follow-up checks); restores started: $RESTORES; $((elapsed / 60)) min $((elapsed % 60)) s"
  echo
  echo "chaos summary: $summary"

  local head="" marker='<!-- chaos.sh results: everything below this line is rewritten by scripts/chaos.sh -->'
  if [[ -f "$OUT" ]] && grep -qF "$marker" "$OUT"; then
    head="$(awk -v m="$marker" '{ print } $0 == m { exit }' "$OUT")"
  else
    head="# Reliability: PgBackup's fault suite

\`scripts/chaos.sh\` (run on demand as root; not part of \`scripts/test.sh\`) starts its own sandbox
(port base 15700, restored servers on 15750-15799), injects faults into backups, restores, the WAL
archiver, the cluster, the S3 endpoint and a local repository's disk, flips one byte in each kind of
stored object, and classifies every outcome:

- **completed and restores exactly** — the operation, or the next one after the fault, completed,
  nothing incomplete is listed, and every backup it listed restores with \`--immediate --start\` and
  with the default target and \`--start\`, the restored server answering with the expected rows
  (all pgbench accounts and a marker row written just before the backup, or after the archiver's faults);
- **failed cleanly with one error line and nothing listed** — exit 2-5, exactly one \`error:\` line,
  no new backup listed; and the next backup, once the fault is gone, cleans up and restores as above;
- **refused naming the damaged object** — \`verify --all\` exits non-zero and names the flipped object;
  for a killed restore: \`pg_ctl start\` on the half-done directory fails and \`pgbackup restore\` into
  it refuses with one error line naming it;
- **VIOLATION** — anything else, with its evidence (exit code, stderr, command).

The script exits 1 if any violation occurred. \"Checks\" are follow-up verifications that are not
faults themselves (baseline verify, restores across a whole phase); their violations count too.

Limits of the suite: kill moments are fractions of a calibrated clean run on a loaded 2-core machine,
so a late moment may land after the operation finished (the row then says so); the two restores of
one backup run in parallel; \"restores exactly\" means every pgbench account and the expected marker
row are there, not a byte-for-byte comparison; the archive faults' restores are the phase's check row;
empty backup directories left in a local repository are reported as a note, not as debris; S3 debris
is judged by \`list --all\` only; \`drill\` picks its own port (outside 15750-15799).

$marker"
  fi
  {
    printf '%s\n\n' "$head"
    echo "## Results of the last run"
    echo
    echo "- command: \`scripts/chaos.sh\` (CHAOS_SCALE=$SCALE, phases: $PHASES)"
    echo "- date: $STARTED_AT (took $((elapsed / 60)) min $((elapsed % 60)) s)"
    echo "- machine: $(hostname), $(nproc) cores, $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo), $(uname -sr), PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}'), .NET $(dotnet --version 2>/dev/null)"
    echo "- commit: $COMMIT (branch $(git -C "$REPO" rev-parse --abbrev-ref HEAD))"
    echo "- $summary"
    echo
    echo "| # | phase | fault | outcome | detail / evidence |"
    echo "|---|-------|-------|---------|-------------------|"
    local k=0 num
    for i in "${!R_CLASS[@]}"; do
      if [[ ${R_KIND[$i]} == fault ]]; then k=$((k + 1)); num=$k; else num="check"; fi
      local cls="${R_CLASS[$i]}"; [[ $cls == "$C_VIOL" ]] && cls="**VIOLATION**"
      printf '| %s | %s | %s | %s | %s |\n' "$num" "${R_PHASE[$i]}" "${R_FAULT[$i]//|/\\|}" "$cls" "$(printf '%s' "${R_DETAIL[$i]//|/\\|}" | tr '\n' ' ')"
    done
  } >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  log "wrote $OUT"
}

# ---------------------------------------------------------------------------------------------
mkdir -p "$CHAOS"
setup
for phase in $PHASES; do
  log "=== phase $phase ($((SECONDS - T0)) s so far, $N faults injected) ==="
  "phase_$phase"
done
VIOLATIONS=0
write_report
((VIOLATIONS == 0))
