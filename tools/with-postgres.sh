#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server, then stop it, even on failure.
#
#   tools/with-postgres.sh COMMAND [ARGS...]
#
# Finds initdb and pg_ctl (PATH, then /usr/lib/postgresql/*/bin); when they are missing
# and this runs as root, installs Debian's `postgresql` package with apt-get. Then
# initialises a cluster in a temporary folder, starts it on a unix socket in that folder
# and on a free TCP port of 127.0.0.1, creates the database `antq_test`, exports
#   ANTQ_TEST_POSTGRES_URL=postgresql+psycopg://USER@127.0.0.1:PORT/antq_test
# and runs COMMAND. The server is stopped and the folder removed when the script exits,
# however it exits. As root, the server runs as the `postgres` user (PostgreSQL refuses
# to run as root).
#
# If the server cannot start, the reason is printed. Under CI (CI=true) the script then
# fails; elsewhere it runs COMMAND without ANTQ_TEST_POSTGRES_URL, and the PostgreSQL
# tests skip, saying why (ANTQ_TEST_POSTGRES_SKIP holds the reason).
set -euo pipefail

log() { echo "== postgres: $*" >&2; }

unavailable() {
    log "cannot start a PostgreSQL server: $1"
    trap - EXIT
    if [[ "${CI:-}" == "true" ]]; then
        log "CI=true: PostgreSQL tests must run, so this is a failure"
        exit 1
    fi
    export ANTQ_TEST_POSTGRES_SKIP="$1"
    shift
    exec "$@"
}

find_bindir() {
    local initdb
    if initdb=$(command -v initdb 2>/dev/null) && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$initdb")"
        return 0
    fi
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

if ! BINDIR=$(find_bindir); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "initdb not found: installing Debian's postgresql package"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2; then
            unavailable "apt-get install postgresql failed" "$@"
        fi
        BINDIR=$(find_bindir) || unavailable "postgresql installed, but no initdb found" "$@"
    else
        unavailable "initdb and pg_ctl not found (install PostgreSQL, or run as root to let this script install it)" "$@"
    fi
fi

RUN_AS=()
OWNER=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    RUN_AS=(runuser -u postgres --)
    OWNER=postgres
fi

PGTMP=$(mktemp -d "${TMPDIR:-/tmp}/antq-pg.XXXXXX")
chmod 755 "$PGTMP"
[[ $(id -u) -eq 0 ]] && chown postgres "$PGTMP"
PGDATA="$PGTMP/data"
STARTED=0

cleanup() {
    local rc=$?
    if [[ $STARTED -eq 1 ]]; then
        "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
        log "stopped"
    fi
    rm -rf "$PGTMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port: ask the kernel for one, then let the server take it.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

if ! "${RUN_AS[@]}" "$BINDIR/initdb" -D "$PGDATA" -U "$OWNER" -A trust -E UTF8 --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1 \
    && ! "${RUN_AS[@]}" "$BINDIR/initdb" -D "$PGDATA" -U "$OWNER" -A trust -E UTF8 --no-locale >"$PGTMP/initdb.log" 2>&1; then
    cat "$PGTMP/initdb.log" >&2
    rm -rf "$PGTMP"
    unavailable "initdb failed (its output is above)" "$@"
fi

OPTS="-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$PGTMP"
OPTS+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
if ! "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -o "$OPTS" -l "$PGTMP/server.log" -w -t 60 start >/dev/null 2>&1; then
    cat "$PGTMP/server.log" >&2 || true
    rm -rf "$PGTMP"
    unavailable "pg_ctl start failed (the server log is above)" "$@"
fi
STARTED=1

if ! "${RUN_AS[@]}" "$BINDIR/createdb" -h "$PGTMP" -p "$PORT" -U "$OWNER" antq_test >&2 2>&1; then
    log "createdb failed"
    exit 1
fi

export ANTQ_TEST_POSTGRES_URL="postgresql+psycopg://$OWNER@127.0.0.1:$PORT/antq_test"
log "running on 127.0.0.1:$PORT ($BINDIR), ANTQ_TEST_POSTGRES_URL=$ANTQ_TEST_POSTGRES_URL"
set +e
"$@"
rc=$?
set -e
exit $rc
