#!/usr/bin/env bash
# `make bench-queue`: the LLM queue's cost. One RabbitMQ, one stand-in LLM that answers after a fixed 50 ms, and two
# servers in the same run: one calling the LLM itself (llm.queue=none), one through the queue to a `hyperion worker`
# (release build). Sequential requests give the latency the queue adds (p50/p99), concurrent clients the answers/s.
#   REQUESTS=300 CLIENTS=16 SECONDS_PER_PHASE=10 Benchmarks/queue/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/ensure-system.sh test >&2
swift build -c release --product hyperion >&2
bin="$(swift build -c release --show-bin-path)/hyperion"
work=$(mktemp -d /tmp/hyperion-bench-queue.XXXXXX)
chmod 755 "$work"  # RabbitMQ runs as its own user under it
trap 'scripts/rabbitmq.sh stop "$work/rabbitmq" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
url=$(scripts/rabbitmq.sh start "$work/rabbitmq")
python3 Benchmarks/queue/driver.py "$bin" "$work" "$url" "${REQUESTS:-300}" "${CLIENTS:-16}" "${SECONDS_PER_PHASE:-10}"
