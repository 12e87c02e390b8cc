#!/usr/bin/env bash
# Starts the real `hyperion` binary on a free port and checks it from outside:
# HTTP behaviour, logs, schemathesis over the whole OpenAPI document, and graceful shutdown.
#   scripts/integration.sh WORKDIR [DATABASE_URL]
set -uo pipefail
cd "$(dirname "$0")/.."
dir="$1"; db="${2:-}"
mkdir -p "$dir"
bin=${HYPERION_BIN_DIR:-$(swift build --show-bin-path)}/hyperion
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data="$dir/data"
scripts/fetch-assets.sh "$data" >/dev/null || { echo "could not fetch Swagger UI assets"; exit 1; }

# A stand-in OpenAI-compatible LLM for the answer checks.
python3 scripts/llm_standin.py "$dir/standin.port" >"$dir/standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 1 50); do [ -s "$dir/standin.port" ] && break; sleep 0.1; done
standin="http://127.0.0.1:$(cat "$dir/standin.port")"
export HYPERION_LLM_PROVIDERS="standin,standin_slow" \
  HYPERION_LLM_STANDIN_KIND=openai HYPERION_LLM_STANDIN_BASE_URL="$standin/v1" HYPERION_LLM_STANDIN_API_KEY=sk-standin-secret \
  HYPERION_LLM_STANDIN_MODEL=standin-1 \
  HYPERION_LLM_STANDIN_SLOW_KIND=openai HYPERION_LLM_STANDIN_SLOW_BASE_URL="$standin/v1" HYPERION_LLM_STANDIN_SLOW_FIRST_TOKEN_TIMEOUT=1 \
  HYPERION_LLM_STANDIN_SLOW_MAX_RETRIES=0

# bcrypt's lowest allowed cost keeps schemathesis' many signups quick in a debug build.
export HYPERION_EMBEDDING_MODEL_PATH="$(pwd)/data/models/all-MiniLM-L6-v2"
export HYPERION_DATABASE_URL="$db" HYPERION_LOG_FORMAT=json HYPERION_LOG_LEVEL=debug HYPERION_SHUTDOWN_GRACE_PERIOD=10 \
  HYPERION_AUTH_BCRYPT_COST=10 HYPERION_HTTP_IDLE_TIMEOUT=5 \
  HYPERION_AUTH_SIGNUPS_PER_HOUR=0  # schemathesis signs up hundreds of accounts from 127.0.0.1
"$bin" serve --port "$port" --data-dir "$data" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill -9 $pid $standin_pid 2>/dev/null' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "server exited early:"; cat "$dir/server.log"; exit 1; }
  sleep 0.1
done

failed=0
.venv/bin/python scripts/integration_checks.py "$base" "$bin" "$dir/admin_token" "$data" || failed=1
echo "--> answers: stand-in LLM, SSE, cancellation, timeouts, the openai SDK on /v1"
.venv/bin/python scripts/answer_checks.py "$base" "$dir/admin_token" "$standin" || failed=1

echo "--> schemathesis over /openapi.json"
# Authenticated as the admin, so protected operations are exercised past the 401. Four runs:
# - everything but the two below, with every check; it must keep its credentials throughout;
# - the operations that call an LLM: this server also has `standin_slow`, a provider that times out by design,
#   so their documented 502/504 answers are expected (status_code_conformance still checks they are documented);
# - deleting or changing users, last: schemathesis reuses ids from earlier responses, and once it had created a
#   second admin it deleted the one whose token it holds, which left every later operation at 401 (23 untested);
# - signing out everywhere and changing or resetting a password, very last: they revoke the access token
#   schemathesis holds (the session epoch moves on; it resets its own admin's password with an id it has seen), as
#   they must.
token=$(cat "$dir/admin_token")
checks=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
llm_ops=(--operation-id query --operation-id generate --operation-id openaiChatCompletions)
# The live log tail never ends by design (a request/response fuzzer would wait on it); integration_checks.py reads it.
never_ending=(--exclude-operation-id followLogs)
user_ops=(--operation-id deleteUser --operation-id updateUser)
session_ops=(--operation-id logoutAll --operation-id changePassword --operation-id resetPassword)
fuzz() {  # fuzz LOG CHECKS OPTIONS… → runs schemathesis, prints its summary, reports failures
  local log="$1" run_checks="$2"; shift 2
  .venv/bin/schemathesis run "$base/openapi.json" -H "Authorization: Bearer $token" --checks "$run_checks" "$@" \
    --max-examples 30 --workers 1 --no-color >"$log" 2>&1 \
    || { failed=1; sed -n '/FAILURES/,/SUMMARY/p' "$log" | cut -c1-300 | head -80; }
  grep -E "generated" "$log" | tail -1
}
fuzz "$dir/schemathesis.log" "$checks" "${never_ending[@]}" "${llm_ops[@]/--operation-id/--exclude-operation-id}" "${user_ops[@]/--operation-id/--exclude-operation-id}" \
  "${session_ops[@]/--operation-id/--exclude-operation-id}"
# Operations that answered nothing but 401/403. Refreshing with a made-up refresh token (the body is the
# credential) or without a session cookie (the web UI's) is refused every time; anything else means the bearer
# token was lost part-way.
lost=$(awk '/^40[13] [A-Z]/ {on=1; next} on && /^  - / {print substr($0, 5)} on && !/^  - / {on=0}' "$dir/schemathesis.log" \
  | grep -vxE "POST /api/v1/auth/(refresh|login|session)" || true)
if [ -n "$lost" ]; then
  echo "FAIL: schemathesis lost its credentials part-way; only 401/403 from:"; echo "$lost"; failed=1
fi
fuzz "$dir/schemathesis-llm.log" "${checks#not_a_server_error,}" "${llm_ops[@]/--operation-id/--include-operation-id}"
fuzz "$dir/schemathesis-users.log" "$checks" "${user_ops[@]/--operation-id/--include-operation-id}"
fuzz "$dir/schemathesis-sessions.log" "$checks" "${session_ops[@]/--operation-id/--include-operation-id}"

echo "--> graceful shutdown on SIGTERM"
kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "FAIL: still running 10 s after SIGTERM"; failed=1
else wait $pid; rc=$?; [ $rc -eq 0 ] || { echo "FAIL: exit status $rc after SIGTERM"; failed=1; }; fi
grep -q '"store closed"' "$dir/server.log" || { echo "FAIL: store was not closed on shutdown"; failed=1; }

.venv/bin/python scripts/log_checks.py "$dir/server.log" "$dir/admin_token.secrets" || failed=1
[ $failed -eq 0 ] && echo "integration OK" || { echo "--- server log (tail) ---"; tail -20 "$dir/server.log"; }
exit $failed
