"""Drives `make bench-cluster` (Benchmarks/cluster/run.sh): brings scripts/cluster.sh up, adds a second nginx in front
of instance a alone, ingests SciFact abstracts and measures questions through both front doors in the same run.
   driver.py CLUSTER_DIR LIMIT CLIENTS SECONDS_PER_PHASE"""
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scifact_client import ask as scifact_ask, connect, ingest, scifact, sign_in  # noqa: E402

cluster, limit, clients, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


os.environ.update({"CLUSTER_PORT": str(free_port()), "HYPERION_LOG_LEVEL": "warning", "HYPERION_LOG_ACCESS": "false",
                   "HYPERION_AUTH_BCRYPT_COST": "10", "HYPERION_QUERY_CACHE_SIZE": "0"})


def sh(*args):
    subprocess.run(["scripts/cluster.sh", *args, cluster], check=True, stdout=subprocess.DEVNULL)


def cluster_env():
    with open(os.path.join(cluster, "env")) as f:
        return dict((k, v.strip().strip("'")) for k, _, v in (line.partition("=") for line in f if "=" in line))


started = time.time()
sh("up")
env = cluster_env()
both = env["URL"]
instance_a = f"http://127.0.0.1:{env['PORT_A']}"
# The same nginx configuration with instance b's upstream line removed, on its own port: "one instance".
one_port = free_port()
conf = open(os.path.join(cluster, "nginx.conf")).read()
conf = re.sub(rf"\n\s*server 127\.0\.0\.1:{env['PORT_B']}[^\n]*", "", conf)
conf = conf.replace(f"listen 127.0.0.1:{env['NGINX_PORT']};", f"listen 127.0.0.1:{one_port};")
conf = conf.replace(f"pid {cluster}/nginx.pid;", f"pid {cluster}/nginx-one.pid;").replace("nginx-tmp", "nginx-one-tmp")
conf = conf.replace("nginx-access.log", "nginx-one-access.log").replace("nginx-error.log", "nginx-one-error.log")
os.makedirs(os.path.join(cluster, "nginx-one-tmp"), exist_ok=True)
with open(os.path.join(cluster, "nginx-one.conf"), "w") as f:
    f.write(conf)
subprocess.run(["nginx", "-p", cluster, "-c", os.path.join(cluster, "nginx-one.conf")], check=True)
one = f"http://127.0.0.1:{one_port}"


def metric(base, name):
    with urllib.request.urlopen(base + "/metrics", timeout=60) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


try:
    docs, claims = scifact(limit)
    token = sign_in(both)
    model, ingest_s = ingest(both, token, docs)
    time.sleep(2)  # the other instance's follower (lag ~0.1 s) has the last generation
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def ask(conn, claim):
        return scifact_ask(conn, model, token, claim)

    def sequential(base, n):
        conn = connect(base)
        for claim in claims[:20]:
            ask(conn, claim)
        latencies, retrieval, generation = [], [], []
        for claim in claims[:n]:
            t = time.perf_counter()
            body = ask(conn, claim)
            latencies.append((time.perf_counter() - t) * 1000)
            retrieval.append(body["timings"]["retrieval_ms"])
            generation.append(body["timings"]["generation_ms"])
        q = statistics.quantiles(latencies, n=100)
        return q[49], q[98], statistics.median(retrieval), statistics.median(generation)

    def throughput(base):
        done = [0] * clients
        stop = time.perf_counter() + duration

        def client(index):
            c = connect(base)
            i = index
            while time.perf_counter() < stop:
                ask(c, claims[i % len(claims)])
                done[index] += 1
                i += clients

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return sum(done) / (time.perf_counter() - t)

    def me_latency(base, n=3000):
        conn = connect(base)
        latencies = []
        for i in range(n + 200):
            t = time.perf_counter()
            conn.request("GET", "/api/v1/auth/me", headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError(f"/auth/me answered {r.status}")
            if i >= 200:
                latencies.append((time.perf_counter() - t) * 1000)
        q = statistics.quantiles(latencies, n=100)
        return q[49], q[98]

    results = {}
    # Uncached: the query cache is off on both instances, so every question embeds, searches and answers.
    results["uncached"] = (sequential(both, len(claims)), throughput(one), throughput(both))

    # Cached: both instances restarted with the shared Redis cache on; every claim asked once to fill it.
    os.environ["HYPERION_QUERY_CACHE_SIZE"] = "10000"
    sh("restart-instance", "a")
    sh("restart-instance", "b")
    conn = connect(both)
    for claim in claims:
        ask(conn, claim)
    hits0 = sum(metric(b, "rag_query_cache_hits_total") for b in (instance_a, f"http://127.0.0.1:{env['PORT_B']}"))
    misses0 = sum(metric(b, "rag_query_cache_misses_total") for b in (instance_a, f"http://127.0.0.1:{env['PORT_B']}"))
    results["cached"] = (sequential(both, len(claims)), throughput(one), throughput(both))
    hits = sum(metric(b, "rag_query_cache_hits_total") for b in (instance_a, f"http://127.0.0.1:{env['PORT_B']}")) - hits0
    misses = sum(metric(b, "rag_query_cache_misses_total") for b in (instance_a, f"http://127.0.0.1:{env['PORT_B']}")) - misses0

    # The rate-limit check: instance a restarted with a per-user limit far above what this run sends, and without
    # one, three times each in turn (one busy caller; the median of the p50s per setting, since one block's p50
    # moves with whatever else the machine did meanwhile).
    me = {"off": [], "on": []}
    for _ in range(3):
        for setting, value in (("on", "1000000"), ("off", "0")):  # 1,000,000 a minute: the largest allowed
            os.environ["HYPERION_RATE_LIMIT_REQUESTS_PER_MINUTE"] = value
            sh("restart-instance", "a")
            me[setting].append(me_latency(instance_a, 2000))
    me_off = (statistics.median(p for p, _ in me["off"]), statistics.median(q for _, q in me["off"]))
    me_on = (statistics.median(p for p, _ in me["on"]), statistics.median(q for _, q in me["on"]))

    print(f"documents        {len(docs)} SciFact abstracts ingested through nginx in {ingest_s:.0f} s; {len(claims)} train claims")
    print(f"clients          {clients} concurrent keep-alive clients for {duration:.0f} s per throughput figure; 2 cores shared by all")
    print()
    print(f"{'':10} {'p50 ms':>8} {'p99 ms':>8} {'retrieval':>10} {'answer':>8} {'q/s 1 instance':>15} {'q/s 2 instances':>16} {'2 / 1':>6}")
    for name, ((p50, p99, retrieval, generation), q1, q2) in results.items():
        print(f"{name:10} {p50:8.1f} {p99:8.1f} {retrieval:10.1f} {generation:8.1f} {q1:15.0f} {q2:16.0f} {q2 / q1:6.2f}x")
    print("(sequential p50/p99 through nginx in front of both instances; retrieval and answer: the server's own p50 timings)")
    print(f"cache hit ratio while measuring the cached phase (from /metrics): {hits / max(hits + misses, 1):.3f} ({int(hits)} hits, {int(misses)} misses)")
    print(f"cached / uncached p50: {results['cached'][0][0] / results['uncached'][0][0]:.2f}x")
    print()
    print(f"GET /auth/me on one instance, rate limit off: p50 {me_off[0] * 1000:.0f} µs, p99 {me_off[1] * 1000:.0f} µs (median of 3 blocks)")
    print(f"GET /auth/me on one instance, rate limit on (Redis): p50 {me_on[0] * 1000:.0f} µs, p99 {me_on[1] * 1000:.0f} µs (median of 3 blocks)")
    print("  blocks, p50 µs: off " + ", ".join(f"{p * 1000:.0f}" for p, _ in me["off"]) + "; on " + ", ".join(f"{p * 1000:.0f}" for p, _ in me["on"]))
    cost = (me_on[0] - me_off[0]) * 1000
    print(f"rate-limit check per request, one busy caller (difference of p50s): {cost:.0f} µs (goal < 200 µs p50: {'met' if cost < 200 else 'NOT met'})")
    print(f"whole run {time.time() - started:.0f} s")
finally:
    subprocess.run(["nginx", "-p", cluster, "-c", os.path.join(cluster, "nginx-one.conf"), "-s", "quit"], stderr=subprocess.DEVNULL)
