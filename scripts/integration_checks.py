"""HTTP checks against a live Hyperion: status codes, envelopes, headers, metrics, config errors."""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

base, binary, token_file, data_dir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
failures = []


def request(method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def check(name, condition, detail=""):
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f"  {detail}"))
    if not condition:
        failures.append(name)


def envelope(body):
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if all(k in doc for k in ("detail", "code", "timestamp", "request_id")) else None


s, h, b = request("GET", "/health")
check("GET /health is 200 ok with version", s == 200 and json.loads(b)["status"] == "ok" and json.loads(b)["version"], b)
check("security headers present", h.get("X-Content-Type-Options") == "nosniff" and h.get("X-Frame-Options") == "DENY"
      and h.get("Referrer-Policy") == "no-referrer", h)
s, h, b = request("GET", "/ready")
# An outside vector engine (vector.store) is checked by name beside the store.
engine = {} if os.environ.get("HYPERION_VECTOR_STORE", "local") == "local" else {os.environ["HYPERION_VECTOR_STORE"]: "ok"}
check("GET /ready is 200 with store, migrations (and the vector engine) ok",
      s == 200 and json.loads(b)["checks"] == {"store": "ok", "migrations": "ok", **engine}, b)
s, h, b = request("GET", "/openapi.json")
doc = json.loads(b)
check("GET /openapi.json is OpenAPI 3.1", s == 200 and doc["openapi"].startswith("3.1"), doc.get("openapi"))
s, h, b = request("GET", "/docs")
check("GET /docs serves Swagger UI without inline script", s == 200 and b"swagger-ui-bundle.js" in b and b"<script>" not in b, s)
s, h, b = request("GET", "/docs/swagger-ui-bundle.js")
check("Swagger UI bundle served", s == 200 and len(b) > 100_000, s)
s, h, b = request("GET", "/docs/..%2f..%2fhyperion.sqlite")
check("docs files outside the allow-list are 404", s == 404 and envelope(b), s)

s, h, b = request("GET", "/no/such/route", headers={"X-Request-ID": "abc-123.X_y"})
env = envelope(b)
check("unknown route: 404 envelope", s == 404 and env and env["code"] == "not_found", b)
check("valid X-Request-ID echoed in header and envelope", h.get("X-Request-ID") == "abc-123.X_y" and env and env["request_id"] == "abc-123.X_y", h)
s, h, b = request("GET", "/health", headers={"X-Request-ID": "bad id with spaces"})
check("invalid X-Request-ID replaced by a generated one", h.get("X-Request-ID") not in (None, "bad id with spaces"), h)
s, h, b = request("GET", "/health", headers={"X-Request-ID": "a" * 129})
check("over-long X-Request-ID replaced", len(h.get("X-Request-ID", "")) <= 128 and h.get("X-Request-ID") != "a" * 129, h)
s, h, b = request("POST", "/health", body=b"{}", headers={"Content-Type": "application/json"})
check("wrong method: 405 envelope with Allow", s == 405 and envelope(b) and h.get("Allow") == "GET", (s, h.get("Allow")))
s, h, b = request("POST", "/health", body=b"x" * (11 * 1024 * 1024), headers={"Content-Type": "application/json"})
check("body over the limit: 413 envelope", s == 413 and envelope(b) and envelope(b)["code"] == "payload_too_large", s)

# Hardening 6, over a raw socket: a declared 300 MB body is refused before it is read, half-sent headers are cut
# by the idle timeout (HYPERION_HTTP_IDLE_TIMEOUT=5 here), and a client that leaves mid-body is no server error.
import socket
import urllib.parse
address = (urllib.parse.urlparse(base).hostname, urllib.parse.urlparse(base).port)
sock = socket.create_connection(address, timeout=10)
started = time.time()
sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 300000000\r\n\r\n" + b"x" * 65536)
first = sock.recv(4096)
took = time.time() - started
sock.close()
check("a declared 300 MB body: 413 with Connection: close before the body is read", first.startswith(b"HTTP/1.1 413")
      and b"connection: close" in first.lower() and took < 2, (took, first[:200]))
sock = socket.create_connection(address, timeout=20)
started = time.time()
sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
try:
    closed = sock.recv(100) == b""
except OSError:
    closed = True
took = time.time() - started
sock.close()
check("half-sent headers: the connection is closed by the idle timeout", closed and 4 < took < 10, took)
for path, kind in [("/api/v1/auth/login", b"application/json"), ("/api/v1/upload", b"multipart/form-data; boundary=XX")]:
    sock = socket.create_connection(address, timeout=10)
    sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + kind + b"\r\nContent-Length: 100000\r\n\r\n--XX\r\nabc")
    time.sleep(0.3)
    sock.close()
s, h, b = request("GET", "/health", headers={"Origin": "https://evil.example"})
check("CORS: foreign origin gets no allow header", "Access-Control-Allow-Origin" not in h, h)

for _ in range(3):
    request("GET", "/health")
request("GET", "/totally/random/path/12345")
s, h, b = request("GET", "/metrics")
text = b.decode()
check("metrics: counter by route template", s == 200 and 'http_requests_total{method="GET",endpoint="/health",status="200"}' in text, text[:400])
check("metrics: unmatched paths share one label", 'endpoint="unmatched"' in text and "12345" not in text)
check("metrics: duration histogram and in-progress gauge",
      "http_request_duration_seconds_bucket" in text and "http_requests_in_progress" in text)

# Accounts over the real socket: the first signup is admin; its token goes to schemathesis.
password = "integration-password-123"
s, h, b = request("POST", "/api/v1/auth/signup", json.dumps({"email": "admin@example.com", "password": password}).encode(),
                  {"Content-Type": "application/json"})
check("first signup is 201 admin", s == 201 and json.loads(b)["role"] == "admin", b)
s, h, b = request("POST", "/api/v1/auth/login", f"username=admin%40example.com&password={password}".encode(),
                  {"Content-Type": "application/x-www-form-urlencoded"})
tokens = json.loads(b) if s == 200 else {}
check("OAuth2 form login gives a bearer token", s == 200 and tokens.get("token_type") == "bearer", b)
s, h, b = request("GET", "/api/v1/auth/me", headers={"Authorization": "Bearer " + tokens.get("access_token", "")})
check("GET /api/v1/auth/me with the token", s == 200 and json.loads(b)["email"] == "admin@example.com", b)
s, h, b = request("POST", "/api/v1/auth/refresh", json.dumps({"refresh_token": tokens.get("refresh_token", "")}).encode(),
                  {"Content-Type": "application/json"})
check("refresh rotates", s == 200, b)
s, h, b = request("GET", "/api/v1/users")
check("admin route without credentials: 401 envelope", s == 401 and envelope(b), s)
s, h, b = request("GET", "/metrics")
check("metrics label for a templated route", 'endpoint="/api/v1/auth/me"' in b.decode(), "")
# Ingestion end to end with the real model: upload, job, search, delete.
auth = {"Authorization": "Bearer " + tokens.get("access_token", "")}
s, h, b = request("POST", "/api/v1/models", json.dumps({"name": "Integration", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}).encode(),
                  {**auth, "Content-Type": "application/json"})
check("create a RAG model", s == 201, b)
model_id = json.loads(b).get("id", "") if s == 201 else ""
boundary = "hyperionboundary42"
files = [("notes.md", b"# Bees\n\nHoney bees pollinate crops and make honey.\n\n## Hives\n\nA hive holds one queen."),
         ("trains.txt", b"High-speed trains run on dedicated tracks.\n\nMaglev trains float above the rail.")]
body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{n}"\r\n\r\n'.encode() + d + b"\r\n"
                for n, d in files) + f"--{boundary}--\r\n".encode()
s, h, b = request("POST", f"/api/v1/models/{model_id}/documents", body, {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
upload = json.loads(b) if s == 202 else {}
check("multipart upload of Markdown and text: 202 with a job", s == 202 and upload.get("job_id"), b)
job = {}
for _ in range(300):
    s, h, b = request("GET", f"/api/v1/jobs/{upload.get('job_id')}", headers=auth)
    job = json.loads(b) if s == 200 else {}
    if job.get("status") in ("succeeded", "failed", "canceled"):
        break
    time.sleep(0.1)
check("ingest job succeeds with the in-process model", job.get("status") == "succeeded", job)
s, h, b = request("POST", f"/api/v1/models/{model_id}/search", json.dumps({"query": "who pollinates crops?"}).encode(),
                  {**auth, "Content-Type": "application/json"})
results = json.loads(b).get("results", []) if s == 200 else []
bees = upload.get("documents", [{}])[0].get("document_id")
check("hybrid search finds the right document", results and results[0]["document_id"] == bees and "pollinate" in results[0]["text"], b)
s, h, b = request("DELETE", f"/api/v1/documents/{bees}", headers=auth)
s2, h, b = request("POST", f"/api/v1/models/{model_id}/search", json.dumps({"query": "who pollinates crops?"}).encode(),
                   {**auth, "Content-Type": "application/json"})
check("a deleted document is gone from search", s == 204 and all(r["document_id"] != bees for r in json.loads(b).get("results", [])), b)

# hyperion ingest: a folder through the API with an API key; the bad file is named in the summary.
s, h, b = request("POST", "/api/v1/auth/api-keys", json.dumps({"name": "ingest"}).encode(), {**auth, "Content-Type": "application/json"})
api_key = json.loads(b).get("key", "") if s == 201 else ""
folder = os.path.join(data_dir, "ingest-src")
os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
open(os.path.join(folder, "a.md"), "w").write("# Volcanoes\n\nLava flows from erupting volcanoes.")
open(os.path.join(folder, "sub", "b.txt"), "w").write("Glaciers carve valleys over thousands of years.")
open(os.path.join(folder, "sub", "c.bin"), "wb").write(bytes([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0]))
p = subprocess.run([binary, "ingest", "--model", "CLI", "--url", base, folder], env={**os.environ, "HYPERION_API_KEY": api_key},
                   capture_output=True, text=True, timeout=300)
check("hyperion ingest uploads a folder and names what failed", p.returncode == 2 and "2 ingested" in p.stdout
      and "c.bin" in p.stdout and "model CLI: 2 documents" in p.stdout, (p.returncode, p.stdout, p.stderr[-300:]))

# The logs API: the live tail over SSE sees a request made while it is open; the list finds the same line.
import http.client
import threading
from urllib.parse import urlparse
u = urlparse(base)
tail = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
tail.request("GET", "/api/v1/logs/stream?backlog=2", headers=auth)
stream = tail.getresponse()
seen = []


def read_tail():
    try:
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if any(e.get("request_id") == "live-tail-1" for e in seen):
                    return
    except (OSError, ValueError):
        return


reader = threading.Thread(target=read_tail, daemon=True)
reader.start()
time.sleep(0.3)
request("GET", "/api/v1/auth/me", headers={**auth, "X-Request-ID": "live-tail-1"})
reader.join(8)
tail.close()
check("the live log tail streams a request's line as it happens", stream.status == 200
      and stream.getheader("Content-Type", "").startswith("text/event-stream")
      and any(e.get("request_id") == "live-tail-1" and e.get("message") == "request" for e in seen), (stream.status, seen[-3:]))
s, h, b = request("GET", "/api/v1/logs?request_id=live-tail-1", headers=auth)
check("GET /api/v1/logs finds the same line", s == 200 and json.loads(b)["total"] >= 1
      and json.loads(b)["items"][0]["metadata"].get("route") == "/api/v1/auth/me", b[:300])

open(token_file, "w").write(tokens.get("access_token", ""))
open(token_file + ".secrets", "w").write("\n".join([password, tokens.get("access_token", "x"), tokens.get("refresh_token", "x")]))

env = dict(os.environ)
p = subprocess.run([binary, "users", "create", "--email", "cli@example.com", "--role", "user", "--data-dir", data_dir],
                   input="cli-password-1\n", env=env, capture_output=True, text=True, timeout=60)
check("hyperion users create reads the password from stdin", p.returncode == 0 and "created user cli@example.com" in p.stdout, p.stderr)
s, h, b = request("POST", "/api/v1/auth/login", json.dumps({"email": "cli@example.com", "password": "cli-password-1"}).encode(),
                  {"Content-Type": "application/json"})
check("the CLI-created user signs in over HTTP", s == 200, b)
p = subprocess.run([binary, "users", "set-role", "--email", "admin@example.com", "--role", "user", "--data-dir", data_dir],
                   env=env, capture_output=True, text=True, timeout=60)
check("the CLI refuses to demote the last admin", p.returncode != 0 and "last active admin" in p.stderr, p.stderr)

for key, value, flag in [("port", "abc", ["--port", "abc"]), ("log.level", "loud", [])]:
    e = dict(env)
    if not flag:
        e["HYPERION_LOG_LEVEL"] = value
    p = subprocess.run([binary, "serve", *flag, "--data-dir", "/tmp/hyperion-never-created"], env=e,
                       capture_output=True, text=True, timeout=30)
    check(f"bad {key} stops start-up naming the key", p.returncode != 0 and key in p.stderr and value in p.stderr, p.stderr)
p = subprocess.run([binary, "config", "--data-dir", "/tmp/x"], env={**env, "HYPERION_METRICS_TOKEN": "s3cr3t-token"},
                   capture_output=True, text=True, timeout=30)
check("hyperion config masks secrets", p.returncode == 0 and "metrics.token = ***" in p.stdout and "s3cr3t" not in p.stdout, p.stdout)
check("hyperion config shows flag over environment", "data_dir = /tmp/x" in p.stdout, p.stdout)

sys.exit(1 if failures else 0)
