"""Checks a captured server log: JSON lines with the promised fields, and no secrets."""
import json
import sys

lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
failures = []
records = []
for line in lines:
    try:
        records.append(json.loads(line))
    except ValueError:
        failures.append(f"not a JSON line: {line[:200]}")
requests = [r for r in records if r.get("message") == "request"]
if not requests:
    failures.append("no request log lines")
for r in requests:
    missing = [k for k in ("timestamp", "level", "message", "request_id", "method", "route", "status", "duration_ms") if k not in r]
    if missing:
        failures.append(f"request line lacks {missing}: {r}")
        break
if not any("abc-123.X_y" == r.get("request_id") for r in requests):
    failures.append("the caller's request id is not in the log")
if not any(r.get("user_id") and r.get("route") == "/api/v1/auth/me" for r in requests):
    failures.append("authenticated request lines lack user_id")
# Hardening 6: clients that leave mid-body (integration_checks does so on purpose) are logged as such, not as 500s.
unhandled = [r for r in records if r.get("message") == "unhandled error"]
if unhandled:
    failures.append(f"{len(unhandled)} unhandled errors, e.g. {unhandled[0]}")
if not any(r.get("message") == "request body ended early (client gone)" for r in records):
    failures.append("the abandoned request bodies were not logged as such")
text = "\n".join(lines)
secrets = ["s3cr3t-token"]
if len(sys.argv) > 2:
    secrets += [l for l in open(sys.argv[2]).read().splitlines() if l]
for secret in secrets:
    if secret in text:
        failures.append(f"a secret ({secret[:6]}…) appears in the log")
for f in failures:
    print("FAIL  " + f)
print("ok    log: %d JSON lines, %d request lines" % (len(records), len(requests)) if not failures else "")
sys.exit(1 if failures else 0)
