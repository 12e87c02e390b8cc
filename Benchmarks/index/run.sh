#!/usr/bin/env bash
# Scale benchmark of the in-process retrieval engine (HyperionIndex) against hnswlib, faiss-cpu
# (IndexFlatIP, IndexHNSWFlat), usearch and bm25s, all measured in this run on the same data, one thread,
# one query at a time, with the libraries' timed passes interleaved (compare.py) so they share the load
# of a shared machine. "hyperion" is LocalVectorIndex with its HNSW graph, "hyperion-flat" the same type
# kept on its exact (BLAS) path. Build time, memory, recall@10 against exact search and queries/s at each
# efSearch, and the save + load (cold, then warm) of every persisted index; then BM25 against bm25s on
# SciFact. Prints the tables with ratios and writes them to $OUT (default Benchmarks/index/results.md).
#   SIZES="100000 300000"   synthetic clustered sizes (FULL=1 adds 1000000; SIZES="" skips them)
#   M=16 EF_CONSTRUCTION=100 EFS=10,12,16,20,24,28,32,36,40,48,56,64,80,96,128 PASSES=7
#   LIBS="hnswlib faiss-hnsw faiss-flat usearch usearch-bf16"   peers to run;  SKIP_BM25=1  SKIP_SCIFACT=1
#   CLOCK=cpu|wall   report process CPU time (default: steadier on a shared machine) or wall clock
#   SKIP_LOAD=1   no save / load measurement (LOADS=3: one cold load, then warm ones)
#   PYTHON=/path/to/python   a Python with the peers (default: .venv-index-bench, created if missing)
#   HYPERION=/path/to/hyperion   the server binary for `hyperion embed` (default: .build/release/hyperion,
#       built when the SciFact vectors are not cached yet)   JOBS=1   swift build -j
#   OUT=path   where the Markdown report goes (default Benchmarks/index/results.md)
#   INDEX_BENCH=/path/to/hyperion-index-bench   a prebuilt bench binary instead of building this tree's
#   CANDIDATE_BENCH=/path/to/hyperion-index-bench   also measure this one (e.g. a branch) in the same run, as
#       "candidate" (CANDIDATE_LABEL names it in the table)
# SciFact sentence vectors come from `hyperion embed` once and are cached in Benchmarks/index/.cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=Benchmarks/index
CACHE=$HERE/.cache
M=${M:-16}
EF_CONSTRUCTION=${EF_CONSTRUCTION:-100}
EFS=${EFS:-10,12,16,20,24,28,32,36,40,48,56,64,80,96,128}
PASSES=${PASSES:-7}
LIBS=${LIBS:-hnswlib faiss-hnsw faiss-flat usearch usearch-bf16}
if [ "${FULL:-0}" = 1 ]; then SIZES=${SIZES-100000 300000 1000000}; else SIZES=${SIZES-100000 300000}; fi
MODEL=${MODEL:-data/models/all-MiniLM-L6-v2}
SCIFACT=${SCIFACT:-../shared/data/scifact}
OUT=${OUT:-$HERE/results.md}
HYPERION=${HYPERION:-.build/release/hyperion}
LOADS=${LOADS:-3}
PERSIST_DIR=$CACHE; [ "${SKIP_LOAD:-0}" = 1 ] && PERSIST_DIR=""
jobs=(); [ -n "${JOBS:-}" ] && jobs=(-j "$JOBS")
mkdir -p "$CACHE"

PYTHON=${PYTHON:-.venv-index-bench/bin/python}
if ! "$PYTHON" -c "import hnswlib, faiss, usearch, bm25s, Stemmer, numpy" 2>/dev/null; then
    # hnswlib ships no wheels: pip compiles it (with -march=native), which needs a C++ compiler.
    if ! command -v g++ >/dev/null; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends build-essential python3-dev
    fi
    [ -x .venv-index-bench/bin/python ] || python3 -m venv .venv-index-bench
    .venv-index-bench/bin/pip install --disable-pip-version-check -q numpy faiss-cpu usearch bm25s PyStemmer hnswlib
    PYTHON=.venv-index-bench/bin/python
fi

# The embedding cache needs the server binary once; the bench target alone builds in a minute.
if [ "${SKIP_SCIFACT:-0}" != 1 ] && [ ! -s "$CACHE/scifact-sentences.f32" -o ! -s "$CACHE/scifact-claims.f32" ]; then
    if [ ! -f "$MODEL/model.safetensors" ]; then
        echo "model missing at $MODEL: run  make models  (or: hyperion models pull)" >&2
        exit 1
    fi
    [ -x "$HYPERION" ] || swift build -c release --product hyperion "${jobs[@]}" >&2
fi
if [ -z "${INDEX_BENCH:-}" ]; then
    swift build -c release --product hyperion-index-bench "${jobs[@]}" >&2
    INDEX_BENCH=.build/release/hyperion-index-bench
fi
# One thread on our side too: the exact search's BLAS would otherwise use every core.
export OPENBLAS_NUM_THREADS=1

results=$CACHE/results-$(date +%Y%m%d-%H%M%S).jsonl
: > "$results"
echo "== raw results: $results" >&2

vector_run() {  # dataset-name vectors queries truth
    "$PYTHON" "$HERE/compare.py" --results "$results" --dataset "$1" --vectors "$2" --queries "$3" --ground-truth "$4" \
        --bench "$INDEX_BENCH" --candidate "${CANDIDATE_BENCH:-}" --python "$PYTHON" --libs "hyperion hyperion-flat $LIBS" \
        --m "$M" --ef-construction "$EF_CONSTRUCTION" --ef "$EFS" --passes "$PASSES" \
        --persist-dir "$PERSIST_DIR" --loads "$LOADS"
}

if [ "${SKIP_SCIFACT:-0}" != 1 ]; then
    "$PYTHON" "$HERE/prepare.py" scifact --hyperion "$HYPERION" --model "$MODEL" \
        --corpus "$SCIFACT/corpus.jsonl" --queries "$SCIFACT/queries.train.jsonl" --out-dir "$CACHE"
    vector_run scifact-sentences "$CACHE/scifact-sentences.f32" "$CACHE/scifact-claims.f32" "$CACHE/scifact-sentences.gt.i32"
fi

for n in $SIZES; do
    "$PYTHON" "$HERE/prepare.py" synthetic --n "$n" --out-dir "$CACHE"
    vector_run "clustered-$n" "$CACHE/clustered-$n.f32" "$CACHE/clustered-queries.f32" "$CACHE/clustered-$n.gt.i32"
done

if [ "${SKIP_BM25:-0}" != 1 ]; then
    echo "== bm25: hyperion" >&2
    "$INDEX_BENCH" bm25 --corpus "$SCIFACT/corpus.jsonl" --queries "$SCIFACT/queries.train.jsonl" \
        --passes "$PASSES" --results-out "$CACHE/bm25-hyperion.jsonl" >> "$results"
    echo "== bm25: bm25s" >&2
    "$PYTHON" "$HERE/peer.py" bm25 --corpus "$SCIFACT/corpus.jsonl" --queries "$SCIFACT/queries.train.jsonl" \
        --passes "$PASSES" --results-out "$CACHE/bm25-bm25s.jsonl" >> "$results"
fi

"$PYTHON" "$HERE/report.py" "$results" --clock "${CLOCK:-cpu}" --candidate-label "${CANDIDATE_LABEL:-candidate build}" --bm25-results "$CACHE/bm25-hyperion.jsonl" "$CACHE/bm25-bm25s.jsonl" \
    --out "$OUT"
