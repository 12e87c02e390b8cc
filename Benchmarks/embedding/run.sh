#!/usr/bin/env bash
# Builds the Swift benchmark in release, runs it and the sentence-transformers peer with the same
# settings, and prints the figures side by side with their ratios.
#   LIMIT=500 ./run.sh          # first 500 SciFact abstracts instead of all 5,183
#   THREADS=2 QUERY_COUNT=200   # defaults
#   PYTHON=/path/to/python      # a Python with torch + sentence-transformers (default: .venv, created if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${THREADS:-2}
QUERY_COUNT=${QUERY_COUNT:-200}
LIMIT=${LIMIT:-}
MODEL=${MODEL:-data/models/all-MiniLM-L6-v2}

if [ ! -f "$MODEL/model.safetensors" ]; then
    echo "model missing at $MODEL: run  make models  (or: hyperion models pull)" >&2
    exit 1
fi

PYTHON=${PYTHON:-.venv-embed-bench/bin/python}
if [ ! -x "$PYTHON" ]; then
    # CPU-only torch: prefer a wheel already on the machine; PyPI's default Linux torch drags in CUDA.
    python3 -m venv .venv-embed-bench
    wheel=$(ls /opt/wheels/torch-*cpu*.whl 2>/dev/null | head -n1 || true)
    .venv-embed-bench/bin/pip install --disable-pip-version-check -q ${wheel:-torch} sentence-transformers
    PYTHON=.venv-embed-bench/bin/python
fi

swift build -c release --product hyperion-embed-bench >&2
args=(--model "$MODEL" --threads "$THREADS" --query-count "$QUERY_COUNT")
if [ -n "$LIMIT" ]; then args+=(--limit "$LIMIT"); fi

echo "== hyperion-embed-bench" >&2
swift_json=$(.build/release/hyperion-embed-bench "${args[@]}")
echo "== sentence-transformers peer" >&2
peer_json=$("$PYTHON" Benchmarks/embedding/peer.py "${args[@]}" 2> >(grep -v "Loading weights" >&2))

python3 - "$swift_json" "$peer_json" <<'PY'
import json, sys
s, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'measure':<22}{'swift':>12}{'peer':>12}{'ratio':>10}")
for key, label, better in [("docs_per_s", "documents/s", "higher"), ("gflops", "GFLOP/s", "higher"),
                           ("query_p50_ms", "query p50 ms", "lower"), ("query_p99_ms", "query p99 ms", "lower"),
                           ("rss_added_mb", "RSS added MB", "lower")]:
    ratio = s[key] / p[key] if p[key] else float("nan")
    print(f"{label:<22}{s[key]:>12.2f}{p[key]:>12.2f}{ratio:>9.2f}x")
print(f"documents: {s['documents']}, threads: {s['threads']}, torch {p.get('torch')}")
goals = [("docs/s >= 1.2x peer", s["docs_per_s"] >= 1.2 * p["docs_per_s"]),
         ("query p50 <= 5 ms", s["query_p50_ms"] <= 5), ("RSS added <= 120 MB", s["rss_added_mb"] <= 120)]
for name, ok in goals:
    print(f"goal {name}: {'met' if ok else 'NOT met'}")
PY
