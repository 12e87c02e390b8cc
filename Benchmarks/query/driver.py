"""Ingests SciFact abstracts into a running Hyperion, then measures POST /api/v1/query end to end:
sequential latency over every train claim, and throughput with N concurrent keep-alive clients."""
import http.client
import os
import statistics
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scifact_client import ask as scifact_ask, ingest, scifact, sign_in  # noqa: E402

base, limit, clients, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
url = urllib.parse.urlparse(base)


docs, claims = scifact(limit)
token = sign_in(base)
model, ingest_s = ingest(base, token, docs)
print(f"ingested {len(docs)} abstracts in {ingest_s:.0f} s", file=sys.stderr)


def ask(conn, claim):
    return scifact_ask(conn, model, token, claim)


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
