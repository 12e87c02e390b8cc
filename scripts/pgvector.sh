#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 16 with the pgvector extension, on 127.0.0.1 and a free port.
#   scripts/pgvector.sh start DIR   → prints the postgres:// URL
#   scripts/pgvector.sh stop DIR
# Debian 12 packages no pgvector for its PostgreSQL 15; PyPI's `pgserver` bundles PostgreSQL 16 with pgvector 0.6.
# It goes into .venv-pgvector (with psycopg, the bench's reference client). Root may not run PostgreSQL, so the
# cluster belongs to the `postgres` system user; the bundled binaries (34 MB) are copied into DIR, since that user
# may not reach the checkout (a clone under a private temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(pwd)/.venv-pgvector"
cmd="$1"; dir="$2"
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "cd / && $*"; else bash -c "$*"; fi; }
case "$cmd" in
  install)
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -c "import pgserver, psycopg" 2>/dev/null \
      || "$venv/bin/pip" install -q --disable-pip-version-check "pgserver==0.1.4" "psycopg[binary]>=3.1,<4"
    ;;
  start)
    "$0" install "$dir"
    mkdir -p "$dir"
    # The binaries find their libraries at $ORIGIN/../../../pgserver.libs: keep that layout.
    site=$(ls -d "$venv"/lib/python3*/site-packages | head -1)
    mkdir -p "$dir/pkg/pgserver"
    cp -a "$site/pgserver/pginstall" "$dir/pkg/pgserver/"
    cp -a "$site/pgserver.libs" "$dir/pkg/"
    bin="$dir/pkg/pgserver/pginstall/bin"
    if [ "$(id -u)" -eq 0 ]; then chmod -R o+rX "$dir/pkg"; chown postgres "$dir"; chmod 755 "$dir"; fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "'$bin/initdb' -D '$dir/pgdata' -A trust -U postgres >'$dir/initdb.log' 2>&1"
    as_pg "'$bin/pg_ctl' -D '$dir/pgdata' -o \"-k '$dir' -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" -l '$dir/server.log' -w start >/dev/null"
    as_pg "'$bin/psql' -h '$dir' -p $port -U postgres -d postgres -qc 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null"
    echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
  stop)
    [ -d "$dir/pgdata" ] && as_pg "'$dir/pkg/pgserver/pginstall/bin/pg_ctl' -D '$dir/pgdata' -m fast -w stop >/dev/null 2>&1" || true
    ;;
  *) echo "usage: $0 install|start|stop DIR" >&2; exit 2 ;;
esac
