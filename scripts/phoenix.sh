#!/usr/bin/env bash
# Starts or stops a throwaway Arize Phoenix (PyPI `arize-phoenix`) reachable on 127.0.0.1 only.
#   scripts/phoenix.sh start DIR   → prints its base URL (UI, REST API and OTLP/HTTP at /v1/traces) once it answers
#   scripts/phoenix.sh stop DIR
# Phoenix's gRPC collector binds every interface whatever PHOENIX_HOST says, so Phoenix runs in a network namespace
# of its own with only loopback (scripts/netns.sh), its HTTP port forwarded to the host's 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/netns.sh
venv="$(pwd)/.venv-phoenix"
cmd="$1"; dir="$2"
ns=$(ns_name phoenix "$dir")
case "$cmd" in
  install)
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    [ -x "$venv/bin/phoenix" ] || "$venv/bin/pip" install -q --disable-pip-version-check "arize-phoenix>=12,<21"
    ;;
  start)
    "$0" install "$dir"
    "$0" stop "$dir"
    mkdir -p "$dir/work"
    ns_create "$ns"
    PHOENIX_WORKING_DIR="$dir/work" PHOENIX_HOST=127.0.0.1 PHOENIX_PORT=6006 PHOENIX_TELEMETRY_ENABLED=false \
      setsid ip netns exec "$ns" "$venv/bin/phoenix" serve >"$dir/server.log" 2>&1 &
    echo $! > "$dir/pid"
    port=$(free_port)
    ns_forward "$ns" "$dir" "$port:6006"
    for _ in $(seq 1 1200); do
      if curl -fsS -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then echo "http://127.0.0.1:$port"; exit 0; fi
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then cat "$dir/server.log" >&2; exit 1; fi
      sleep 0.1
    done
    echo "phoenix did not answer within 120 s" >&2; tail -20 "$dir/server.log" >&2; exit 1
    ;;
  stop)
    if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid"; fi
    ns_remove "$ns" "$dir"
    rm -rf "$dir/work"
    ;;
  *) echo "usage: $0 install|start|stop DIR" >&2; exit 2 ;;
esac
