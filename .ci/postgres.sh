#!/usr/bin/env bash
# Install PostgreSQL from Debian's packages, start a throwaway server on 127.0.0.1 and print its
# SQLAlchemy URL on stdout, for CI to export as TWINLEDGER_TEST_POSTGRES_URL:
#
#   export TWINLEDGER_TEST_POSTGRES_URL="$(.ci/postgres.sh)"
#   .ci/postgres.sh stop        # stops the server started by this script
#
# The server trusts local connections and keeps its data in $TWINLEDGER_PG_DIR: test data only.
set -euo pipefail

PORT="${TWINLEDGER_PG_PORT:-55432}"
DATA_DIR="${TWINLEDGER_PG_DIR:-/tmp/twinledger-postgres}"
DB_USER="twinledger"

log() { echo "postgres.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# initdb and postgres refuse to run as root, so root runs them as the packages' postgres user.
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

BIN="$(find_bin)"
if [ "${1:-start}" = "stop" ]; then
    if [ -n "$BIN" ] && [ -f "$DATA_DIR/postmaster.pid" ]; then
        as_server_user "$BIN/pg_ctl" -D "$DATA_DIR" -m fast -w stop >&2
    else
        log "no server running in $DATA_DIR"
    fi
    exit 0
fi

if [ -z "$BIN" ]; then
    log "installing PostgreSQL from the Debian packages"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN="$(find_bin)"
fi

if [ ! -f "$DATA_DIR/PG_VERSION" ]; then
    mkdir -p "$DATA_DIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DATA_DIR"; fi
    as_server_user "$BIN/initdb" -D "$DATA_DIR" -U "$DB_USER" --auth=trust --encoding=UTF8 >&2
fi

if ! as_server_user "$BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then
    as_server_user "$BIN/pg_ctl" -D "$DATA_DIR" -l "$DATA_DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA_DIR" start >&2
fi

log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') listens on 127.0.0.1:$PORT"
echo "postgresql+psycopg://$DB_USER@127.0.0.1:$PORT/postgres"
