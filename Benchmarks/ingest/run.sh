#!/usr/bin/env bash
# End-to-end ingestion of the SciFact corpus through the HTTP API (each abstract one document) against the
# time sentence-transformers needs just to embed the same texts, in the same run.
#   LIMIT=1000 ./run.sh         # first 1,000 abstracts instead of all 5,183
#   PYTHON=/path/to/python      # with torch + sentence-transformers (default: .venv-embed-bench, as make bench-embedding)
set -euo pipefail
cd "$(dirname "$0")/../.."
LIMIT=${LIMIT:-0}
MODEL=${MODEL:-data/models/all-MiniLM-L6-v2}
[ -f "$MODEL/model.safetensors" ] || { echo "model missing at $MODEL: run  make models" >&2; exit 1; }
PYTHON=${PYTHON:-.venv-embed-bench/bin/python}
if [ ! -x "$PYTHON" ]; then
    python3 -m venv .venv-embed-bench
    wheel=$(ls /opt/wheels/torch-*cpu*.whl 2>/dev/null | head -n1 || true)
    .venv-embed-bench/bin/pip install --disable-pip-version-check -q ${wheel:-torch} sentence-transformers
    PYTHON=.venv-embed-bench/bin/python
fi
swift build -c release --product hyperion >&2
work=$(mktemp -d /tmp/hyperion-ingest-bench.XXXXXX)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HYPERION_EMBEDDING_MODEL_PATH="$(pwd)/$MODEL" HYPERION_LOG_LEVEL=warning HYPERION_AUTH_BCRYPT_COST=10 \
  .build/release/hyperion serve --port "$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
echo "== Hyperion: upload + extract + chunk + embed + index over HTTP" >&2
ours=$(python3 Benchmarks/ingest/driver.py "http://127.0.0.1:$port" "$pid" "$LIMIT")
echo "== sentence-transformers: embedding alone" >&2
peer=$("$PYTHON" Benchmarks/ingest/peer.py "$MODEL" "$LIMIT" 2> >(grep -v "Loading weights" >&2))
python3 - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = o["seconds"] / p["seconds"]
print(f"documents              {o['documents']}")
print(f"Hyperion pipeline      {o['seconds']:.1f} s  ({o['documents'] / o['seconds']:.1f} docs/s, {o['chunks']} chunks, peak RSS {o['peak_rss_mb']:.0f} MB)")
print(f"peer embedding only    {p['seconds']:.1f} s  ({p['documents'] / p['seconds']:.1f} docs/s, torch {p['torch']})")
print(f"ratio                  {ratio:.2f}x the peer's embedding time  (goal <= 0.8x: {'met' if ratio <= 0.8 else 'NOT met'})")
PY
