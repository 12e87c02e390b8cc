#!/usr/bin/env bash
# HTTP benchmark: Hyperion (release) vs FastAPI + uvicorn (2 workers) on GET /health, measured in the
# same run with wrk -t2 -c64 -d20s. Also reports Hyperion's idle RSS and its time from start to /ready = 200.
#   make bench-http        (DURATION=20s by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${DURATION:-20s}"
work=$(mktemp -d /tmp/hyperion-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 500); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.01; done; return 1; }

swift build -c release --product hyperion >/dev/null
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
HYPERION_LOG_LEVEL=warning HYPERION_AUTH_BCRYPT_COST=12 .build/release/hyperion serve --port "$hport" --data-dir "$work/data" >"$work/hyperion.log" 2>&1 &
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
wrk -t2 -c64 -d3s "http://127.0.0.1:$hport/health" >/dev/null   # warm-up
read -r h_rps h_p99 < <(run_wrk "http://127.0.0.1:$hport/health")
wrk -t2 -c64 -d3s "http://127.0.0.1:$pport/health" >/dev/null
read -r p_rps p_p99 < <(run_wrk "http://127.0.0.1:$pport/health")
# GET /api/v1/auth/me with a valid JWT: sign up (first account), log in, then load.
curl -fsS -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"bench-password-1"}' \
  "http://127.0.0.1:$hport/api/v1/auth/signup" >/dev/null
h_token=$(curl -fsS -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"bench-password-1"}' \
  "http://127.0.0.1:$hport/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
p_token=$(curl -fsS "http://127.0.0.1:$pport/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
read -r hm_rps hm_p99 < <(run_wrk "http://127.0.0.1:$hport/api/v1/auth/me" -H "Authorization: Bearer $h_token")
read -r pm_rps pm_p99 < <(run_wrk "http://127.0.0.1:$pport/api/v1/auth/me" -H "Authorization: Bearer $p_token")

# Logins (bcrypt cost 12 on both sides): few connections, the work is the hash.
login_rps() { wrk -t2 -c4 -d"${LOGIN_DURATION:-15s}" -s Benchmarks/http/login.lua "$1" | awk '/Requests\/sec/ {print $2}'; }
hl_rps=$(login_rps "http://127.0.0.1:$hport/api/v1/auth/login")
pl_rps=$(login_rps "http://127.0.0.1:$pport/api/v1/auth/login")
loaded_rss=$(awk '/VmRSS/ {print $2}' /proc/$hpid/status)

python3 - "$h_rps" "$h_p99" "$p_rps" "$p_p99" "$ready" "$idle_rss" "$loaded_rss" "$duration" \
  "$hm_rps" "$hm_p99" "$pm_rps" "$pm_p99" "$hl_rps" "$pl_rps" <<'PY'
import sys
h, hp, p, pp, ready, idle, loaded, dur, hm, hmp, pm, pmp, hl, pl = sys.argv[1:]
h, hp, p, pp, hm, hmp, pm, pmp, hl, pl = map(float, (h, hp, p, pp, hm, hmp, pm, pmp, hl, pl))
print(f"GET /health, wrk -t2 -c64 -d{dur}, same machine, same run")
print(f"  Hyperion (release):            {h:>10.0f} req/s   p99 {hp:7.2f} ms")
print(f"  FastAPI + uvicorn (2 workers): {p:>10.0f} req/s   p99 {pp:7.2f} ms")
print(f"  ratio Hyperion / peer:         {h / p:>10.2f}x throughput   p99 {pp / hp:.2f}x lower")
print(f"GET /api/v1/auth/me with a valid JWT, same settings")
print(f"  Hyperion (release):            {hm:>10.0f} req/s   p99 {hmp:7.2f} ms")
print(f"  FastAPI + PyJWT (2 workers):   {pm:>10.0f} req/s   p99 {pmp:7.2f} ms")
print(f"  ratio Hyperion / peer:         {hm / pm:>10.2f}x throughput")
print(f"POST /api/v1/auth/login, bcrypt cost 12, wrk -t2 -c4")
print(f"  Hyperion: {hl:.1f} logins/s   FastAPI + bcrypt: {pl:.1f} logins/s   ratio {hl / pl:.2f}x")
print(f"  Hyperion start to /ready=200:  {float(ready):.3f} s")
print(f"  Hyperion RSS idle / after load: {int(idle) / 1024:.1f} MiB / {int(loaded) / 1024:.1f} MiB")
PY
