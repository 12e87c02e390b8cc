#!/usr/bin/env bash
# Starts or stops a throwaway Chroma (PyPI chromadb, REST API v2) on 127.0.0.1 and a free port.
#   scripts/chroma.sh start DIR   → prints the http:// URL once the server answers its heartbeat
#   scripts/chroma.sh stop DIR
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(pwd)/.venv-chroma"
cmd="$1"; dir="$2"
case "$cmd" in
  install)
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -c "import chromadb" 2>/dev/null \
      || "$venv/bin/pip" install -q --disable-pip-version-check "chromadb==1.5.9"
    ;;
  start)
    "$0" install "$dir"
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ANONYMIZED_TELEMETRY=False setsid "$venv/bin/chroma" run --host 127.0.0.1 --port "$port" --path "$dir/data" >"$dir/server.log" 2>&1 &
    echo $! > "$dir/pid"
    for _ in $(seq 1 300); do
      curl -fsS "http://127.0.0.1:$port/api/v2/heartbeat" >/dev/null 2>&1 && { echo "http://127.0.0.1:$port"; exit 0; }
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
      sleep 0.1
    done
    echo "chroma did not answer within 30 s" >&2; exit 1
    ;;
  stop)
    [ -f "$dir/pid" ] && kill -TERM "$(cat "$dir/pid")" 2>/dev/null || true
    ;;
  *) echo "usage: $0 install|start|stop DIR" >&2; exit 2 ;;
esac
