#!/usr/bin/env bash
# `make test`: installs what the tests need, builds, runs `swift test` against SQLite and a real
# PostgreSQL, then the live-server integration checks (schemathesis included), and prints a summary.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/hyperion-test.XXXXXX)
chmod 755 "$work"
results=()
status=0
cleanup() {
  scripts/postgres.sh stop "$work/pg" || true
  scripts/pgvector.sh stop "$work/pgvector" || true
  scripts/chroma.sh stop "$work/chroma" || true
  scripts/milvus.sh stop "$work/milvus" || true
  scripts/redis.sh stop "$work/redis" || true
  scripts/rabbitmq.sh stop "$work/rabbitmq" || true
  scripts/phoenix.sh stop "$work/tracing/phoenix" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() {  # step NAME COMMAND...
  local name="$1"; shift
  echo "==> $name"
  local started=$SECONDS
  if "$@"; then results+=("PASS  $name ($((SECONDS - started)) s)")
  else results+=("FAIL  $name ($((SECONDS - started)) s)"); status=1; fi
}

# Two steps at once, for steps that mostly wait on one single-threaded client each (schemathesis in the integration
# runs): each one's output is kept whole and printed after both end, and each is recorded like `step`.
pair() {  # pair NAME COMMAND… -- NAME COMMAND…
  local names=() pids=() logs=() i=0 cmd=()
  names[0]="$1"; shift
  while [ "$1" != "--" ]; do cmd+=("$1"); shift; done; shift
  names[1]="$1"; shift
  echo "==> ${names[0]}  |  ${names[1]}  (at the same time)"
  local started=$SECONDS
  for i in 0 1; do
    logs[i]=$(mktemp "$work/pair.XXXXXX")
    if [ $i -eq 0 ]; then run=("${cmd[@]}"); else run=("$@"); fi
    ( "${run[@]}" >"${logs[i]}" 2>&1; echo "$? $SECONDS" >"${logs[i]}.end" ) &
    pids[i]=$!
  done
  for i in 0 1; do
    wait "${pids[i]}"
    read -r rc ended <"${logs[i]}.end"
    echo "--- ${names[i]}"; cat "${logs[i]}"
    if [ "$rc" -eq 0 ]; then results+=("PASS  ${names[i]} ($((ended - started)) s)")
    else results+=("FAIL  ${names[i]} ($((ended - started)) s)"); status=1; fi
  done
}

scripts/ensure-system.sh test || { echo "FAIL: could not install system packages"; exit 1; }
# The engines' PyPI packages download while Swift builds; each script's `start` then finds its package installed.
( for engine in pgvector chroma milvus phoenix; do scripts/$engine.sh install "$work/$engine" || echo "installing $engine failed"; done ) \
  > "$work/installs.log" 2>&1 &
installs=$!
step "python tools (.venv)" scripts/venv.sh
step "swift build (debug, with tests)" swift build --build-tests
# Asked once: every SwiftPM invocation leaves an empty /tmp/TemporaryDirectory.* behind.
bindir=$(swift build --show-bin-path)
export HYPERION_BIN_DIR="$bindir"
# The faithfulness tests need the real all-MiniLM-L6-v2 (pulled once into ./data, SHA-256 checked).
step "embedding model (pulled when missing)" "$bindir/hyperion" models pull --data-dir "$root/data"
if [ $status -ne 0 ]; then printf '%s\n' "${results[@]}"; echo "TESTS FAILED"; exit 1; fi

# The stemmer is checked word for word against snowballstemmer over every distinct SciFact word.
step "stemmer reference (snowballstemmer)" bash -c ".venv/bin/python scripts/stem-reference.py ../shared/data/scifact/corpus.jsonl > '$work/stems.tsv'"
export HYPERION_TEST_STEMS="$work/stems.tsv"
export HYPERION_TEST_REQUIRE_STEMS=1

wait $installs; cat "$work/installs.log"
pg_url=$(scripts/postgres.sh start "$work/pg") || { echo "FAIL: PostgreSQL did not start"; exit 1; }
echo "PostgreSQL at ${pg_url%%\?*}"
export HYPERION_TEST_POSTGRES_URL="$pg_url"
export HYPERION_TEST_REQUIRE_POSTGRES=1
# PostgreSQL 16 with pgvector (PyPI pgserver): the vector store's suites, and a live server with vector.store=pgvector.
pgvector_url=$(scripts/pgvector.sh start "$work/pgvector") || { echo "FAIL: pgvector did not start"; exit 1; }
echo "pgvector at ${pgvector_url%%\?*}"
export HYPERION_TEST_PGVECTOR_URL="$pgvector_url"
export HYPERION_TEST_REQUIRE_PGVECTOR=1
# Chroma (PyPI chromadb, REST API v2): its suites, and a live server with vector.store=chroma.
chroma_url=$(scripts/chroma.sh start "$work/chroma") || { echo "FAIL: Chroma did not start"; exit 1; }
echo "Chroma at $chroma_url"
export HYPERION_TEST_CHROMA_URL="$chroma_url"
export HYPERION_TEST_REQUIRE_CHROMA=1
# Milvus 2.3 (PyPI milvus, gRPC API) in a loopback-only network namespace: its suites, and a live server with
# vector.store=milvus.
milvus_url=$(scripts/milvus.sh start "$work/milvus") || { echo "FAIL: Milvus did not start"; exit 1; }
echo "Milvus at $milvus_url"
export HYPERION_TEST_MILVUS_URL="$milvus_url"
export HYPERION_TEST_REQUIRE_MILVUS=1

# Redis 7 (Debian) with a password, TLS (a CA made by the script) and a unix socket: the client's suites, the shared
# rate limiter and the broadcast bus.
redis_url=$(scripts/redis.sh start "$work/redis") || { echo "FAIL: Redis did not start"; exit 1; }
echo "Redis at ${redis_url##*@}"
# shellcheck disable=SC1091
. "$work/redis/env"
export HYPERION_TEST_REDIS_URL="$REDIS_URL" HYPERION_TEST_REDIS_TLS_URL="$REDIS_TLS_URL" HYPERION_TEST_REDIS_CA="$REDIS_CA"
export HYPERION_TEST_REDIS_SOCKET_URL="$REDIS_SOCKET_URL"
export HYPERION_TEST_REQUIRE_REDIS=1

# RabbitMQ 3.10 (Debian), its own node, ports and epmd, plain and TLS (a CA made by the script): the LLM queue's suites, and a live server with its workers.
rabbitmq_url=$(scripts/rabbitmq.sh start "$work/rabbitmq") || { echo "FAIL: RabbitMQ did not start"; exit 1; }
echo "RabbitMQ at ${rabbitmq_url##*@}"
# shellcheck disable=SC1091
. "$work/rabbitmq/env"
export HYPERION_TEST_RABBITMQ_URL="$rabbitmq_url" HYPERION_TEST_RABBITMQ_TLS_URL="$RABBITMQ_TLS_URL" HYPERION_TEST_RABBITMQ_CA="$RABBITMQ_CA"
export HYPERION_TEST_REQUIRE_RABBITMQ=1

step "swift test (SQLite + PostgreSQL + pgvector + Chroma + Milvus + Redis + RabbitMQ)" swift test --skip-build
# Every committed fuzz input (seeds and past crashes) through its target: a crash found by `make fuzz` stays fixed.
step "fuzz corpora replayed (Fuzz/corpus)" "$bindir/hyperion-fuzz" Fuzz/corpus
step "eval: hyperion eval beir (SciFact, index reuse, bad input)" .venv/bin/python scripts/eval_checks.py "$bindir/hyperion" "$work/eval"
# The integration runs two at a time: each is one server and one schemathesis process, which uses one core.
pair "integration: live server, SQLite" scripts/integration.sh "$work/it-sqlite" "" \
  -- "integration: live server, PostgreSQL" scripts/integration.sh "$work/it-pg" "$pg_url"
pair "integration: live server, PostgreSQL + pgvector" env HYPERION_VECTOR_STORE=pgvector scripts/integration.sh "$work/it-pgvector" "$pgvector_url" \
  -- "integration: live server, SQLite + Chroma" env HYPERION_VECTOR_STORE=chroma HYPERION_VECTOR_CHROMA_URL="$chroma_url" scripts/integration.sh "$work/it-chroma" ""
step "integration: live server, SQLite + Milvus" env HYPERION_VECTOR_STORE=milvus HYPERION_VECTOR_MILVUS_URL="$milvus_url" scripts/integration.sh "$work/it-milvus" ""
step "web UI: headless Chromium (Selenium)" scripts/ui.sh "$work/ui"
step "observability: Sentry reports held against the official sentry-sdk" .venv/bin/python scripts/sentry_checks.py "$bindir/hyperion" "$work/sentry"
step "observability: traces in Arize Phoenix (OTLP/HTTP, OpenInference)" python3 scripts/tracing_checks.py "$bindir/hyperion" "$work/tracing"
step "LLM queue: server and workers on RabbitMQ (kill -9, SIGTERM, retries, poison, no worker, full queue, broker restart)" .venv/bin/python scripts/queue_checks.py "$bindir/hyperion" "$work/queue" "$work/rabbitmq"
step "security: native TLS (openssl certificates, HTTP/2 by ALPN, SIGHUP reload)" python3 scripts/tls_checks.py "$bindir/hyperion" "$work/tls"
step "observability: promtool rules tests, Prometheus scraping a live server, the Grafana dashboard's queries" python3 scripts/observability_checks.py "$bindir/hyperion" "$work/observability"
step "jobs: kill -9 resume (SQLite)" python3 scripts/jobs_checks.py "$bindir/hyperion" "$work/jobs-sqlite"
step "jobs: kill -9 resume and two instances (PostgreSQL)" python3 scripts/jobs_checks.py "$bindir/hyperion" "$work/jobs-pg" "$pg_url"
step "stores: index migrate to pgvector, engine outage (PostgreSQL + pgvector)" python3 scripts/store_checks.py "$bindir/hyperion" "$work/stores" "$pg_url" pgvector "$pgvector_url" "$work/pgvector"
step "stores: index migrate to Milvus, engine outage (PostgreSQL + Milvus)" python3 scripts/store_checks.py "$bindir/hyperion" "$work/stores-milvus" "$pg_url" milvus "$milvus_url" "$work/milvus"
step "jobs: two instances on one vector store (PostgreSQL + pgvector)" env HYPERION_VECTOR_STORE=pgvector python3 scripts/jobs_checks.py "$bindir/hyperion" "$work/jobs-pgvector" "$pgvector_url"
step "jobs: two instances on one vector store (PostgreSQL + Chroma)" env HYPERION_VECTOR_STORE=chroma HYPERION_VECTOR_CHROMA_URL="$chroma_url" python3 scripts/jobs_checks.py "$bindir/hyperion" "$work/jobs-chroma" "$pg_url"
# Two instances behind nginx on a database of their own in the same PostgreSQL and on the same Redis (restarted
# mid-run by the checks, after every Swift suite that uses it has finished).
cluster_db="${pg_url/\/postgres\?/\/cluster?}"
step "cluster: two instances behind nginx (PostgreSQL + Redis)" bash -c "psql '$pg_url' -qc 'CREATE DATABASE cluster' && CLUSTER_DATABASE_URL='$cluster_db' CLUSTER_REDIS_URL='$redis_url' python3 scripts/cluster_checks.py '$bindir/hyperion' '$work/cluster' '$work/redis'"
step "jobs: two instances on one vector store (PostgreSQL + Milvus)" env HYPERION_VECTOR_STORE=milvus HYPERION_VECTOR_MILVUS_URL="$milvus_url" python3 scripts/jobs_checks.py "$bindir/hyperion" "$work/jobs-milvus" "$pg_url"

echo
echo "================ summary ================"
printf '%s\n' "${results[@]}"
if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "TESTS FAILED"; fi
exit $status
