#!/usr/bin/env bash
# The web UI end to end in headless Chromium (Debian's chromium + chromium-driver, Python selenium), against
# the real binary with the in-process model and the stand-in LLM. Screenshots of every step go to
# WORKDIR/screens (kept on failure for a look). Access tokens live 15 s (UI_TOKEN_TTL), so the UI refreshes them
# many times during the run, as it must without losing work.
#   scripts/ui.sh WORKDIR
set -uo pipefail
cd "$(dirname "$0")/.."
dir="$1"
mkdir -p "$dir"
bin=${HYPERION_BIN_DIR:-$(swift build --show-bin-path)}/hyperion
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 scripts/llm_standin.py "$dir/standin.port" >"$dir/standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 1 50); do [ -s "$dir/standin.port" ] && break; sleep 0.1; done
export HYPERION_EMBEDDING_MODEL_PATH="$(pwd)/data/models/all-MiniLM-L6-v2" HYPERION_LOG_FORMAT=json HYPERION_AUTH_BCRYPT_COST=10 \
  HYPERION_LLM_PROVIDERS=standin HYPERION_LLM_STANDIN_KIND=openai HYPERION_AUTH_ACCESS_TOKEN_TTL="${UI_TOKEN_TTL:-15}" \
  HYPERION_LLM_STANDIN_BASE_URL="http://127.0.0.1:$(cat "$dir/standin.port")/v1" HYPERION_LLM_STANDIN_MODEL=slowstream \
  HYPERION_SECRETS_MASTER_KEY="$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
"$bin" serve --port "$port" --data-dir "$dir/data" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill -9 $pid $standin_pid 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "server exited early:"; cat "$dir/server.log"; exit 1; }
  sleep 0.1
done
UI_TOKEN_TTL="${UI_TOKEN_TTL:-15}" UI_STANDIN="http://127.0.0.1:$(cat "$dir/standin.port")" UI_SERVER_LOG="$dir/server.log" \
  .venv/bin/python scripts/ui_checks.py "http://127.0.0.1:$port" "$dir/screens"
