#!/usr/bin/env bash
# `make bench-redis`: the cost of one rate-limit check with Redis on loopback, through Hyperion's client (release
# build), against redis-benchmark running the same Lua script (EVALSHA, one connection, no pipelining) as the peer,
# in the same run. Prints a table; the numbers go to BENCHMARKS.md ("Shared state").
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/hyperion-bench-redis.XXXXXX)
trap 'scripts/redis.sh stop "$work/redis"; rm -rf "$work"' EXIT
calls="${CALLS:-20000}"
swift build -c release --product hyperion-redis-bench >/dev/null
bin="$(swift build -c release --show-bin-path)/hyperion-redis-bench"
url=$(scripts/redis.sh start "$work/redis")
# shellcheck disable=SC1091
. "$work/redis/env"
ours=$("$bin" "$url" "$calls")
# The peer runs the very script the limiter runs (same keys, ARGV shape), loaded the same way.
script=$(python3 - <<'PY'
import re
text = open("Sources/HyperionRedis/RedisRateLimiter.swift").read()
body = re.search(r'static let admitScript = """\n(.*?)\n    """', text, re.S).group(1)
print("\n".join(line[4:] for line in body.splitlines()))
PY
)
sha=$(redis-cli -p "$REDIS_PORT" -a "$REDIS_PASSWORD" --no-auth-warning SCRIPT LOAD "$script")
peer=$(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -a "$REDIS_PASSWORD" -c 1 -n "$calls" --csv \
  evalsha "$sha" 1 "bench:peer" 1000000000 60000000 token 2>/dev/null | tail -1)
ping_peer=$(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -a "$REDIS_PASSWORD" -c 1 -n "$calls" --csv -t ping_mbulk 2>/dev/null | tail -1)
python3 - "$ours" "$peer" "$ping_peer" <<'PY'
import csv, io, json, sys
ours = json.loads(sys.argv[1])
def p50(line):  # redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
    row = next(csv.reader(io.StringIO(line)))
    return float(row[4]) * 1000
peer, ping_peer = p50(sys.argv[2]), p50(sys.argv[3])
print(f"calls: {int(ours['calls'])}, sequential, one connection, Redis 7 on loopback")
print(f"{'':38} {'p50 µs':>8} {'p99 µs':>8}")
print(f"{'rate-limit check, Hyperion (EVALSHA)':38} {ours['admit_p50_us']:8.1f} {ours['admit_p99_us']:8.1f}")
print(f"{'same script, redis-benchmark (peer)':38} {peer:8.1f}")
print(f"{'PING, Hyperion':38} {ours['ping_p50_us']:8.1f} {ours['ping_p99_us']:8.1f}")
print(f"{'PING, redis-benchmark (peer)':38} {ping_peer:8.1f}")
print(f"{'rate-limit check, in memory':38} {ours['memory_admit_p50_us']:8.2f} {ours['memory_admit_p99_us']:8.2f}")
print(f"ratio Hyperion / redis-benchmark at p50: check {ours['admit_p50_us'] / peer:.2f}x, PING {ours['ping_p50_us'] / ping_peer:.2f}x")
print(f"goal: check < 200 µs p50: {'met' if ours['admit_p50_us'] < 200 else 'not met'}")
PY
