#!/usr/bin/env bash
# Tracing cost: three release servers on the same SciFact abstracts — tracing off, on at sampling 0.1, on at 1.0 —
# exporting over OTLP/HTTP to a do-nothing receiver (a collector elsewhere), measured in interleaved rounds:
# GET /api/v1/auth/me throughput under wrk and the p50 latency of questions (extractive, query cache off).
#   make bench-tracing     (ROUNDS=5 DURATION=8s LIMIT=300 QUESTIONS=60 by default)
#   BASELINE_BIN=path/to/older/hyperion   adds that build, untraced, as the first column of the ratios
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${MODEL:-data/models/all-MiniLM-L6-v2}
[ -f "$MODEL/model.safetensors" ] || { echo "model missing at $MODEL: run  make models" >&2; exit 1; }
swift build -c release --product hyperion >&2
work=$(mktemp -d /tmp/hyperion-tracing-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
python3 Benchmarks/tracing/sink.py "$work/sink.port" & pids+=("$!")
for _ in $(seq 1 50); do [ -s "$work/sink.port" ] && break; sleep 0.1; done
sink="http://127.0.0.1:$(cat "$work/sink.port")"
servers=()
start() {  # start NAME BINARY [VAR=VALUE…]
  local name="$1" bin="$2"; shift 2
  local port; port=$(free_port)
  env HYPERION_EMBEDDING_MODEL_PATH="$(pwd)/$MODEL" HYPERION_LOG_LEVEL=warning HYPERION_LOG_ACCESS=false HYPERION_AUTH_BCRYPT_COST=10 \
    HYPERION_QUERY_CACHE_SIZE=0 HYPERION_RATE_LIMIT_REQUESTS_PER_MINUTE=0 "$@" \
    "$bin" serve --port "$port" --data-dir "$work/$name" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  servers+=("$name=http://127.0.0.1:$port")
}
[ -n "${BASELINE_BIN:-}" ] && start baseline "$BASELINE_BIN"
start off .build/release/hyperion
start sampled-0.1 .build/release/hyperion HYPERION_TRACING_OTLP_ENDPOINT="$sink" HYPERION_TRACING_SAMPLE_RATIO=0.1
start sampled-1.0 .build/release/hyperion HYPERION_TRACING_OTLP_ENDPOINT="$sink" HYPERION_TRACING_SAMPLE_RATIO=1
python3 Benchmarks/tracing/driver.py "${ROUNDS:-5}" "${DURATION:-8s}" "${LIMIT:-300}" "${QUESTIONS:-60}" "${servers[@]}"
echo "OTLP receiver: $(curl -fsS "$sink/stats")"
