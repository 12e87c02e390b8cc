"""Durable jobs from outside, with real server processes:
  1. kill -9 during embedding, restart: the job finishes and the chunk count equals a clean run's;
  2. (PostgreSQL) two server processes on one database share the queue: every job runs exactly once.
   jobs_checks.py BINARY WORKDIR [DATABASE_URL]"""
import json
import os
import signal
import sys
import time

from server_checks import call, check, failures, start_server, upload, wait_job, wait_progress

binary, work = sys.argv[1], sys.argv[2]
db = sys.argv[3] if len(sys.argv) > 3 else ""
os.makedirs(work, exist_ok=True)
run = os.urandom(4).hex()  # the PostgreSQL database may be shared with other checks
email = f"jobs-{run}@example.com"
data_dir = os.path.join(work, "data")
model_path = os.path.abspath("data/models/all-MiniLM-L6-v2")


started = []


def stop_all():
    for proc in started:
        if proc.poll() is None:
            proc.kill()


def start(name):
    env = {**os.environ, "HYPERION_DATABASE_URL": db, "HYPERION_LOG_FORMAT": "json", "HYPERION_EMBEDDING_MODEL_PATH": model_path,
           "HYPERION_AUTH_BCRYPT_COST": "10", "HYPERION_JOBS_STALE_AFTER": "5"}
    return start_server(binary, work, name, env, data_dir, started)


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
    j = wait_progress(base, token, job)
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
        via = {}  # document id -> the instance it was uploaded through
        for i in range(8):
            _, up = upload(base if i % 2 else other_base, token, shared["id"], corpus[40 + i * 2: 42 + i * 2])
            jobs.append(up.get("job_id"))
            for d, doc in zip(up.get("documents", []), corpus[40 + i * 2: 42 + i * 2]):
                via[doc["_id"]] = (d.get("document_id"), base if i % 2 else other_base)
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

        def search(b, doc):
            _, r = call(b, "POST", f"/api/v1/models/{shared['id']}/search", {"query": doc["title"], "top_k": 5}, token)
            return [hit.get("document_id") for hit in r.get("results", [])]
        if os.environ.get("HYPERION_VECTOR_STORE", "local") != "local":
            # One vector store and one keyword index for every instance: what one indexed, the other retrieves.
            crossed = [doc["_id"] for doc in corpus[40:56]
                       if via[doc["_id"]][0] not in search(other_base if via[doc["_id"]][1] == base else base, doc)]
            check("each document is retrieved through the instance it was not uploaded through", not crossed, crossed)
        # A delete through one instance (204) is never retrieved through the other afterwards, even for a question
        # the other answered (and cached) just before.
        doc = corpus[41]
        doc_id = via[doc["_id"]][0]
        before = search(other_base, doc)
        status, _ = call(base, "DELETE", f"/api/v1/documents/{doc_id}", token=token)
        after = search(other_base, doc)
        check("a document deleted through one instance is not retrieved through the other",
              status == 204 and doc_id in before and doc_id not in after, (status, doc_id, before, after))
        other.send_signal(signal.SIGTERM)
        other.wait(timeout=30)

    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
finally:
    stop_all()
sys.exit(1 if failures else 0)
