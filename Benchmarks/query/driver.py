"""Ingests SciFact abstracts into a running Hyperion, then measures POST /api/v1/query end to end:
sequential latency over every train claim, and throughput with N concurrent keep-alive clients."""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

base, limit, clients, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
url = urllib.parse.urlparse(base)


def call(method, path, body=None, token=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = content_type
        body = json.dumps(body).encode() if content_type == "application/json" else body
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body, method=method, headers=headers), timeout=600) as r:
        return json.loads(r.read() or b"{}")


docs = [json.loads(line) for line in open("../shared/data/scifact/corpus.jsonl")]
docs = docs[:limit] if limit else docs
claims = [json.loads(line)["text"] for line in open("../shared/data/scifact/queries.train.jsonl")]
call("POST", "/api/v1/auth/signup", {"email": "bench@example.com", "password": "bench-password-1"})
token = call("POST", "/api/v1/auth/login", {"email": "bench@example.com", "password": "bench-password-1"})["access_token"]
model = call("POST", "/api/v1/models", {"name": "SciFact"}, token)["id"]
boundary = "benchboundary"
jobs = []
started = time.time()
for i in range(0, len(docs), 100):
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{d["_id"]}.txt"\r\n\r\n'.encode()
                    + (d["title"] + "\n\n" + d["text"]).encode() + b"\r\n" for d in docs[i:i + 100]) + f"--{boundary}--\r\n".encode()
    jobs.append(call("POST", f"/api/v1/models/{model}/documents", body, token, f"multipart/form-data; boundary={boundary}")["job_id"])
for job in jobs:
    while call("GET", f"/api/v1/jobs/{job}", token=token)["status"] not in ("succeeded", "failed", "canceled"):
        time.sleep(0.2)
print(f"ingested {len(docs)} abstracts in {time.time() - started:.0f} s", file=sys.stderr)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def ask(conn, claim):
    conn.request("POST", "/api/v1/query", json.dumps({"model_id": model, "query": claim}), headers)
    response = conn.getresponse()
    body = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"{response.status}: {body}")
    return body


conn = http.client.HTTPConnection(url.hostname, url.port)
for claim in claims[:20]:
    ask(conn, claim)  # warm-up: first-use allocations, page cache
latencies, retrieval, generation, cited = [], [], [], 0
for claim in claims:
    t = time.perf_counter()
    body = ask(conn, claim)
    latencies.append((time.perf_counter() - t) * 1000)
    retrieval.append(body["timings"]["retrieval_ms"])
    generation.append(body["timings"]["generation_ms"])
    cited += bool(body["citations"])
q = statistics.quantiles(latencies, n=100)

done = [0] * clients
stop = time.perf_counter() + duration


def client(index):
    c = http.client.HTTPConnection(url.hostname, url.port)
    i = index
    while time.perf_counter() < stop:
        ask(c, claims[i % len(claims)])
        done[index] += 1
        i += clients


threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
qps = sum(done) / (time.perf_counter() - t0)
print(f"documents            {len(docs)} abstracts, {len(claims)} claims asked one at a time (cache off)")
print(f"latency over HTTP    p50 {q[49]:.1f} ms   p95 {q[94]:.1f} ms   p99 {q[98]:.1f} ms   mean {statistics.mean(latencies):.1f} ms"
      f"   (goal p50 <= 15 ms: {'met' if q[49] <= 15 else 'NOT met'})")
print(f"  of which           retrieval p50 {statistics.median(retrieval):.1f} ms, extractive answer p50 {statistics.median(generation):.1f} ms")
print(f"answers with a citation  {cited}/{len(claims)}")
print(f"throughput           {qps:.0f} queries/s with {clients} concurrent clients ({sum(done)} queries in {duration:.0f} s)")
