#!/usr/bin/env bash
# Runs every test (unit + integration) against one sandbox: up, dotnet test, always down.
# Exit status is dotnet test's. Same PGBACKUP_SANDBOX_* variables as scripts/sandbox.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

cleanup() {
  echo "test: bringing the sandbox down" >&2
  "$REPO/scripts/sandbox.sh" down || echo "warning: scripts/sandbox.sh down failed" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$SECONDS
"$REPO/scripts/sandbox.sh" up
echo "test: sandbox up in $((SECONDS - start))s" >&2

# The log is kept so that the failures can be repeated at the very end, where CI's tail shows them.
log="$(mktemp /tmp/pgbackup-test.XXXXXX.log)"
rc=0
dotnet test PgBackup.sln -c Release --logger "console;verbosity=normal" 2>&1 | tee "$log" || rc=$?
if ((rc)); then
  echo "test: failed tests, each with the start of its error message:" >&2
  awk '/^ +Failed [A-Za-z]/ { show = 8 } show > 0 { print; show-- }' "$log" >&2
fi
rm -f "$log"
echo "test: dotnet test exited with $rc" >&2
exit "$rc"
