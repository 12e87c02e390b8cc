"""Drives `make bench-queue` (Benchmarks/queue/run.sh): a direct server and a queued one (with one worker) over the same
stand-in LLM, measured in the same run.
   driver.py HYPERION_BINARY WORKDIR AMQP_URL REQUESTS CLIENTS SECONDS_PER_PHASE"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(root, "scripts"))
from server_checks import call, start_server, wait  # noqa: E402

binary, work, amqp_url, requests, clients, duration = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
started = []
port_file = os.path.join(work, "standin.port")
started.append(subprocess.Popen([sys.executable, os.path.join(root, "scripts", "llm_standin.py"), port_file],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
wait(lambda: os.path.getsize(port_file) > 0, 10, 0.05)
standin = f"http://127.0.0.1:{open(port_file).read().strip()}/v1"
common = {**os.environ, "HYPERION_EMBEDDING_PROVIDER": "hashing", "HYPERION_LOG_LEVEL": "warning", "HYPERION_LOG_ACCESS": "false",
          "HYPERION_AUTH_BCRYPT_COST": "10", "HYPERION_LLM_PROVIDERS": "standin", "HYPERION_LLM_STANDIN_KIND": "openai",
          "HYPERION_LLM_STANDIN_BASE_URL": standin, "HYPERION_LLM_STANDIN_MODEL": "fixed", "HYPERION_WORKER_CONCURRENCY": str(max(clients, 4)),
          "HYPERION_RABBITMQ_URL": amqp_url}


def server(name, queued):
    data = os.path.join(work, name)
    os.makedirs(data, exist_ok=True)
    env = {**common, "HYPERION_LLM_QUEUE": "rabbitmq" if queued else "none"}
    proc, base = start_server(binary, work, name, env, data, started)
    if queued:
        log = open(os.path.join(work, "worker.log"), "a")
        started.append(subprocess.Popen([binary, "worker", "--data-dir", data], env=env, stdout=log, stderr=log))
    call(base, "POST", "/api/v1/auth/signup", {"email": "bench@example.com", "password": "bench-password-1"})
    _, tokens = call(base, "POST", "/api/v1/auth/login", {"email": "bench@example.com", "password": "bench-password-1"})
    return base, tokens["access_token"]


def generate(conn, token):
    body = json.dumps({"provider": "standin", "prompt": "Say something short."})
    began = time.perf_counter()
    conn.request("POST", "/api/v1/generate", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"generate answered {response.status}")
    return time.perf_counter() - began


def connection(base):
    host, port = base.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=30)


try:
    direct = server("direct", False)
    queued = server("queued", True)
    time.sleep(2)
    conns = {name: connection(base) for name, (base, _) in (("direct", direct), ("queued", queued))}
    for name, (base, token) in (("direct", direct), ("queued", queued)):
        for _ in range(20):  # warm up: connections, the JIT-free paths, the worker's provider client
            generate(conns[name], token)
    latencies = {"direct": [], "queued": []}
    for _ in range(requests):  # interleaved, so both see the same machine
        for name, (base, token) in (("direct", direct), ("queued", queued)):
            latencies[name].append(generate(conns[name], token) * 1000)

    def pct(values, p):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def throughput(base, token):
        counts, stop = [0] * clients, time.time() + duration

        def client(i):
            conn = connection(base)
            while time.time() < stop:
                generate(conn, token)
                counts[i] += 1
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        began = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(counts) / (time.time() - began)

    rates = {name: throughput(*pair) for name, pair in (("direct", direct), ("queued", queued))}
    print(f"stand-in LLM: 50 ms per answer; {requests} sequential requests each (interleaved), then {clients} clients for {duration:.0f} s each")
    print(f"{'path':8} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'answers/s':>10}")
    for name in ("direct", "queued"):
        values = latencies[name]
        print(f"{name:8} {pct(values, 50):8.2f} {pct(values, 99):8.2f} {statistics.mean(values):8.2f} {rates[name]:10.1f}")
    print(f"added by the queue: p50 {pct(latencies['queued'], 50) - pct(latencies['direct'], 50):.2f} ms, "
          f"p99 {pct(latencies['queued'], 99) - pct(latencies['direct'], 99):.2f} ms; "
          f"answers/s {rates['queued'] / rates['direct']:.2f}x the direct path")
finally:
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
