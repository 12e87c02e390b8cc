"""An outside vector store from outside, with real server processes and a real engine (pgvector or Milvus):
  1. `hyperion index migrate --to ENGINE` while a server answers from its local index files: no query fails
     meanwhile, and a server started on the engine (with an empty data directory) finds the same documents;
  2. the engine stops answering (SIGSTOP): queries answer 503 naming it within vector.timeout, /ready names it,
     an ingestion job waits instead of failing, and finishes once the engine is back (SIGCONT).
   store_checks.py BINARY WORKDIR STORE_URL ENGINE ENGINE_URL ENGINE_DIR
ENGINE_DIR is the directory scripts/pgvector.sh or scripts/milvus.sh started the engine in."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from server_checks import call, check, failures, start_server, upload, wait_job

binary, work, store_url, engine, engine_url, engine_dir = sys.argv[1:7]
os.makedirs(work, exist_ok=True)
run = os.urandom(4).hex()  # the store may be shared with other checks
email = f"stores-{run}@example.com"
model_path = os.path.abspath("data/models/all-MiniLM-L6-v2")
started = []


def environment(store):
    return {**os.environ, "HYPERION_DATABASE_URL": store_url, "HYPERION_LOG_FORMAT": "json", "HYPERION_EMBEDDING_MODEL_PATH": model_path,
            "HYPERION_AUTH_BCRYPT_COST": "10", "HYPERION_VECTOR_STORE": store, f"HYPERION_VECTOR_{engine.upper()}_URL": engine_url,
            "HYPERION_VECTOR_TIMEOUT": "2", "HYPERION_QUERY_CACHE_SIZE": "0"}


def start(name, store, data):
    return start_server(binary, work, name, environment(store), data, started)


def top_documents(base, token, model, docs):
    found = []
    for doc in docs:
        _, r = call(base, "POST", f"/api/v1/models/{model}/search", {"query": doc["title"], "top_k": 3}, token)
        found.append([hit.get("document_title") for hit in r.get("results", [])][:1])
    return found


def descendants(pid):
    children = [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    return [pid] + [d for child in children for d in descendants(child)]


def engine_pids():
    """The engine's processes: PostgreSQL's postmaster and its children, or Milvus's wrapper and its server."""
    if engine == "pgvector":
        with open(os.path.join(engine_dir, "pgdata", "postmaster.pid")) as f:
            return descendants(int(f.readline()))
    with open(os.path.join(engine_dir, "pid")) as f:
        return descendants(int(f.read()))


try:
    with open("../shared/data/scifact/corpus.jsonl") as f:
        corpus = [json.loads(line) for _, line in zip(range(30), f)]

    # 1. Local files first, then a migration while the server answers.
    proc, base = start("local", "local", os.path.join(work, "data-local"))
    call(base, "POST", "/api/v1/auth/signup", {"email": email, "password": "stores-password-1"})
    _, tokens = call(base, "POST", "/api/v1/auth/login", {"email": email, "password": "stores-password-1"})
    token = tokens.get("access_token")
    _, model = call(base, "POST", "/api/v1/models", {"name": f"Stores {run}", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}, token)
    _, up = upload(base, token, model["id"], corpus[:20])
    check("20 abstracts ingested into local index files", wait_job(base, token, up.get("job_id")).get("status") == "succeeded", up)
    before = top_documents(base, token, model["id"], corpus[:20])
    check("each abstract is found by its title (local)", sum(b == [f"{d['_id']}.txt"] for b, d in zip(before, corpus)) >= 18, before)

    statuses = []
    stop = threading.Event()

    def ask():
        while not stop.is_set():
            statuses.append(call(base, "POST", f"/api/v1/models/{model['id']}/search", {"query": corpus[3]["title"], "top_k": 3}, token)[0])
    asker = threading.Thread(target=ask)
    asker.start()
    migrate = subprocess.run([binary, "index", "migrate", "--to", engine, "--data-dir", os.path.join(work, "data-local")],
                             env=environment("local"), capture_output=True, text=True, timeout=600)
    stop.set()
    asker.join()
    check(f"hyperion index migrate --to {engine} copies every knowledge base", migrate.returncode == 0 and f"Stores {run}" in migrate.stdout
          and f"knowledge bases copied into {engine}" in migrate.stdout, (migrate.returncode, migrate.stdout[-500:], migrate.stderr[-500:]))
    check("queries kept answering during the migration", statuses and all(s == 200 for s in statuses), statuses[:20])
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)

    proc, base = start(engine, engine, os.path.join(work, f"data-{engine}"))
    # Another data directory holds another signing key: sign in again.
    _, tokens = call(base, "POST", "/api/v1/auth/login", {"email": email, "password": "stores-password-1"})
    token = tokens.get("access_token")
    after = top_documents(base, token, model["id"], corpus[:20])
    check(f"a server on {engine} (empty data directory) finds the same documents", after == before, (before, after))
    check("no index files were written", not os.path.exists(os.path.join(work, f"data-{engine}", "indexes")))

    # 2. The engine stops answering, then comes back.
    pids = engine_pids()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        status, body = call(base, "POST", f"/api/v1/models/{model['id']}/search", {"query": corpus[3]["title"], "top_k": 3}, token)
        elapsed = time.time() - t0
        check("a query while the engine hangs: 503 naming it, within the timeout",
              status == 503 and body.get("code") == "index_unavailable" and engine in body.get("detail", "") and elapsed < 10,
              (status, body, round(elapsed, 1)))
        status, ready = call(base, "GET", "/ready")
        check("/ready names the engine", status == 503 and engine in json.dumps(ready), (status, ready))
        _, up = upload(base, token, model["id"], corpus[20:22])
        time.sleep(4)
        _, job = call(base, "GET", f"/api/v1/jobs/{up.get('job_id')}", token=token)
        check("an ingestion job waits for the engine instead of failing", job.get("status") in ("queued", "running"), job)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    job = wait_job(base, token, up.get("job_id"))
    check("the job finishes once the engine is back", job.get("status") == "succeeded", job)
    found = top_documents(base, token, model["id"], corpus[20:22])
    check("what it ingested is found", found == [[f"{d['_id']}.txt"] for d in corpus[20:22]], found)
    status, _ = call(base, "GET", "/ready")
    check("/ready is 200 again", status == 200, status)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
finally:
    for p in started:
        if p.poll() is None:
            p.kill()
sys.exit(1 if failures else 0)
