#!/usr/bin/env bash
# Publishes the pgbackup executable into OUTDIR (default artifacts/pgbackup): Release, ReadyToRun
# (precompiled: a short command like `list` or `wal-fetch` starts in about half the time),
# framework-dependent on the installed .NET runtime.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
out="${1:-$root/artifacts/pgbackup}"
dotnet publish "$root/src/PgBackup.Cli/PgBackup.Cli.csproj" -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true -o "$out" --nologo -v quiet
chmod -R a+rX "$out"   # a restored server (user postgres) runs it as restore_command
echo "$out/pgbackup"
