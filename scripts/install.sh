#!/usr/bin/env bash
# Publishes the pgbackup executable into PREFIX (default ~/.local) and links it onto PATH:
#   scripts/install.sh            -> ~/.local/bin/pgbackup
#   PREFIX=/usr/local scripts/install.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${PREFIX:-$HOME/.local}"
dest="$prefix/lib/pgbackup"
dotnet publish "$root/src/PgBackup.Cli/PgBackup.Cli.csproj" -c Release -o "$dest" --nologo -v quiet
mkdir -p "$prefix/bin"
ln -sf "$dest/pgbackup" "$prefix/bin/pgbackup"
echo "installed $prefix/bin/pgbackup"
