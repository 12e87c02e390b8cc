"""What the query and cluster benchmark drivers share: a small client for Hyperion's API, SciFact's abstracts and
train claims, ingestion through multipart uploads, and asking a question on a keep-alive connection."""
import http.client
import json
import time
import urllib.parse
import urllib.request

CORPUS = "../shared/data/scifact/corpus.jsonl"
CLAIMS = "../shared/data/scifact/queries.train.jsonl"


def call(base, method, path, body=None, token=None, content_type="application/json"):
    """One request; JSON in and out."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = content_type
        body = json.dumps(body).encode() if content_type == "application/json" else body
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body, method=method, headers=headers), timeout=600) as r:
        return json.loads(r.read() or b"{}")


def scifact(limit):
    """The first `limit` abstracts (all with 0) and every train claim."""
    docs = [json.loads(line) for line in open(CORPUS)]
    claims = [json.loads(line)["text"] for line in open(CLAIMS)]
    return (docs[:limit] if limit else docs), claims


def sign_in(base, email="bench@example.com", password="bench-password-1"):
    """Signs up (the first account is the admin) and returns an access token."""
    call(base, "POST", "/api/v1/auth/signup", {"email": email, "password": password})
    return call(base, "POST", "/api/v1/auth/login", {"email": email, "password": password})["access_token"]


def ingest(base, token, docs, name="SciFact", per_request=100):
    """Creates a RAG model, uploads `docs` as text files and waits for every job; returns (model id, seconds)."""
    model = call(base, "POST", "/api/v1/models", {"name": name}, token)["id"]
    boundary = "benchboundary"
    jobs = []
    started = time.time()
    for i in range(0, len(docs), per_request):
        body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{d["_id"]}.txt"\r\n\r\n'.encode()
                        + (d["title"] + "\n\n" + d["text"]).encode() + b"\r\n" for d in docs[i:i + per_request]) + f"--{boundary}--\r\n".encode()
        jobs.append(call(base, "POST", f"/api/v1/models/{model}/documents", body, token, f"multipart/form-data; boundary={boundary}")["job_id"])
    for job in jobs:
        while call(base, "GET", f"/api/v1/jobs/{job}", token=token)["status"] not in ("succeeded", "failed", "canceled"):
            time.sleep(0.2)
    return model, time.time() - started


def connect(base):
    """A keep-alive connection to `base`."""
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600)


def ask(conn, model, token, claim):
    """POST /api/v1/query on `conn`; the answer's JSON, or an error naming the status."""
    conn.request("POST", "/api/v1/query", json.dumps({"model_id": model, "query": claim}),
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{response.status}: {body[:300]!r}")
    return json.loads(body)
