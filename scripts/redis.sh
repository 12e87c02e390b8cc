#!/usr/bin/env bash
# Starts or stops a throwaway Redis (Debian's redis-server) on 127.0.0.1: a password, a plain port, a TLS port with a
# certificate authority made here, and a unix socket, so tests reach every kind of URL Hyperion accepts.
#   scripts/redis.sh start DIR   → prints the redis:// URL; DIR/env holds every URL as shell assignments
#   scripts/redis.sh stop DIR
#   scripts/redis.sh restart DIR → the same server again (same port, password and files), e.g. after a stop
set -euo pipefail
cmd="$1"; dir="$2"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
case "$cmd" in
  start|restart)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$cmd" = restart ]; then
      # shellcheck disable=SC1091
      . "$dir/env"
      port=$REDIS_PORT; tls_port=$REDIS_TLS_PORT; password=$REDIS_PASSWORD
    else
      port=$(free_port); tls_port=$(free_port)
      password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    fi
    ( cd "$dir"
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=Hyperion test CA" 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > ext.cnf
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext.cnf 2>/dev/null )
    redis-server --port "$port" --bind 127.0.0.1 --requirepass "$password" \
      --tls-port "$tls_port" --tls-cert-file "$dir/server.crt" --tls-key-file "$dir/server.key" \
      --tls-ca-cert-file "$dir/ca.crt" --tls-auth-clients no \
      --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
      --save '' --appendonly no --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
    for _ in $(seq 1 100); do
      redis-cli -h 127.0.0.1 -p "$port" -a "$password" --no-auth-warning ping 2>/dev/null | grep -q PONG && break
      sleep 0.1
    done
    redis-cli -h 127.0.0.1 -p "$port" -a "$password" --no-auth-warning ping | grep -q PONG || { echo "Redis did not start" >&2; exit 1; }
    cat > "$dir/env" <<ENV
REDIS_URL='redis://:$password@127.0.0.1:$port/0'
REDIS_TLS_URL='rediss://:$password@127.0.0.1:$tls_port/0'
REDIS_CA='$dir/ca.crt'
REDIS_SOCKET_URL='unix://$dir/redis.sock?password=$password'
REDIS_PORT=$port
REDIS_TLS_PORT=$tls_port
REDIS_PASSWORD=$password
ENV
    echo "redis://:$password@127.0.0.1:$port/0"
    ;;
  stop)
    if [ -f "$dir/redis.pid" ]; then
      pid=$(cat "$dir/redis.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/redis.pid"
    fi
    ;;
  *) echo "usage: $0 start|stop|restart DIR" >&2; exit 2 ;;
esac
