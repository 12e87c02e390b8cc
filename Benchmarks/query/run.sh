#!/usr/bin/env bash
# End-to-end question answering over HTTP with the extractive answerer (no LLM): SciFact abstracts
# ingested through the API, then the 809 train claims asked one at a time (latency p50/p95/p99) and by
# 16 concurrent clients (queries/s). The query cache is off, so every query retrieves and answers.
#   LIMIT=1000 ./run.sh      # abstracts ingested (0 = all 5,183)
#   CLIENTS=16 SECONDS=20    # concurrency phase
set -euo pipefail
cd "$(dirname "$0")/../.."
LIMIT=${LIMIT:-1000}
MODEL=${MODEL:-data/models/all-MiniLM-L6-v2}
[ -f "$MODEL/model.safetensors" ] || { echo "model missing at $MODEL: run  make models" >&2; exit 1; }
swift build -c release --product hyperion >&2
work=$(mktemp -d /tmp/hyperion-query-bench.XXXXXX)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HYPERION_EMBEDDING_MODEL_PATH="$(pwd)/$MODEL" HYPERION_LOG_LEVEL=warning HYPERION_LOG_ACCESS=false HYPERION_AUTH_BCRYPT_COST=10 \
  HYPERION_QUERY_CACHE_SIZE=0 .build/release/hyperion serve --port "$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
python3 Benchmarks/query/driver.py "http://127.0.0.1:$port" "$LIMIT" "${CLIENTS:-16}" "${SECONDS_PER_PHASE:-20}"
