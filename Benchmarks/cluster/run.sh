#!/usr/bin/env bash
# `make bench-cluster`: scripts/cluster.sh's deployment (PostgreSQL, Redis, two instances, nginx) on loopback, release
# build. SciFact abstracts are ingested through nginx, then the train claims are asked through nginx in front of one
# instance and in front of both (same run, same data): sequential p50/p99 and queries/s with concurrent clients, with
# the query cache off and with the shared (Redis) cache warm; then the cost of the rate-limit check per request.
#   LIMIT=1000 CLIENTS=16 SECONDS_PER_PHASE=15 Benchmarks/cluster/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product hyperion >&2
bin="$(swift build -c release --show-bin-path)/hyperion"
work=$(mktemp -d /tmp/hyperion-bench-cluster.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as its own user under it
trap 'scripts/cluster.sh down "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
HYPERION_BIN="$bin" python3 Benchmarks/cluster/driver.py "$work/cluster" "${LIMIT:-1000}" "${CLIENTS:-16}" "${SECONDS_PER_PHASE:-15}"
