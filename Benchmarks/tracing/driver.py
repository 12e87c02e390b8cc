"""The tracing benchmark's measurements: the same SciFact abstracts ingested into each server, then interleaved
rounds of GET /api/v1/auth/me under wrk (-t2 -c64) and of sequential questions (p50 latency), per server.
    driver.py ROUNDS DURATION LIMIT QUESTIONS NAME=URL...   (the first NAME is the reference of the ratios)"""
import http.client
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scifact_client import ask, ingest, scifact, sign_in  # noqa: E402

rounds, duration, limit, questions = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
servers = [arg.split("=", 1) for arg in sys.argv[5:]]
docs, claims = scifact(limit)
setup = {}
for name, base in servers:
    token = sign_in(base)
    model, seconds = ingest(base, token, docs)
    setup[name] = (base, token, model)
    print(f"{name}: ingested {len(docs)} abstracts in {seconds:.0f} s", file=sys.stderr)


def wrk_rps(base, token):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{duration}", "-H", f"Authorization: Bearer {token}", base + "/api/v1/auth/me"],
                         capture_output=True, text=True, check=True).stdout
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))


def query_p50(base, token, model, start):
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    latencies = []
    for claim in claims[start:start + questions]:
        t = time.perf_counter()
        ask(conn, model, token, claim)
        latencies.append((time.perf_counter() - t) * 1000)
    return statistics.median(latencies)


for name, (base, token, model) in setup.items():  # warm-up
    subprocess.run(["wrk", "-t2", "-c64", "-d3s", "-H", f"Authorization: Bearer {token}", base + "/api/v1/auth/me"], capture_output=True)
    query_p50(base, token, model, 0)
rps = {name: [] for name, _ in servers}
p50 = {name: [] for name, _ in servers}
for round_index in range(rounds):
    for name, (base, token, model) in setup.items():
        rps[name].append(wrk_rps(base, token))
        # Other claims each round: the cache is off anyway, but the index pages differ.
        p50[name].append(query_p50(base, token, model, (round_index * questions) % max(1, len(claims) - questions)))
    print(f"round {round_index + 1}: " + ", ".join(f"{n} {rps[n][-1]:.0f}/s {p50[n][-1]:.1f} ms" for n, _ in servers), file=sys.stderr)

reference = servers[0][0]
print(f"{'server':<14} {'/auth/me req/s':>15} {'vs ' + reference:>10} {'round ratios':>16} {'query p50 ms':>13} {'vs ' + reference:>10}")
for name, _ in servers:
    ratios = [a / b for a, b in zip(rps[name], rps[reference])]
    print(f"{name:<14} {statistics.median(rps[name]):>15.0f} {statistics.median(rps[name]) / statistics.median(rps[reference]):>10.3f} "
          f"{min(ratios):>7.3f}–{max(ratios):<7.3f} {statistics.median(p50[name]):>13.1f} "
          f"{statistics.median(p50[name]) / statistics.median(p50[reference]):>10.3f}")
