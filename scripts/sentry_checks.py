"""`make test`'s Sentry step: a live Hyperion reports a failed job to a local Sentry receiver that parses envelopes
as Sentry does, and what it sends is held against what the official sentry-sdk (PyPI) sends for a comparable event
to the same receiver.
   sentry_checks.py HYPERION_BIN WORKDIR   (run with the project's .venv python: it imports sentry_sdk)"""
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from server_checks import call, check, failures, start_server, wait_job

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
received = []  # (path, headers, envelope header, [(item header, payload, payload length)])


class Receiver(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: gzip or plain; one JSON header line, then item header and payload pairs."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = body.split(b"\n")
        header, parsed, i = json.loads(lines[0]), [], 1
        while i + 1 < len(lines) and lines[i].strip():
            item = json.loads(lines[i])
            payload = lines[i + 1]
            parsed.append((item, json.loads(payload), len(payload)))
            i += 2
        received.append((self.path, dict(self.headers), header, parsed))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id":"ok"}')

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
dsn = f"http://public-key@127.0.0.1:{server.server_address[1]}/42"


def api(base, method, path, body=None, token=None, content_type="application/json"):
    """A call that must succeed: its JSON body."""
    status, answer = call(base, method, path, body, token, content_type)
    if status >= 400:
        raise RuntimeError(f"{method} {path}: {status} {answer}")
    return answer


def wait(condition, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


# The reference: sentry-sdk reporting an exception with the same kinds of context Hyperion attaches.
import sentry_sdk  # noqa: E402

sentry_sdk.init(dsn=dsn, release="hyperion@reference", environment="test", send_default_pii=False, default_integrations=False)
sentry_sdk.set_user({"id": "u-reference"})
sentry_sdk.set_tag("request_id", "r-reference")
sentry_sdk.add_breadcrumb(category="hyperion", message="request", level="info", data={"route": "/api/v1/query"})
try:
    raise RuntimeError("reference failure")
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
check("sentry-sdk's reference event arrived", wait(lambda: len(received) == 1, 10), received)
reference = received[0] if received else None

env = dict(os.environ, HYPERION_EMBEDDING_PROVIDER="hashing", HYPERION_AUTH_BCRYPT_COST="10", HYPERION_SENTRY_DSN=dsn,
           HYPERION_SENTRY_ENVIRONMENT="test", HYPERION_LOG_LEVEL="info")
started = []
hyperion, base = start_server(binary, work, "server", env, os.path.join(work, "data"), started)
try:
    api(base, "POST", "/api/v1/auth/signup", {"email": "ops@example.com", "password": "ops-password-1"})
    token = api(base, "POST", "/api/v1/auth/login", {"email": "ops@example.com", "password": "ops-password-1"})["access_token"]
    model = api(base, "POST", "/api/v1/models", {"name": "Broken"}, token)["id"]
    # A PDF that is no PDF: its only document fails to extract, so the job fails and is reported.
    boundary = "sentryboundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + b"%PDF-1.7\n%broken beyond repair\n" + os.urandom(256) + f"\r\n--{boundary}--\r\n".encode())
    job = api(base, "POST", f"/api/v1/models/{model}/documents", body, token, f"multipart/form-data; boundary={boundary}")["job_id"]
    check("the job fails", wait_job(base, token, job, timeout=60).get("status") == "failed")
    check("Hyperion's report arrived", wait(lambda: len(received) == 2, 15), len(received))
    ours = received[1] if len(received) == 2 else None
    if reference and ours:
        (ref_path, ref_headers, ref_header, ref_items), (path, headers, header, items) = reference, ours
        check("same endpoint as the SDK: /api/<project>/envelope/", path == ref_path == "/api/42/envelope/", (path, ref_path))
        check("same content type", headers.get("Content-Type") == ref_headers.get("Content-Type") == "application/x-sentry-envelope",
              (headers.get("Content-Type"), ref_headers.get("Content-Type")))
        auth = dict(re.findall(r"(\w+)=([^,\s]+)", headers.get("X-Sentry-Auth", "")))
        ref_auth = dict(re.findall(r"(\w+)=([^,\s]+)", ref_headers.get("X-Sentry-Auth", "")))
        check("X-Sentry-Auth: Sentry scheme, same key and protocol version as the SDK",
              headers.get("X-Sentry-Auth", "").startswith("Sentry ") and auth.get("sentry_key") == ref_auth.get("sentry_key") == "public-key"
              and auth.get("sentry_version") == ref_auth.get("sentry_version") == "7" and "sentry_client" in auth, (auth, ref_auth))
        check("envelope header names the event like the SDK's", header.get("event_id") == items[0][1].get("event_id")
              and "sent_at" in header and "event_id" in ref_header and "sent_at" in ref_header, (header, ref_header))
        item, event, length = items[0]
        ref_item, ref_event, _ = ref_items[0]
        check("one event item with its exact length, as the SDK sends", len(items) == 1 and item.get("type") == ref_item.get("type") == "event"
              and item.get("length") == length, (item, length))

        # Every field Hyperion fills that the SDK fills too has the same JSON type, nested.
        def compare(ours_value, theirs, path=""):
            problems = []
            if isinstance(ours_value, dict) and isinstance(theirs, dict):
                for key in ours_value.keys() & theirs.keys():
                    problems += compare(ours_value[key], theirs[key], f"{path}.{key}")
            elif isinstance(ours_value, list) and isinstance(theirs, list) and ours_value and theirs:
                problems += compare(ours_value[0], theirs[0], path + "[0]")
            elif type(ours_value) is not type(theirs) and not (path.endswith(".data") or path.startswith(".extra")):
                problems.append(f"{path}: {type(ours_value).__name__} vs the SDK's {type(theirs).__name__}")
            return problems

        required = ["event_id", "timestamp", "level", "platform", "release", "environment", "exception", "tags", "user", "breadcrumbs",
                    "sdk", "contexts", "server_name"]
        check("the event carries what the SDK's carries", all(k in event for k in required) and all(k in ref_event for k in required),
              ([k for k in required if k not in event], [k for k in required if k not in ref_event]))
        check("every shared field has the SDK's JSON type", not compare(event, ref_event), compare(event, ref_event))
        check("event ids are 32 hex digits like the SDK's", re.fullmatch(r"[0-9a-f]{32}", event.get("event_id", "")) is not None
              and re.fullmatch(r"[0-9a-f]{32}", ref_event.get("event_id", "")) is not None, (event.get("event_id"), ref_event.get("event_id")))
        exception = event["exception"]["values"][0]
        check("the failed job: its reason, kind, owner, release and environment",
              exception["type"] == "JobFailed" and "1 of 1 documents failed" in exception["value"] and exception["mechanism"]["type"] == "job"
              and event["tags"].get("job_kind") == "ingest" and event["tags"].get("job_id") == job
              and event["environment"] == "test" and event["release"].startswith("hyperion@") and event["user"].get("id")
              and "email" not in event["user"], event)
        crumbs = [c["message"] for c in event.get("breadcrumbs", {}).get("values", [])]
        check("the job's log lines ride along as breadcrumbs", "document failed" in crumbs, crumbs)
finally:
    hyperion.send_signal(signal.SIGTERM)
    try:
        hyperion.wait(timeout=20)
    except subprocess.TimeoutExpired:
        hyperion.kill()
    server.shutdown()

sys.exit(1 if failures else 0)
