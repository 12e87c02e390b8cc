#!/usr/bin/env bash
# A cluster on loopback, as a user would deploy it: PostgreSQL, Redis, two Hyperion instances and nginx in front.
#   scripts/cluster.sh up [DIR]     → starts everything (DIR defaults to .cluster) and prints nginx's URL
#   scripts/cluster.sh down [DIR]   → stops everything
#   scripts/cluster.sh restart-instance a|b [DIR]   → starts an instance again (after a crash or a kill)
# Environment: HYPERION_BIN (the hyperion binary; default: a debug build, built when missing), CLUSTER_PORT (nginx,
# default 8080), and any HYPERION_* key, passed to both instances (e.g. HYPERION_RATE_LIMIT_REQUESTS_PER_MINUTE).
# CLUSTER_DATABASE_URL and CLUSTER_REDIS_URL use servers already running (an empty database; Redis is shared through
# a key prefix of the cluster's own) instead of starting PostgreSQL and Redis.
# DIR/env holds every address and secret; DIR/*.log the logs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cmd="${1:-}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {  # wait_ready URL NAME
  for _ in $(seq 1 300); do curl -fsS "$1/ready" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "$2 did not become ready (see its log)" >&2; return 1
}

start_instance() {  # start_instance a|b
  local name="$1"
  # shellcheck disable=SC1091
  . "$dir/env"
  local port_var="PORT_${name^^}"
  local port="${!port_var}"
  mkdir -p "$dir/$name"
  HYPERION_DATABASE_URL="$PG_URL" HYPERION_REDIS_URL="$REDIS_URL" HYPERION_REDIS_KEY_PREFIX="$REDIS_PREFIX" HYPERION_AUTH_JWT_SECRET="$JWT_SECRET" \
  HYPERION_HTTP_TRUSTED_PROXIES="127.0.0.1" HYPERION_EMBEDDING_MODEL_PATH="${HYPERION_EMBEDDING_MODEL_PATH:-$root/data/models/all-MiniLM-L6-v2}" \
  HYPERION_FILES_DIR="$dir/files" HYPERION_LOG_FORMAT=json HYPERION_JOBS_STALE_AFTER="${HYPERION_JOBS_STALE_AFTER:-15}" \
    nohup "$BIN" serve --host 127.0.0.1 --port "$port" --data-dir "$dir/$name" >>"$dir/$name.log" 2>&1 &
  echo $! > "$dir/$name.pid"
  wait_ready "http://127.0.0.1:$port" "instance $name" || { tail -n 20 "$dir/$name.log" >&2; return 1; }
}

case "$cmd" in
  up)
    dir=$(mkdir -p "${2:-.cluster}" && cd "${2:-.cluster}" && pwd)
    chmod 755 "$dir"
    scripts/ensure-system.sh cluster >/dev/null
    bin="${HYPERION_BIN:-}"
    if [ -z "$bin" ]; then
      swift build --product hyperion >/dev/null
      bin="$(swift build --show-bin-path)/hyperion"
    fi
    [ -x "$bin" ] || { echo "no hyperion binary at $bin" >&2; exit 1; }
    [ -d "$root/data/models/all-MiniLM-L6-v2" ] || "$bin" models pull --data-dir "$root/data" >/dev/null
    pg_url="${CLUSTER_DATABASE_URL:-}"
    [ -n "$pg_url" ] || pg_url=$(scripts/postgres.sh start "$dir/pg")
    redis_url="${CLUSTER_REDIS_URL:-}"
    [ -n "$redis_url" ] || redis_url=$(scripts/redis.sh start "$dir/redis")
    nginx_port="${CLUSTER_PORT:-8080}"
    cat > "$dir/env" <<ENV
BIN='$bin'
PG_URL='$pg_url'
REDIS_URL='$redis_url'
REDIS_PREFIX='cluster-$(python3 -c 'import secrets; print(secrets.token_hex(4))'):'
JWT_SECRET='$(python3 -c 'import secrets; print(secrets.token_hex(32))')'
PORT_A=$(free_port)
PORT_B=$(free_port)
NGINX_PORT=$nginx_port
URL='http://127.0.0.1:$nginx_port'
ENV
    # shellcheck disable=SC1091
    . "$dir/env"
    start_instance a
    start_instance b
    mkdir -p "$dir/nginx-tmp"
    cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log $dir/nginx-access.log;
  client_body_temp_path $dir/nginx-tmp/body;
  proxy_temp_path $dir/nginx-tmp/proxy;
  fastcgi_temp_path $dir/nginx-tmp/fastcgi;
  uwsgi_temp_path $dir/nginx-tmp/uwsgi;
  scgi_temp_path $dir/nginx-tmp/scgi;
  upstream hyperion {
    server 127.0.0.1:$PORT_A max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$PORT_B max_fails=1 fail_timeout=5s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    # Hyperion's own limit (upload.max_request_size, 200 MB) answers first with its envelope.
    client_max_body_size 210m;
    location / {
      proxy_pass http://hyperion;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      # Hyperion trusts this header from 127.0.0.1 only (http.trusted_proxies): throttling and the audit log see the client.
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      # Server-sent events (answers, progress) go out as they come; uploads stream through.
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_connect_timeout 5s;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
      # Another instance takes a request whose instance is down (nginx never retries a POST that reached one).
      proxy_next_upstream error timeout http_502;
    }
  }
}
CONF
    nginx -p "$dir" -c "$dir/nginx.conf"
    wait_ready "$URL" nginx
    echo "$URL"
    ;;
  restart-instance)
    dir=$(cd "${3:-.cluster}" && pwd)
    [ -f "$dir/${2}.pid" ] && kill -9 "$(cat "$dir/${2}.pid")" 2>/dev/null || true
    start_instance "$2"
    ;;
  down)
    dir="${2:-.cluster}"
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd)
    [ -f "$dir/nginx.pid" ] && nginx -p "$dir" -c "$dir/nginx.conf" -s quit 2>/dev/null || true
    for name in a b; do
      if [ -f "$dir/$name.pid" ]; then
        pid=$(cat "$dir/$name.pid"); kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/$name.pid"
      fi
    done
    scripts/redis.sh stop "$dir/redis" || true
    scripts/postgres.sh stop "$dir/pg" || true
    ;;
  *) echo "usage: $0 up|down [DIR] | restart-instance a|b [DIR]" >&2; exit 2 ;;
esac
