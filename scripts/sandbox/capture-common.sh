# Sourced by the capture-*-samples.sh scripts: the running PostgreSQL 17+ sandbox's endpoints, its
# binaries ($BIN), libpq variables pointing at its leader as superuser, and say().
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
SB="$REPO/scripts/sandbox.sh"
STATE="$(realpath -m "${PGBACKUP_SANDBOX_DIR:-$REPO/.sandbox}")"
# shellcheck disable=SC1091
source "$STATE/endpoints.env"
[[ "$SANDBOX_PG_MAJOR" -ge 17 ]] || { echo "error: capture: the sandbox runs PostgreSQL $SANDBOX_PG_MAJOR; incremental backups need 17+ (up --pg 17)" >&2; exit 2; }
BIN="$SANDBOX_PG_BIN"
leader_port="$("$SB" psql -X -At -c "SHOW port")"
export PGHOST=127.0.0.1 PGPORT="$leader_port" PGUSER="$SANDBOX_SUPERUSER" PGPASSWORD="$SANDBOX_SUPERUSER_PASSWORD"
say() { echo "capture: $*" >&2; }
