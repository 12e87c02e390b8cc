#!/usr/bin/env bash
# The hardening issue's hostile inputs against a release build: request and job times, /health latency meanwhile,
# resident memory. EMBEDDING=hashing measures everything but the model (the default embeds with the real model).
#   Benchmarks/hardening/run.sh [links word docx headings]
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${MODEL:-data/models/all-MiniLM-L6-v2}
swift build -c release --product hyperion >&2
work=$(mktemp -d /tmp/hyperion-hardening.XXXXXX)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "${EMBEDDING:-model}" = hashing ]; then export HYPERION_EMBEDDING_PROVIDER=hashing
else [ -f "$MODEL/model.safetensors" ] || { echo "model missing at $MODEL: run  make models" >&2; exit 1; }
     export HYPERION_EMBEDDING_MODEL_PATH="$(pwd)/$MODEL"; fi
HYPERION_LOG_LEVEL=warning HYPERION_AUTH_BCRYPT_COST=10 HYPERION_UPLOAD_MAX_FILE_SIZE=$((50 << 20)) \
  .build/release/hyperion serve --port "$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
echo "embedding: ${EMBEDDING:-model}; $(.build/release/hyperion version | tail -n1)"
python3 Benchmarks/hardening/hostile.py "http://127.0.0.1:$port" "$pid" "$@"
