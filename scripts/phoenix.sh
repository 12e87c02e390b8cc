#!/usr/bin/env bash
# Starts or stops a throwaway Arize Phoenix (PyPI `arize-phoenix`) reachable on 127.0.0.1 only.
#   scripts/phoenix.sh start DIR   → prints its base URL (UI, REST API and OTLP/HTTP at /v1/traces) once it answers
#   scripts/phoenix.sh stop DIR
# Phoenix's gRPC collector binds every interface whatever PHOENIX_HOST says, so Phoenix runs in a network namespace
# of its own with only loopback; scripts/nsfwd.py forwards a free port of the host's 127.0.0.1 to its HTTP port.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(pwd)/.venv-phoenix"
cmd="$1"; dir="$2"
ns="hyperion-phoenix-$(printf '%s' "$(realpath -m "$dir")" | md5sum | cut -c1-8)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
case "$cmd" in
  install)
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    [ -x "$venv/bin/phoenix" ] || "$venv/bin/pip" install -q --disable-pip-version-check "arize-phoenix>=12,<21"
    ;;
  start)
    "$0" install "$dir"
    "$0" stop "$dir"
    mkdir -p "$dir/work"
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    PHOENIX_WORKING_DIR="$dir/work" PHOENIX_HOST=127.0.0.1 PHOENIX_PORT=6006 PHOENIX_TELEMETRY_ENABLED=false \
      setsid ip netns exec "$ns" "$venv/bin/phoenix" serve >"$dir/server.log" 2>&1 &
    echo $! > "$dir/pid"
    port=$(free_port)
    setsid python3 scripts/nsfwd.py "$ns" "$port:6006" >"$dir/forward.log" 2>&1 &
    echo $! > "$dir/forward.pid"
    for _ in $(seq 1 1200); do
      if curl -fsS -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then echo "http://127.0.0.1:$port"; exit 0; fi
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then cat "$dir/server.log" >&2; exit 1; fi
      sleep 0.1
    done
    echo "phoenix did not answer within 120 s" >&2; tail -20 "$dir/server.log" >&2; exit 1
    ;;
  stop)
    [ -f "$dir/forward.pid" ] && { kill "$(cat "$dir/forward.pid")" 2>/dev/null || true; rm -f "$dir/forward.pid"; }
    if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid"; fi
    if ip netns list | grep -qw "$ns"; then
      for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null || true; done
      sleep 0.2
      ip netns del "$ns"
    fi
    rm -rf "$dir/work"
    ;;
  *) echo "usage: $0 install|start|stop DIR" >&2; exit 2 ;;
esac
