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

rc=0
dotnet test PgBackup.sln -c Release --logger "console;verbosity=normal" || rc=$?
echo "test: dotnet test exited with $rc" >&2
exit "$rc"
