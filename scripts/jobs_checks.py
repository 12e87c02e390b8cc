"""Durable jobs from outside, with real server processes:
  1. kill -9 during embedding, restart: the job finishes and the chunk count equals a clean run's;
  2. (PostgreSQL) two server processes on one database share the queue: every job runs exactly once.
   jobs_checks.py BINARY WORKDIR [DATABASE_URL]"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

binary, work = sys.argv[1], sys.argv[2]
db = sys.argv[3] if len(sys.argv) > 3 else ""
failures = []
os.makedirs(work, exist_ok=True)
run = os.urandom(4).hex()  # the PostgreSQL database may be shared with other checks
email = f"jobs-{run}@example.com"
data_dir = os.path.join(work, "data")
model_path = os.path.abspath("data/models/all-MiniLM-L6-v2")


def check(name, condition, detail=""):
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f"  {detail}"))
    if not condition:
        failures.append(name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


started = []


def stop_all():
    for proc in started:
        if proc.poll() is None:
            proc.kill()


def start(name):
    port = free_port()
    env = {**os.environ, "HYPERION_DATABASE_URL": db, "HYPERION_LOG_FORMAT": "json", "HYPERION_EMBEDDING_MODEL_PATH": model_path,
           "HYPERION_AUTH_BCRYPT_COST": "10", "HYPERION_JOBS_STALE_AFTER": "5"}
    log = open(os.path.join(work, f"{name}.log"), "a")
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data_dir], env=env, stdout=log, stderr=log)
    started.append(proc)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/ready", timeout=1)
            return proc, base
        except Exception:
            if proc.poll() is not None:
                raise SystemExit(f"server {name} exited early; see {name}.log")
            time.sleep(0.1)
    raise SystemExit(f"server {name} did not become ready")


def call(base, method, path, body=None, token=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = content_type
        if content_type == "application/json":
            body = json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def upload(base, token, model, docs):
    boundary = "jobscheckboundary"
    parts = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{d["_id"]}.txt"\r\n\r\n'.encode()
                     + (d["title"] + "\n\n" + d["text"]).encode() + b"\r\n" for d in docs)
    return call(base, "POST", f"/api/v1/models/{model}/documents", parts + f"--{boundary}--\r\n".encode(), token,
                f"multipart/form-data; boundary={boundary}")


def wait_job(base, token, job, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, body = call(base, "GET", f"/api/v1/jobs/{job}", token=token)
        if body.get("status") in ("succeeded", "failed", "canceled"):
            return body
        time.sleep(0.2)
    return {}


try:
    with open("../shared/data/scifact/corpus.jsonl") as f:
        corpus = [json.loads(line) for _, line in zip(range(60), f)]

    proc, base = start("first")
    call(base, "POST", "/api/v1/auth/signup", {"email": email, "password": "jobs-password-1"})
    _, tokens = call(base, "POST", "/api/v1/auth/login", {"email": email, "password": "jobs-password-1"})
    token = tokens.get("access_token")
    _, model = call(base, "POST", "/api/v1/models", {"name": "Resume", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}, token)
    status, up = upload(base, token, model["id"], corpus[:40])
    check("40 abstracts queued", status == 202 and up.get("job_id"), up)
    job = up.get("job_id")
    # Kill -9 once the job is part-way through.
    for _ in range(600):
        _, j = call(base, "GET", f"/api/v1/jobs/{job}", token=token)
        if j.get("progress", {}).get("done", 0) >= 3 or j.get("status") == "succeeded":
            break
        time.sleep(0.1)
    part_way = j.get("status") == "running"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    check("killed with -9 while the job was running", part_way, j)

    proc, base = start("second")
    _, tokens = call(base, "POST", "/api/v1/auth/login", {"email": email, "password": "jobs-password-1"})
    token = tokens.get("access_token")
    resumed = wait_job(base, token, job)
    check("the interrupted job finishes after restart", resumed.get("status") == "succeeded" and resumed.get("attempts", 0) >= 2, resumed)
    _, clean_model = call(base, "POST", "/api/v1/models", {"name": "Clean", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}, token)
    _, clean = upload(base, token, clean_model["id"], corpus[:40])
    wait_job(base, token, clean.get("job_id"))
    _, a = call(base, "GET", f"/api/v1/models/{model['id']}", token=token)
    _, b = call(base, "GET", f"/api/v1/models/{clean_model['id']}", token=token)
    check("chunk count equals a clean run's (nothing lost, nothing twice)",
          a.get("chunk_count") == b.get("chunk_count") and a.get("document_count") == 40 and a.get("chunk_count", 0) > 40,
          (a.get("chunk_count"), b.get("chunk_count"), a.get("document_count")))
    _, search = call(base, "POST", f"/api/v1/models/{model['id']}/search", {"query": corpus[5]["title"], "top_k": 3}, token)
    check("search after resume finds an abstract by its title", any(r["text"] and corpus[5]["title"][:30] in (r["document_title"] + r["text"])
                                                                    for r in search.get("results", [])) or
          any(r["document_title"] == f"{corpus[5]['_id']}.txt" for r in search.get("results", [])), search)

    if db:
        # Two processes, one PostgreSQL: jobs are claimed with FOR UPDATE SKIP LOCKED.
        other, other_base = start("third")
        _, shared = call(base, "POST", "/api/v1/models", {"name": "Shared queue", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}, token)
        jobs = []
        for i in range(8):
            _, up = upload(base if i % 2 else other_base, token, shared["id"], corpus[40 + i * 2: 42 + i * 2])
            jobs.append(up.get("job_id"))
        results = [wait_job(base, token, j) for j in jobs]
        check("every job on the shared queue succeeded", all(r.get("status") == "succeeded" for r in results), results)
        time.sleep(1)  # the "job finished" line is written just after the job's status
        finished = []
        for name in ("second", "third"):
            for line in open(os.path.join(work, f"{name}.log")):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("message") == "job finished" and entry.get("job_id") in jobs:
                    finished.append((name, entry["job_id"]))
        ids = [j for _, j in finished]
        check("each job ran exactly once across the two processes", sorted(ids) == sorted(jobs), finished)
        check("both processes took jobs", {n for n, _ in finished} == {"second", "third"}, finished)
        _, detail = call(base, "GET", f"/api/v1/models/{shared['id']}", token=token)
        check("16 documents, each ingested once", detail.get("document_count") == 16, detail)
        other.send_signal(signal.SIGTERM)
        other.wait(timeout=30)

    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
finally:
    stop_all()
sys.exit(1 if failures else 0)
