"""Uploads SciFact abstracts to a running Hyperion as text documents, waits for every job, reports JSON."""
import json
import sys
import time
import urllib.request

base, pid, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])


def call(method, path, body=None, token=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = content_type
        body = json.dumps(body).encode() if content_type == "application/json" else body
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body, method=method, headers=headers), timeout=600) as r:
        return json.loads(r.read() or b"{}")


def peak_rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


docs = [json.loads(line) for line in open("../shared/data/scifact/corpus.jsonl")]
docs = docs[:limit] if limit else docs
call("POST", "/api/v1/auth/signup", {"email": "bench@example.com", "password": "bench-password-1"})
token = call("POST", "/api/v1/auth/login", {"email": "bench@example.com", "password": "bench-password-1"})["access_token"]
model = call("POST", "/api/v1/models", {"name": "SciFact"}, token)["id"]
start = time.time()
jobs = []
boundary = "benchboundary"
for i in range(0, len(docs), 100):
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{d["_id"]}.txt"\r\n\r\n'.encode()
                    + (d["title"] + "\n\n" + d["text"]).encode() + b"\r\n" for d in docs[i:i + 100]) + f"--{boundary}--\r\n".encode()
    jobs.append(call("POST", f"/api/v1/models/{model}/documents", body, token, f"multipart/form-data; boundary={boundary}")["job_id"])
for job in jobs:
    while call("GET", f"/api/v1/jobs/{job}", token=token)["status"] not in ("succeeded", "failed", "canceled"):
        time.sleep(0.2)
seconds = time.time() - start
detail = call("GET", f"/api/v1/models/{model}", token=token)
print(json.dumps({"documents": detail["document_count"], "chunks": detail["chunk_count"], "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))
