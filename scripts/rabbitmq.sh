#!/usr/bin/env bash
# Starts or stops a throwaway RabbitMQ 3.10 (Debian's rabbitmq-server) on 127.0.0.1: its own node name, epmd, ports,
# Erlang cookie, config and data under DIR, and one user with a random password (no guest user), vhost "/".
# Besides the plain AMQP port it listens for AMQP over TLS (amqps://) on a second port, with a certificate authority
# made here (DIR/ca.crt, which clients trust) and a server certificate for IP:127.0.0.1 and DNS:localhost.
#   scripts/rabbitmq.sh start DIR    → prints the amqp:// URL; DIR/env holds it, RABBITMQ_TLS_URL, RABBITMQ_CA and their
#                                      parts as shell assignments
#   scripts/rabbitmq.sh stop DIR     → stops this DIR's beam.smp and epmd (by their own pids, nobody else's)
#   scripts/rabbitmq.sh restart DIR  → the same server again (same ports, node, user, password, certificates and
#                                      data), e.g. after a stop: messages in durable queues survive
#   scripts/rabbitmq.sh ctl DIR ARGS → rabbitmqctl against this node, e.g. `ctl DIR list_queues name messages`
# As root, RabbitMQ runs as the `rabbitmq` user (DIR is chowned to it): every directory above DIR must let it through
# (e.g. `chmod 755` a mktemp -d directory).
set -euo pipefail
cmd="$1"; dir="$2"
bin=/usr/lib/rabbitmq/bin
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Prefix that runs a program as the rabbitmq user when we are root (environment kept; it execs, no extra process).
as_rabbitmq=()
if [ "$(id -u)" -eq 0 ]; then as_rabbitmq=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups --); fi
# Kills a pid recorded in FILE if it is still the named program (never a reused pid), waiting up to ~60 s.
stop_pid() {
  local file="$1" name="$2" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}
stop_all() {
  # SIGTERM makes RabbitMQ shut down cleanly (queues and message store flushed); the wrapper shell then exits.
  stop_pid "$dir/rabbitmq.pid" beam.smp
  stop_pid "$dir/server.pid" rabbitmq-server
  stop_pid "$dir/epmd.pid" epmd
}
# The environment every RabbitMQ program here (server, epmd, rabbitmqctl) runs with: nothing from /etc/rabbitmq.
rabbitmq_env() {
  export HOME="$dir/home"   # holds .erlang.cookie, shared by the server and rabbitmqctl
  export RABBITMQ_BASE="$dir"
  export RABBITMQ_CONF_ENV_FILE="$dir/etc/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$dir/etc/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/etc/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/etc/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  export RABBITMQ_NODENAME="$node"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$port"
  export RABBITMQ_DIST_PORT="$dist_port"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_EPMD_PORT="$epmd_port"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}
load_env() {
  # shellcheck disable=SC1091
  . "$dir/env"
  port=$RABBITMQ_PORT; dist_port=$RABBITMQ_NODE_DIST_PORT; epmd_port=$RABBITMQ_EPMD_PORT; node=$RABBITMQ_NODE
  user=$RABBITMQ_USER; password=$RABBITMQ_PASSWORD
  tls_port=${RABBITMQ_TLS_PORT:-}   # empty in an env written before the TLS listener existed: a new port is picked
}
# A certificate authority (ca.crt) and a server certificate it signs (server.crt, server.key) in DIR, valid 2 days.
make_certificates() {
  ( cd "$dir"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=Hyperion test CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
      -extfile ext.cnf 2>/dev/null
    rm -f server.csr ext.cnf ca.srl
    chmod 644 ca.crt server.crt )   # the keys stay 600 (chowned to rabbitmq with DIR when root)
}
# True once the TLS port completes a handshake whose certificate chains to DIR/ca.crt and names 127.0.0.1 (the last
# attempt's output is kept in DIR/log/tls-check.out for `fail`).
tls_ready() {
  timeout 5 openssl s_client -connect "127.0.0.1:$1" -CAfile "$dir/ca.crt" -verify_ip 127.0.0.1 \
    -verify_return_error < /dev/null > "$dir/log/tls-check.out" 2>&1
}
# True once the broker answers an AMQP 0-9-1 protocol header with a Connection.Start method frame.
amqp_ready() {
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
    s.sendall(b"AMQP\x00\x00\x09\x01")
    sys.exit(0 if s.recv(1) == b"\x01" else 1)
PY
}
fail() {
  echo "RabbitMQ did not start: $1" >&2
  tail -n 20 "$dir/log/epmd.out" "$dir/log/server.out" "$dir/log/$node.log" "$dir/log/tls-check.out" >&2 2>/dev/null || true
  stop_all
  exit 1
}
case "$cmd" in
  start|restart)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$cmd" = restart ]; then
      load_env
      stop_all
    else
      port=$(free_port); dist_port=$(free_port); epmd_port=$(free_port); tls_port=$(free_port)
      node="hyperion-$(python3 -c 'import secrets; print(secrets.token_hex(4))')@localhost"
      user=hyperion
      password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    fi
    [ -n "$tls_port" ] || tls_port=$(free_port)
    # A fresh start makes new certificates; a restart keeps the ones it finds (clients keep trusting the same CA).
    if [ "$cmd" = start ] || [ ! -f "$dir/ca.crt" ] || [ ! -f "$dir/server.crt" ] || [ ! -f "$dir/server.key" ]; then
      make_certificates
    fi
    mkdir -p "$dir/etc" "$dir/home" "$dir/mnesia" "$dir/log"
    : > "$dir/etc/rabbitmq-env.conf"
    echo '[].' > "$dir/etc/enabled_plugins"
    # The user is made on first boot (fresh database) from default_user/default_pass, so there is never a guest user.
    cat > "$dir/etc/rabbitmq.conf" <<CONF
default_user = $user
default_pass = $password
default_vhost = /
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
default_user_tags.administrator = true
disk_free_limit.absolute = 10MB
vm_memory_high_watermark.relative = 0.8
log.console = false
log.file.level = info
listeners.ssl.default = 127.0.0.1:$tls_port
ssl_options.cacertfile = $dir/ca.crt
ssl_options.certfile = $dir/server.crt
ssl_options.keyfile = $dir/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF
    chmod 600 "$dir/etc/rabbitmq.conf"
    if [ ! -f "$dir/home/.erlang.cookie" ]; then
      python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_uppercase) for _ in range(32)), end="")' \
        > "$dir/home/.erlang.cookie"
    fi
    chmod 400 "$dir/home/.erlang.cookie"
    if [ "$(id -u)" -eq 0 ]; then
      chown -R rabbitmq:rabbitmq "$dir"
      "${as_rabbitmq[@]}" test -w "$dir" \
        || { echo "RabbitMQ: the rabbitmq user cannot write $dir (chmod 755 the directories above it)" >&2; exit 1; }
    fi
    rabbitmq_env
    cd "$dir"
    # Our own epmd on its own port, in the foreground (no -daemon) so that its pid is ours to stop.
    setsid "${as_rabbitmq[@]}" epmd -address 127.0.0.1 -port "$epmd_port" > "$dir/log/epmd.out" 2>&1 < /dev/null &
    echo $! > "$dir/epmd.pid"
    for _ in $(seq 1 50); do epmd -port "$epmd_port" -names > /dev/null 2>&1 && break; sleep 0.1; done
    epmd -port "$epmd_port" -names > /dev/null 2>&1 || fail "epmd did not listen on 127.0.0.1:$epmd_port"
    # The sh wrapper runs beam.smp as its child and writes beam's pid to RABBITMQ_PID_FILE.
    setsid "${as_rabbitmq[@]}" "$bin/rabbitmq-server" > "$dir/log/server.out" 2>&1 < /dev/null &
    echo $! > "$dir/server.pid"
    # await TRIES CHECK ARG: polls CHECK every 0.2 s while the server lives; false when it never answered.
    await() {
      local tries="$1"; shift
      for _ in $(seq 1 "$tries"); do
        "$@" && return 0
        kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || fail "the server exited"
        sleep 0.2
      done
      return 1
    }
    await 300 amqp_ready "$port" || fail "no AMQP answer on 127.0.0.1:$port within 60 s"
    await 150 tls_ready "$tls_port" || fail "no TLS handshake on 127.0.0.1:$tls_port within 30 s"
    cat > "$dir/env" <<ENV
RABBITMQ_URL='amqp://$user:$password@127.0.0.1:$port/%2F'
RABBITMQ_TLS_URL='amqps://$user:$password@127.0.0.1:$tls_port/%2F'
RABBITMQ_CA='$dir/ca.crt'
RABBITMQ_PORT=$port
RABBITMQ_TLS_PORT=$tls_port
RABBITMQ_USER=$user
RABBITMQ_PASSWORD=$password
RABBITMQ_VHOST=/
RABBITMQ_NODE=$node
RABBITMQ_NODE_DIST_PORT=$dist_port
RABBITMQ_EPMD_PORT=$epmd_port
ENV
    echo "amqp://$user:$password@127.0.0.1:$port/%2F"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    stop_all
    ;;
  ctl)
    dir=$(cd "$dir" && pwd)
    load_env
    rabbitmq_env
    shift 2
    cd "$dir"
    exec "${as_rabbitmq[@]}" "$bin/rabbitmqctl" "$@"
    ;;
  *) echo "usage: $0 start|stop|restart DIR | ctl DIR ARGS..." >&2; exit 2 ;;
esac
