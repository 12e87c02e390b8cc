#!/usr/bin/env bash
# Vector stores on SciFact (train queries): the embedded index files, pgvector, Milvus and Chroma, measured in one run with
# `hyperion eval beir` (release build). For each store: nDCG@10 / Recall@10 of hybrid, vector and keyword retrieval,
# the time to copy the corpus into the engine (vectors) and into the store's keyword postings, and per-query
# search latency p50/p95 through Hyperion's index seam; then the same vector queries through each engine's own
# Python client (psycopg, pymilvus, chromadb) on the same tables, for Hyperion's overhead over the engine itself, and each
# engine's recall@10 against exact search. Engines are started here on 127.0.0.1 and stopped after.
#   SCIFACT=../shared/data/scifact   OUT=Benchmarks/stores/results.md   STORES="local pgvector milvus chroma"
# The corpus embeddings are computed once and cached in Benchmarks/stores/.cache (index files of the local store);
# the last run's eval results stay in Benchmarks/stores/.cache/run (report.py can print them again).
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=Benchmarks/stores
CACHE=$HERE/.cache
SCIFACT=${SCIFACT:-../shared/data/scifact}
OUT=${OUT:-$HERE/results.md}
STORES=${STORES:-local pgvector milvus chroma}
mkdir -p "$CACHE"
work=$(mktemp -d /tmp/hyperion-stores.XXXXXX)
chmod 755 "$work"
results=$CACHE/run
rm -rf "$results"; mkdir -p "$results"
cleanup() {
  scripts/pgvector.sh stop "$work/pgvector" || true; scripts/chroma.sh stop "$work/chroma" || true
  scripts/milvus.sh stop "$work/milvus" || true; rm -rf "$work"
}
trap cleanup EXIT INT TERM

swift build -c release --product hyperion
bin=.build/release/hyperion
.build/release/hyperion models pull --data-dir data >/dev/null
pg=$(scripts/pgvector.sh start "$work/pgvector")
chroma=$(scripts/chroma.sh start "$work/chroma")
milvus=$(scripts/milvus.sh start "$work/milvus")
qrels=$(ls "$SCIFACT"/qrels/train.tsv 2>/dev/null || ls "$SCIFACT"/qrels/* | head -1)
common=(eval beir --corpus "$SCIFACT/corpus.jsonl" --queries "$SCIFACT/queries.train.jsonl" --qrels "$qrels"
        --index-dir "$CACHE" --json --data-dir "$work/data")
export HYPERION_EMBEDDING_MODEL_PATH="$(pwd)/data/models/all-MiniLM-L6-v2" HYPERION_LOG_LEVEL=warning
for store in $STORES; do
  for mode in hybrid vector keyword; do
    env=(HYPERION_VECTOR_STORE="$store" HYPERION_DATABASE_URL="$pg" HYPERION_VECTOR_CHROMA_URL="$chroma" HYPERION_VECTOR_MILVUS_URL="$milvus")
    extra=(); [ "$mode" = vector ] && extra=(--save-query-vectors "$results/queries.jsonl")
    echo "==> $store $mode" >&2
    env "${env[@]}" "$bin" "${common[@]}" --mode "$mode" "${extra[@]}" > "$results/$store-$mode.json"
  done
done
.venv-pgvector/bin/pip install -q --disable-pip-version-check numpy >/dev/null 2>&1 || true
# pymilvus 2.3 needs pkg_resources (setuptools < 70) and environs' marshmallow < 4.
.venv-milvus/bin/python -c "import pymilvus" 2>/dev/null || .venv-milvus/bin/pip install -q --disable-pip-version-check \
  "pymilvus==2.3.8" "setuptools<70" "marshmallow<4" >/dev/null
PGVECTOR_PYTHON=.venv-pgvector/bin/python CHROMA_PYTHON=.venv-chroma/bin/python MILVUS_PYTHON=.venv-milvus/bin/python \
  python3 $HERE/report.py "$results" "$pg" "$chroma" "$milvus" "$STORES" | tee "$OUT"
