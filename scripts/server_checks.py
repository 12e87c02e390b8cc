"""What the checks that drive real `hyperion serve` processes share: results, free ports, starting a server, JSON calls,
uploads of SciFact abstracts, waiting for a job or a condition. Imported by the *_checks.py scripts."""
import http.client
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

failures = []


def check(name, condition, detail=""):
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f"  {detail}"))
    if not condition:
        failures.append(name)


def wait(condition, seconds=30, pause=0.5):
    """True once `condition()` holds within `seconds`; errors while it is polled (a server not up yet) count as not yet."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if condition():
                return True
        except (OSError, ValueError, KeyError, IndexError, RuntimeError, http.client.HTTPException):
            pass
        time.sleep(pause)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(binary, work, name, env, data_dir, started):
    """Starts `hyperion serve` with `env`, logging to WORK/NAME.log; returns (process, base URL) once /ready answers."""
    port = free_port()
    log = open(os.path.join(work, f"{name}.log"), "a")
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data_dir], env=env, stdout=log, stderr=log)
    started.append(proc)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/ready", timeout=1)
            return proc, base
        except Exception:
            if proc.poll() is not None:
                raise SystemExit(f"server {name} exited early; see {name}.log")
            time.sleep(0.1)
    raise SystemExit(f"server {name} did not become ready")


def sse(base, path, body, token, on_event=None):
    """POSTs `body` asking for server-sent events and reads them as (event name, parsed data) pairs until the stream
    ends or `on_event(name, data, events so far)` returns True (then the connection is closed). Returns
    (status, events, when the connection was closed)."""
    parsed = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    conn.request("POST", path, json.dumps(body), {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                                  "Accept": "text/event-stream"})
    response = conn.getresponse()
    events, event = [], "message"
    while True:
        line = response.readline()
        if not line:
            break
        line = line.decode().rstrip("\r\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            events.append((event, json.loads(line[6:])))
            if on_event and on_event(event, events[-1][1], events):
                break
        elif line == "":
            event = "message"
    closed_at = time.time()
    response.close()
    conn.close()
    return response.status, events, closed_at


def call(base, method, path, body=None, token=None, content_type="application/json", timeout=60):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = content_type
        if content_type == "application/json":
            body = json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def upload(base, token, model, docs):
    """Uploads SciFact abstracts as `<id>.txt` files (title, blank line, text) in one request."""
    boundary = "checksboundary"
    parts = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{d["_id"]}.txt"\r\n\r\n'.encode()
                     + (d["title"] + "\n\n" + d["text"]).encode() + b"\r\n" for d in docs)
    return call(base, "POST", f"/api/v1/models/{model}/documents", parts + f"--{boundary}--\r\n".encode(), token,
                f"multipart/form-data; boundary={boundary}")


def wait_job(base, token, job, timeout=600):
    deadline = time.time() + timeout
    body = {}
    while time.time() < deadline:
        _, body = call(base, "GET", f"/api/v1/jobs/{job}", token=token)
        if body.get("status") in ("succeeded", "failed", "canceled"):
            return body
        time.sleep(0.2)
    return body


def wait_progress(base, token, job, done=3, timeout=60):
    """Polls a job until `done` documents are through (or it ended); returns the job as last seen."""
    deadline = time.time() + timeout
    body = {}
    while time.time() < deadline:
        _, body = call(base, "GET", f"/api/v1/jobs/{job}", token=token)
        if body.get("progress", {}).get("done", 0) >= done or body.get("status") == "succeeded":
            return body
        time.sleep(0.1)
    return body
