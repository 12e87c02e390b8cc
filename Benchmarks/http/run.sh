#!/usr/bin/env bash
# HTTP benchmark: Hyperion (release) vs FastAPI + uvicorn (2 workers) on GET /health and GET /api/v1/auth/me,
# measured in the same run with wrk -t2 -c64 in interleaved rounds (ROUNDS=3 × DURATION=10s each by default),
# beside the framework's floor (bare Hummingbird, one static route: no handler of ours can be faster). Also
# reports logins/s at bcrypt cost 12, Hyperion's idle RSS and its time from start to /ready = 200.
#   make bench-http        (ROUNDS=3 DURATION=10s LOGIN_DURATION=15s by default)
#   HYPERION_BIN=path/to/hyperion Benchmarks/http/run.sh   measures another build (an older commit, for a before/after)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${DURATION:-10s}"
rounds="${ROUNDS:-3}"
work=$(mktemp -d /tmp/hyperion-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 500); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.01; done; return 1; }

bin="${HYPERION_BIN:-}"
if [ -z "$bin" ]; then swift build -c release --product hyperion >/dev/null; bin=.build/release/hyperion; fi
swift build -c release --product hyperion-http-floor >/dev/null
if [ ! -x .venv-bench/bin/uvicorn ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check fastapi "uvicorn[standard]" pyjwt bcrypt
fi

# Hyperion: start-up time to /ready, idle RSS, then load.
hport=$(free_port)
start=$(date +%s.%N)
# The in-process model when it has been pulled (what `make run` serves), else the model-free stand-in: no
# request here embeds anything, but the server refuses to start without an embedder.
model=data/models/all-MiniLM-L6-v2
if [ -f "$model/model.safetensors" ]; then export HYPERION_EMBEDDING_MODEL_PATH="$PWD/$model"; else export HYPERION_EMBEDDING_PROVIDER=hashing; fi
HYPERION_LOG_LEVEL=warning HYPERION_AUTH_BCRYPT_COST=12 "$bin" serve --port "$hport" --data-dir "$work/data" >"$work/hyperion.log" 2>&1 &
hpid=$!; pids+=("$hpid")
for _ in $(seq 1 2000); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/ready")" = "200" ] && break; sleep 0.005
done
ready=$(python3 -c "print(f'{$(date +%s.%N) - $start:.3f}')")
sleep 1
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$hpid/status)

pport=$(free_port)
.venv-bench/bin/uvicorn --app-dir Benchmarks/http peer_app:app --host 127.0.0.1 --port "$pport" --workers 2 --no-access-log --log-level warning >"$work/peer.log" 2>&1 &
pids+=("$!")
wait_for "http://127.0.0.1:$pport/health"

run_wrk() {  # run_wrk URL [extra wrk args…] → prints "rps p99_ms"
  local url="$1"; shift
  wrk -t2 -c64 -d"$duration" --latency "$@" "$url" >"$work/wrk.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}' "$work/wrk.txt")
  echo "$rps $p99"
}
# The floor: bare Hummingbird on the same machine, same settings.
fport=$(free_port)
.build/release/hyperion-http-floor "$fport" >"$work/floor.log" 2>&1 &
pids+=("$!")
wait_for "http://127.0.0.1:$fport/health"
# GET /api/v1/auth/me with a valid JWT: sign up (first account), log in.
curl -fsS -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"bench-password-1"}' \
  "http://127.0.0.1:$hport/api/v1/auth/signup" >/dev/null
h_token=$(curl -fsS -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"bench-password-1"}' \
  "http://127.0.0.1:$hport/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
p_token=$(curl -fsS "http://127.0.0.1:$pport/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# Rounds, interleaved: single runs on this machine scatter by ±25 % as its neighbours come and go, so every
# target is measured once per round, one after the other, and the report takes medians over the rounds and
# the range of each round's own ratio.
targets=(
  "h_health http://127.0.0.1:$hport/health"
  "p_health http://127.0.0.1:$pport/health"
  "f_health http://127.0.0.1:$fport/health"
  "h_me http://127.0.0.1:$hport/api/v1/auth/me Authorization: Bearer $h_token"
  "p_me http://127.0.0.1:$pport/api/v1/auth/me Authorization: Bearer $p_token"
)
for target in "${targets[@]}"; do   # warm-up
  read -r _ url header <<<"$target"
  if [ -n "$header" ]; then wrk -t2 -c64 -d3s -H "$header" "$url" >/dev/null; else wrk -t2 -c64 -d3s "$url" >/dev/null; fi
done
: >"$work/rounds.txt"
for round in $(seq 1 "$rounds"); do
  for target in "${targets[@]}"; do
    read -r name url header <<<"$target"
    if [ -n "$header" ]; then result=$(run_wrk "$url" -H "$header"); else result=$(run_wrk "$url"); fi
    echo "$round $name $result" >>"$work/rounds.txt"
  done
done

# Logins (bcrypt cost 12 on both sides): few connections, the work is the hash.
login_rps() { wrk -t2 -c4 -d"${LOGIN_DURATION:-15s}" -s Benchmarks/http/login.lua "$1" | awk '/Requests\/sec/ {print $2}'; }
hl_rps=$(login_rps "http://127.0.0.1:$hport/api/v1/auth/login")
pl_rps=$(login_rps "http://127.0.0.1:$pport/api/v1/auth/login")
loaded_rss=$(awk '/VmRSS/ {print $2}' /proc/$hpid/status)

python3 - "$work/rounds.txt" "$ready" "$idle_rss" "$loaded_rss" "$duration" "$rounds" "$hl_rps" "$pl_rps" <<'PY'
import statistics, sys
path, ready, idle, loaded, dur, rounds, hl, pl = sys.argv[1:]
runs = {}
for line in open(path):
    r, name, rps, p99 = line.split()
    runs.setdefault(name, {})[int(r)] = (float(rps), float(p99))
def med(name, i=0): return statistics.median(v[i] for v in runs[name].values())
def ratios(a, b): return [runs[a][r][0] / runs[b][r][0] for r in runs[a]]
def span(a, b):
    rs = ratios(a, b)
    return f"{min(rs):.2f}-{max(rs):.2f}x"
print(f"wrk -t2 -c64 -d{dur}, {rounds} interleaved rounds, same machine, same run; medians (round ratios)")
print(f"GET /health")
print(f"  Hyperion (release):            {med('h_health'):>10.0f} req/s   p99 {med('h_health', 1):7.2f} ms")
print(f"  FastAPI + uvicorn (2 workers): {med('p_health'):>10.0f} req/s   p99 {med('p_health', 1):7.2f} ms")
print(f"  ratio Hyperion / peer:         {med('h_health') / med('p_health'):>10.2f}x throughput ({span('h_health', 'p_health')})   p99 {med('p_health', 1) / med('h_health', 1):.2f}x lower")
print(f"GET /api/v1/auth/me with a valid JWT")
print(f"  Hyperion (release):            {med('h_me'):>10.0f} req/s   p99 {med('h_me', 1):7.2f} ms")
print(f"  FastAPI + PyJWT (2 workers):   {med('p_me'):>10.0f} req/s   p99 {med('p_me', 1):7.2f} ms")
print(f"  ratio Hyperion / peer:         {med('h_me') / med('p_me'):>10.2f}x throughput ({span('h_me', 'p_me')})   p99 {med('p_me', 1) / med('h_me', 1):.2f}x lower")
print(f"Floor: bare Hummingbird, one static route, no middleware")
print(f"  hyperion-http-floor /health:   {med('f_health'):>10.0f} req/s   p99 {med('f_health', 1):7.2f} ms")
print(f"  floor / peer's /auth/me:       {med('f_health') / med('p_me'):>10.2f}x ({span('f_health', 'p_me')})")
print(f"  Hyperion / floor:              /auth/me {med('h_me') / med('f_health'):.0%} ({span('h_me', 'f_health')}), /health {med('h_health') / med('f_health'):.0%}")
hl, pl = float(hl), float(pl)
print(f"POST /api/v1/auth/login, bcrypt cost 12, wrk -t2 -c4")
print(f"  Hyperion: {hl:.1f} logins/s   FastAPI + bcrypt: {pl:.1f} logins/s   ratio {hl / pl:.2f}x")
print(f"  Hyperion start to /ready=200:  {float(ready):.3f} s")
print(f"  Hyperion RSS idle / after load: {int(idle) / 1024:.1f} MiB / {int(loaded) / 1024:.1f} MiB")
PY
