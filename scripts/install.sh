#!/usr/bin/env bash
# Publishes the pgbackup executable into PREFIX (default ~/.local) and links it onto PATH:
#   scripts/install.sh            -> ~/.local/bin/pgbackup
#   PREFIX=/usr/local scripts/install.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
prefix="${PREFIX:-$HOME/.local}"
"$root/scripts/publish.sh" "$prefix/lib/pgbackup" >/dev/null
mkdir -p "$prefix/bin"
ln -sf "$prefix/lib/pgbackup/pgbackup" "$prefix/bin/pgbackup"
echo "installed $prefix/bin/pgbackup"
