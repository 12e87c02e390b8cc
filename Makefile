# Hyperion: `make run` serves with the embedded defaults; `make test` runs every test.
DATA_DIR ?= ./data
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run build test assets migrate bench-http clean

run: ## install what is missing, build (release), fetch assets, migrate and serve
	@scripts/ensure-system.sh run
	swift build -c release --product hyperion
	@scripts/fetch-assets.sh $(DATA_DIR)
	@echo ""
	@echo "  Hyperion on http://$(HOST):$(PORT)   API docs: http://$(HOST):$(PORT)/docs   OpenAPI: /openapi.json"
	@echo "  Data directory: $(DATA_DIR)   Health: /health   Readiness: /ready   Metrics: /metrics"
	@echo "  First admin: the first account that signs up becomes admin (POST /api/v1/auth/signup, see README)."
	@echo ""
	.build/release/hyperion serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

build:
	swift build

test: ## install what the tests need, build, swift test (SQLite + PostgreSQL), integration, schemathesis
	@scripts/test.sh

assets:
	@scripts/fetch-assets.sh $(DATA_DIR)

migrate:
	swift build -c release --product hyperion
	.build/release/hyperion migrate --data-dir $(DATA_DIR)

bench-http: ## release build; Hyperion vs FastAPI+uvicorn on GET /health with wrk
	@scripts/ensure-system.sh bench
	@Benchmarks/http/run.sh

clean:
	rm -rf .build .venv
