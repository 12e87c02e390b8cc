#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 from Debian's package, on 127.0.0.1 and a free port.
#   scripts/postgres.sh start DIR   → prints the postgres:// URL
#   scripts/postgres.sh stop DIR
# Root may not run PostgreSQL, so the cluster belongs to the `postgres` system user.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
cmd="$1"; dir="$2"
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "cd / && $*"; else bash -c "$*"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$bin/initdb -D '$dir/pgdata' -A trust -U postgres >'$dir/initdb.log' 2>&1"
    as_pg "$bin/pg_ctl -D '$dir/pgdata' -o \"-k '$dir' -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=500\" -l '$dir/server.log' -w start >/dev/null"
    echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
  stop)
    [ -d "$dir/pgdata" ] && as_pg "$bin/pg_ctl -D '$dir/pgdata' -m fast -w stop >/dev/null 2>&1" || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
