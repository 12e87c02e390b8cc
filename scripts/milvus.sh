#!/usr/bin/env bash
# Starts or stops a throwaway Milvus 2.3 (PyPI `milvus`, the embedded standalone server) reachable on 127.0.0.1 only.
#   scripts/milvus.sh start DIR   → prints host:port of its gRPC API once it answers
#   scripts/milvus.sh stop DIR
# Milvus binds every interface and has no listen-address option, so it runs in a network namespace of its own with
# only loopback (scripts/netns.sh). Each start gets a new namespace and empty data (a restart on old data can meet
# stale etcd sessions and panic).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/netns.sh
venv="$(pwd)/.venv-milvus"
cmd="$1"; dir="$2"
ns=$(ns_name milvus "$dir")
case "$cmd" in
  install)
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    [ -x "$venv/bin/milvus-server" ] || "$venv/bin/pip" install -q --disable-pip-version-check "milvus==2.3.5"
    ;;
  start)
    "$0" install "$dir"
    "$0" stop "$dir"
    mkdir -p "$dir"
    ns_create "$ns"
    # A strong read waits for the next time tick, about twice proxy.timeTickInterval: 20 ms instead of the default
    # 200 ms makes searches answer in ~40 ms instead of ~400 ms (for ~10 % of a core while idle).
    PYTHONUNBUFFERED=1 setsid ip netns exec "$ns" "$venv/bin/milvus-server" --data "$dir" --proxy-port 19530 \
      --extra-config proxy.timeTickInterval=20 ${MILVUS_EXTRA_CONFIG:-} >"$dir/server.log" 2>&1 &
    echo $! > "$dir/pid"
    port=$(free_port); health=$(free_port)
    ns_forward "$ns" "$dir" "$port:19530" "$health:9091"
    for _ in $(seq 1 1200); do
      if curl -fsS -m 2 "http://127.0.0.1:$health/healthz" 2>/dev/null | grep -q OK \
         && curl -sS -m 2 "http://127.0.0.1:$port/v1/vector/collections" 2>/dev/null | grep -q '"code":200'; then
        echo "127.0.0.1:$port"; exit 0
      fi
      # The wrapper does not exit when its server dies: look for the server's panic too.
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null || grep -qs '^panic:' "$dir/logs/milvus-stderr.log"; then
        cat "$dir/server.log" >&2; tail -20 "$dir/logs/milvus-stderr.log" >&2 || true; exit 1
      fi
      sleep 0.1
    done
    echo "milvus did not answer within 120 s" >&2; exit 1
    ;;
  stop)
    # SIGINT is the wrapper's own clean stop (SIGTERM would orphan the server).
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid"); kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/pid"
    fi
    ns_remove "$ns" "$dir"
    # Kept: DIR/bin (the unpacked server, 246 MB, reused by the next start).
    rm -rf "$dir/data" "$dir/logs" "$dir/configs" "$dir/run"
    ;;
  *) echo "usage: $0 install|start|stop DIR" >&2; exit 2 ;;
esac
