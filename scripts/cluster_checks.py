"""Two instances behind nginx on one PostgreSQL and one Redis (scripts/cluster.sh), checked as a user meets them:
the whole flow through nginx (signup, upload, train, a streamed answer, sessions, API keys), a rate limit hit
through alternating instances, a disabled user refused everywhere, login throttling shared, a cache entry dropped
by a train on the other instance, Redis stopped and restarted mid-run (no 5xx), and one instance killed with -9
during ingestion (the job finishes on the other, nothing lost or twice).
   cluster_checks.py BINARY WORKDIR [REDIS_DIR]
With REDIS_DIR (a scripts/redis.sh directory) the cluster uses that Redis and CLUSTER_DATABASE_URL's database, and
the Redis restart check stops and restarts that server."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from server_checks import call, check, failures, free_port, upload, wait_job, wait_progress

binary, work = sys.argv[1], sys.argv[2]
redis_dir = sys.argv[3] if len(sys.argv) > 3 else None
os.makedirs(work, exist_ok=True)
cluster = os.path.join(work, "cluster")
LIMIT = 300
env = {**os.environ, "HYPERION_BIN": binary, "CLUSTER_PORT": str(free_port()), "HYPERION_AUTH_BCRYPT_COST": "10",
       "HYPERION_JOBS_STALE_AFTER": "5", "HYPERION_RATE_LIMIT_REQUESTS_PER_MINUTE": str(LIMIT),
       # Admins are unlimited here: the checks below drive hundreds of admin requests a minute.
       "HYPERION_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE": "0"}


def sh(*args):
    return subprocess.run(["scripts/cluster.sh", *args], env=env, check=True, capture_output=True, text=True).stdout.strip()


def cluster_env():
    values = {}
    with open(os.path.join(cluster, "env")) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            values[key] = value.strip("'")
    return values


def raw(base, method, path, token=None, headers=None, body=None):
    """Status, headers and body bytes, whatever the status."""
    req = urllib.request.Request(base + path, method=method, data=body, headers={**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def metric(base, name):
    _, _, text = raw(base, "GET", "/metrics")
    for line in text.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


try:
    url = sh("up", cluster)
    conf = cluster_env()
    a, b = f"http://127.0.0.1:{conf['PORT_A']}", f"http://127.0.0.1:{conf['PORT_B']}"
    with open("../shared/data/scifact/corpus.jsonl") as f:
        corpus = [json.loads(line) for _, line in zip(range(80), f)]

    # The user flow, through nginx only.
    call(url, "POST", "/api/v1/auth/signup", {"email": "admin@example.com", "password": "cluster-password-1"})
    call(url, "POST", "/api/v1/auth/signup", {"email": "user@example.com", "password": "cluster-password-1"})
    _, tokens = call(url, "POST", "/api/v1/auth/login", {"email": "admin@example.com", "password": "cluster-password-1"})
    admin = tokens.get("access_token")
    status, model = call(url, "POST", "/api/v1/models", {"name": "Cluster", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}, admin)
    check("a RAG model created through nginx", status == 201, model)
    status, up = upload(url, admin, model["id"], corpus[:12])
    job = wait_job(url, admin, up.get("job_id"))
    check("12 abstracts uploaded and ingested through nginx", status == 202 and job.get("status") == "succeeded", job)
    status, headers, body = raw(url, "POST", "/api/v1/query", admin, {"Content-Type": "application/json", "Accept": "text/event-stream"},
                                json.dumps({"model_id": model["id"], "query": corpus[3]["title"], "stream": True}).encode())
    events = [line[7:] for line in body.decode().splitlines() if line.startswith("event: ")]
    check("a streamed answer through nginx: sources, then done", status == 200 and "text/event-stream" in headers.get("Content-Type", "")
          and events[:1] == ["sources"] and events[-1:] == ["done"], (status, events))
    status, session = call(url, "POST", "/api/v1/sessions", {"model_id": model["id"], "title": "cluster"}, admin)
    for question in (corpus[1]["title"], "and what else?"):
        call(url, "POST", "/api/v1/query", {"model_id": model["id"], "query": question, "session_id": session.get("id")}, admin)
    _, messages = call(url, "GET", f"/api/v1/sessions/{session.get('id')}/messages", token=admin)
    check("a session keeps its conversation across instances", len(messages.get("items", messages.get("messages", []))) == 4, messages)
    _, created = call(url, "POST", "/api/v1/auth/api-keys", {"name": "cluster"}, admin)
    status, _, _ = raw(url, "GET", "/api/v1/models", headers={"X-API-Key": created.get("key", "")})
    check("an API key works through nginx", status == 200, status)

    # Round robin: both instances answered.
    def served(name):
        with open(os.path.join(cluster, f"{name}.log")) as f:
            return sum(1 for line in f if '"/api/v1/auth/me"' in line or '"path":"/api/v1/auth/me"' in line)
    for _ in range(6):
        call(url, "GET", "/api/v1/auth/me", token=admin)
    check("nginx spreads requests over both instances", served("a") > 0 and served("b") > 0, (served("a"), served("b")))

    # One rate limit over both instances.
    _, tokens = call(url, "POST", "/api/v1/auth/login", {"email": "user@example.com", "password": "cluster-password-1"})
    user = tokens.get("access_token")
    statuses, retry_after = [], None
    for _ in range(LIMIT + 5):
        status, headers, _ = raw(url, "GET", "/api/v1/auth/me", user)
        statuses.append(status)
        if status == 429:
            retry_after = headers.get("Retry-After")
    check(f"the rate limit holds across instances: {LIMIT} answered, then 429 with Retry-After",
          statuses.count(200) == LIMIT and statuses[LIMIT:] == [429] * 5 and retry_after, (statuses.count(200), statuses[LIMIT:], retry_after))

    # Disabled through one instance: refused by both at once.
    _, users = call(a, "GET", "/api/v1/users?email=user@example.com", token=admin)
    user_id = next((u["id"] for u in users.get("items", []) if u["email"] == "user@example.com"), None)
    call(a, "PATCH", f"/api/v1/users/{user_id}", {"is_disabled": True}, admin)
    both = [raw(host, "GET", "/api/v1/auth/me", user)[0] for host in (a, b)]
    check("a user disabled through one instance is refused by both as the change returns", both == [401, 401], both)

    # Login throttling counts failures from every instance.
    for host in (a, b, a, b, a):
        call(host, "POST", "/api/v1/auth/login", {"email": "admin@example.com", "password": "wrong-password-9"})
    check("failed logins spread over both instances are counted together",
          [call(host, "POST", "/api/v1/auth/login", {"email": "admin@example.com", "password": "cluster-password-1"})[0] for host in (a, b)] == [429, 429])

    # A cached retrieval on one instance is not served after a train through the other.
    question = {"model_id": model["id"], "query": corpus[7]["title"]}
    call(a, "POST", "/api/v1/query", question, admin)
    hits = metric(a, "rag_query_cache_hits_total")
    call(a, "POST", "/api/v1/query", question, admin)
    cached = metric(a, "rag_query_cache_hits_total") == hits + 1
    call(b, "PATCH", f"/api/v1/models/{model['id']}", {"chunking": {"size_tokens": 96, "overlap_tokens": 8}}, admin)
    _, trained = call(b, "POST", f"/api/v1/models/{model['id']}/train", None, admin)
    wait_job(b, admin, trained.get("id"))
    hits = metric(a, "rag_query_cache_hits_total")
    _, answer = call(a, "POST", "/api/v1/query", question, admin)
    check("a cache entry on one instance is dropped by a train through the other", cached and metric(a, "rag_query_cache_hits_total") == hits
          and answer.get("sources"), (cached, answer.get("sources", [])[:1]))

    # Redis stopped and restarted while requests keep coming: no 5xx.
    seen, stop = [], threading.Event()

    def traffic():
        while not stop.is_set():
            seen.append(raw(url, "GET", "/api/v1/auth/me", admin)[0])
            seen.append(raw(url, "POST", f"/api/v1/models/{model['id']}/search", admin, {"Content-Type": "application/json"},
                            json.dumps({"query": corpus[2]["title"]}).encode())[0])
    worker = threading.Thread(target=traffic)
    worker.start()
    time.sleep(1)
    redis_home = redis_dir or os.path.join(cluster, "redis")
    subprocess.run(["scripts/redis.sh", "stop", redis_home], check=True)
    time.sleep(2)
    _, _, ready = raw(url, "GET", "/ready")
    degraded = json.loads(ready).get("status") == "degraded"
    subprocess.run(["scripts/redis.sh", "restart", redis_home], check=True, capture_output=True)
    time.sleep(3)
    stop.set()
    worker.join()
    _, _, ready = raw(url, "GET", "/ready")
    check("Redis down: /ready says degraded; requests go on without a 5xx; back: ready again",
          degraded and seen and all(s < 500 for s in seen) and json.loads(ready).get("status") == "ready",
          (degraded, len(seen), sorted(set(seen)), ready[:200]))

    # kill -9 one instance during ingestion: the other finishes the job, nothing lost or twice.
    _, big = call(url, "POST", "/api/v1/models", {"name": "Kill", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}, admin)
    _, up = upload(a, admin, big["id"], corpus[20:60])
    job_id = up.get("job_id")
    j = wait_progress(a, admin, job_id)
    ran_on_a = j.get("status") == "running"
    os.kill(int(open(os.path.join(cluster, "a.pid")).read()), 9)
    during = [raw(url, "GET", "/api/v1/auth/me", admin)[0] for _ in range(6)]
    finished = wait_job(url, admin, job_id)
    _, clean_model = call(url, "POST", "/api/v1/models", {"name": "Clean", "chunking": {"size_tokens": 64, "overlap_tokens": 8}}, admin)
    _, clean = upload(url, admin, clean_model["id"], corpus[20:60])
    wait_job(url, admin, clean.get("job_id"))
    _, killed = call(url, "GET", f"/api/v1/models/{big['id']}", token=admin)
    _, reference = call(url, "GET", f"/api/v1/models/{clean_model['id']}", token=admin)
    check("an instance killed with -9 mid-job: the other finishes it, nothing lost or twice",
          ran_on_a and finished.get("status") == "succeeded" and killed.get("document_count") == 40
          and killed.get("chunk_count") == reference.get("chunk_count"), (ran_on_a, finished.get("status"), killed.get("chunk_count"), reference.get("chunk_count")))
    check("while it is down nginx sends requests to the other instance (no 5xx)", all(s == 200 for s in during), during)
    sh("restart-instance", "a", cluster)
    check("the killed instance comes back and serves", call(a, "GET", "/api/v1/auth/me", token=admin)[0] == 200)
finally:
    subprocess.run(["scripts/cluster.sh", "down", cluster], env=env)

if failures:
    print(f"{len(failures)} cluster check(s) failed: {failures}")
    sys.exit(1)
print("cluster checks passed")
