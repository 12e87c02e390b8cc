"""The LLM queue end to end (llm.queue=rabbitmq) against a real RabbitMQ and the real binary: a server, `hyperion worker`
processes, and a stand-in OpenAI-compatible LLM.
    queue_checks.py HYPERION_BINARY WORKDIR RABBITMQ_DIR      (RABBITMQ_DIR: a broker scripts/rabbitmq.sh started)
- the answer checks (answer_checks.py: JSON, SSE, cancellation within a second, first-token timeout, the openai SDK)
  pass unchanged with every generation going through the queue to two workers;
- a worker killed with -9 mid-answer: another worker answers again and the client gets the whole answer once;
- a worker stopped with SIGTERM mid-answer finishes that answer, then exits 0;
- a provider failing twice (503, the client's own retries off) is retried by the worker and answers;
- a poison message (published here with pika) goes to the dead-letter queue and the workers go on;
- no worker: 504 naming the queue after the first-token timeout; over rabbitmq.max_queue_depth: 503 with Retry-After;
  /metrics shows the depth and no consumer; a worker started meanwhile answers the waiting requests;
- RabbitMQ restarted mid-answer: /ready says degraded and names llm_queue meanwhile, the answer still arrives whole,
  and later requests work without restarting anything."""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_checks import call, check, failures, sse, start_server, wait  # noqa: E402

binary, work, rabbit_dir = sys.argv[1], sys.argv[2], sys.argv[3]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.makedirs(work, exist_ok=True)
rabbit = dict(line.strip().split("=", 1) for line in open(os.path.join(rabbit_dir, "env")) if "=" in line)
amqp_url = rabbit["RABBITMQ_URL"].strip("'")
started = []
workers = {}

standin_port_file = os.path.join(work, "standin.port")
standin = subprocess.Popen([sys.executable, os.path.join(root, "scripts", "llm_standin.py"), standin_port_file],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
started.append(standin)
wait(lambda: os.path.getsize(standin_port_file) > 0, 10, 0.05)
standin_base = f"http://127.0.0.1:{open(standin_port_file).read().strip()}"

data_dir = os.path.join(work, "data")
subprocess.run([os.path.join(root, "scripts", "fetch-assets.sh"), data_dir], check=True, stdout=subprocess.DEVNULL)
env = {**os.environ,
       "HYPERION_LLM_QUEUE": "rabbitmq", "HYPERION_RABBITMQ_URL": amqp_url, "HYPERION_RABBITMQ_MAX_QUEUE_DEPTH": "2",
       "HYPERION_LLM_PROVIDERS": "standin,standin_slow,standin_wait,standin_flaky",
       "HYPERION_LLM_STANDIN_KIND": "openai", "HYPERION_LLM_STANDIN_BASE_URL": standin_base + "/v1",
       "HYPERION_LLM_STANDIN_API_KEY": "sk-standin-secret", "HYPERION_LLM_STANDIN_MODEL": "standin-1",
       "HYPERION_LLM_STANDIN_SLOW_KIND": "openai", "HYPERION_LLM_STANDIN_SLOW_BASE_URL": standin_base + "/v1",
       "HYPERION_LLM_STANDIN_SLOW_FIRST_TOKEN_TIMEOUT": "1", "HYPERION_LLM_STANDIN_SLOW_MAX_RETRIES": "0",
       "HYPERION_LLM_STANDIN_WAIT_KIND": "openai", "HYPERION_LLM_STANDIN_WAIT_BASE_URL": standin_base + "/v1",
       "HYPERION_LLM_STANDIN_WAIT_FIRST_TOKEN_TIMEOUT": "20",
       "HYPERION_LLM_STANDIN_FLAKY_KIND": "openai", "HYPERION_LLM_STANDIN_FLAKY_BASE_URL": standin_base + "/v1",
       "HYPERION_LLM_STANDIN_FLAKY_MODEL": "flaky", "HYPERION_LLM_STANDIN_FLAKY_MAX_RETRIES": "0",
       "HYPERION_WORKER_MAX_ATTEMPTS": "3",
       "HYPERION_EMBEDDING_MODEL_PATH": os.path.join(root, "data", "models", "all-MiniLM-L6-v2"),
       # Traced (the stand-in takes the spans): a caller's trace must reach the provider call the worker makes.
       "HYPERION_TRACING_OTLP_ENDPOINT": standin_base,
       "HYPERION_LOG_FORMAT": "json", "HYPERION_AUTH_BCRYPT_COST": "10", "HYPERION_SHUTDOWN_GRACE_PERIOD": "20",
       "HYPERION_DATABASE_URL": "sqlite:" + os.path.join(data_dir, "hyperion.sqlite")}


def start_worker(name):
    log = open(os.path.join(work, f"{name}.log"), "a")
    proc = subprocess.Popen([binary, "worker", "--data-dir", data_dir], env=env, stdout=log, stderr=log)
    started.append(proc)
    workers[name] = proc
    return proc


def consumers():
    s, metrics = raw("GET", "/metrics")
    for line in metrics.decode().splitlines():
        if line.startswith("hyperion_llm_queue_consumers "):
            return int(float(line.split()[1]))
    return -1


def raw(method, path, body=None):
    parsed = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    conn.request(method, path, body)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def sse_query(model_id, on_delta=None):
    """Streams a query; `on_delta(count)` runs after each delta. Returns (status, event names, answer text)."""
    def delta(name, data, events):
        if name == "delta" and on_delta:
            on_delta(sum(e == "delta" for e, _ in events))
    status, events, _ = sse(base, "/api/v1/query", {"model_id": model_id, "query": "count for me"}, token, delta)
    text = "".join(data.get("text", "") if name == "delta" else f"<error: {json.dumps(data)}>" if name == "error" else ""
                   for name, data in events)
    return status, [name for name, _ in events], text


def standin_requests(model):
    with urllib.request.urlopen(standin_base + "/_log", timeout=10) as r:
        return [q for q in json.loads(r.read())["requests"] if q["path"] == "/v1/chat/completions" and q["body"].get("model") == model]


PACED = " ".join(f"word{i}" for i in range(1, 21))
try:
    proc, base = start_server(binary, work, "server", env, data_dir, started)
    start_worker("worker-a")
    start_worker("worker-b")
    check("two workers consume the queue (hyperion_llm_queue_consumers)", wait(lambda: consumers() == 2, 30), consumers())
    s, ready = call(base, "GET", "/ready")
    check("/ready: the LLM queue is ok", s == 200 and ready.get("checks", {}).get("llm_queue") == "ok", ready)

    # The answer checks, unchanged, with every generation going through the queue.
    call(base, "POST", "/api/v1/auth/signup", {"email": "queue@example.com", "password": "queue-password-1"})
    _, tokens = call(base, "POST", "/api/v1/auth/login", {"email": "queue@example.com", "password": "queue-password-1"})
    token = tokens.get("access_token", "")
    token_file = os.path.join(work, "admin_token")
    open(token_file, "w").write(token)
    answers = subprocess.run([os.path.join(root, ".venv", "bin", "python"), os.path.join(root, "scripts", "answer_checks.py"),
                              base, token_file, standin_base], capture_output=True, text=True, timeout=600)
    print(answers.stdout, end="")
    check("answer_checks.py passes with llm.queue=rabbitmq and two workers", answers.returncode == 0, answers.stderr[-2000:])

    # The caller's trace goes through the queue: the worker's call to the provider carries it, under spans of its own.
    caller = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    traced = urllib.request.Request(base + "/api/v1/generate", json.dumps({"provider": "standin", "prompt": "trace me"}).encode(),
                                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "traceparent": caller}, method="POST")
    with urllib.request.urlopen(traced, timeout=60) as r:
        traced_status = r.status
    sent = standin_requests("standin-1")[-1]
    parent = (sent.get("traceparent") or "").split("-")
    check("a caller's traceparent reaches the provider through the queue and the worker", traced_status == 200 and len(parent) == 4
          and parent[1] == "ab" * 16 and parent[2] != "cd" * 8, sent.get("traceparent"))

    s, paced = call(base, "POST", "/api/v1/models", {"name": "Paced", "llm": {"provider": "standin", "model": "paced"}}, token)
    paced_id = paced.get("id", "")

    # kill -9 mid-answer: one worker runs; it dies after three words; another one starts and answers again.
    workers["worker-b"].send_signal(signal.SIGTERM)
    workers["worker-b"].wait(timeout=30)
    check("with one worker left, one consumer", wait(lambda: consumers() == 1, 15), consumers())
    before = len(standin_requests("paced"))

    def kill_a(count):
        if count == 3:
            workers["worker-a"].send_signal(signal.SIGKILL)
            start_worker("worker-c")
    status, names, text = sse_query(paced_id, kill_a)
    check("worker killed -9 mid-answer: the client still gets the whole answer, once", status == 200 and text.strip() == PACED
          and names[-1] == "done", (names[-3:], text))
    check("the job was answered twice upstream (the lost attempt and the redelivery)", len(standin_requests("paced")) - before == 2)

    # SIGTERM mid-answer: the worker finishes the answer it holds, then exits 0.
    start_worker("worker-d")
    wait(lambda: consumers() == 2, 15)
    workers["worker-c"].send_signal(signal.SIGTERM)
    workers["worker-c"].wait(timeout=30)
    wait(lambda: consumers() == 1, 15)
    exit_code = []

    def term_d(count):
        if count == 3:
            workers["worker-d"].send_signal(signal.SIGTERM)
            threading.Thread(target=lambda: exit_code.append(workers["worker-d"].wait(timeout=60)), daemon=True).start()
    before = len(standin_requests("paced"))
    status, names, text = sse_query(paced_id, term_d)
    check("worker stopped with SIGTERM mid-answer: the answer completes from that worker", status == 200 and text.strip() == PACED
          and len(standin_requests("paced")) - before == 1, (names[-3:], text))
    check("then that worker exits 0", wait(lambda: exit_code == [0], 30, 0.1), exit_code)

    start_worker("worker-e")
    check("a new worker consumes", wait(lambda: consumers() == 1, 15), consumers())

    # A provider that fails twice: the worker retries (the client's own retries are off) and answers.
    s, flaky = call(base, "POST", "/api/v1/models", {"name": "Flaky", "llm": {"provider": "standin_flaky"}}, token)
    s, q = call(base, "POST", "/api/v1/query", {"model_id": flaky.get("id", ""), "query": "anything?"}, token)
    check("a provider failing twice answers on the worker's third try", s == 200 and "silicon" in q.get("answer", "")
          and len(standin_requests("flaky")) == 3, (s, q, len(standin_requests("flaky"))))

    # A poison message: dead-lettered, and the workers go on.
    import pika  # noqa: E402
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    channel.basic_publish("", "hyperion.llm.requests", b"\x00 not a job", pika.BasicProperties(delivery_mode=2, reply_to="nobody"))
    dead = []

    def dead_lettered():
        method, _, body = channel.basic_get("hyperion.llm.dead", auto_ack=True)
        if method:
            dead.append(body)
        return b"\x00 not a job" in dead
    check("a poison message lands in the dead-letter queue", wait(dead_lettered, 15, 0.2), dead)
    s, q = call(base, "POST", "/api/v1/query", {"model_id": paced_id, "query": "still there?"}, token)
    check("the workers answer after the poison message", s == 200 and q.get("answer", "").strip() == PACED, q)

    # No worker: 504 after the first-token timeout; a full queue refuses with 503; a late worker answers the waiting.
    workers["worker-e"].send_signal(signal.SIGTERM)
    workers["worker-e"].wait(timeout=30)
    check("no consumer left", wait(lambda: consumers() == 0, 15), consumers())
    call(base, "PATCH", f"/api/v1/models/{paced_id}", {"llm": {"provider": "standin_slow", "model": "paced"}}, token)
    began = time.time()
    s, err = call(base, "POST", "/api/v1/query", {"model_id": paced_id, "query": "anyone?"}, token)
    check("no worker: 504 in the envelope after the first-token timeout, saying no worker took it",
          s == 504 and "no LLM worker" in err.get("detail", "") and time.time() - began < 5, (s, err))
    call(base, "PATCH", f"/api/v1/models/{paced_id}", {"llm": {"provider": "standin_wait", "model": "paced"}}, token)
    # The timed-out request's job expires in the queue (dead-lettered): the depth limit counts live requests only.
    peek = pika.BlockingConnection(pika.URLParameters(amqp_url)).channel()
    check("the timed-out request's job left the queue", wait(lambda: peek.queue_declare("hyperion.llm.requests", passive=True).method.message_count == 0, 10, 0.1),
          [peek.basic_get("hyperion.llm.requests")[2] for _ in range(3)])
    waiting = []
    for _ in range(2):
        t = threading.Thread(target=lambda: waiting.append(call(base, "POST", "/api/v1/query", {"model_id": paced_id, "query": "wait?"}, token)))
        t.start()
        time.sleep(0.3)

    def depth():
        s, metrics = raw("GET", "/metrics")
        return [line for line in metrics.decode().splitlines() if line.startswith("hyperion_llm_queue_depth ")]
    check("/metrics: two requests waiting", wait(lambda: depth() == ["hyperion_llm_queue_depth 2.0"], 10, 0.2), depth())
    full = urllib.request.Request(base + "/api/v1/query", json.dumps({"model_id": paced_id, "query": "one more?"}).encode(),
                                  {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(full, timeout=30)
        check("over rabbitmq.max_queue_depth: 503", False)
    except urllib.error.HTTPError as e:
        body = json.loads(e.read())
        check("over rabbitmq.max_queue_depth: 503 with Retry-After in the envelope", e.code == 503 and e.headers.get("Retry-After") == "5"
              and body.get("code") == "llm_queue_full", (e.code, body))
    start_worker("worker-f")
    check("a worker started meanwhile answers both waiting requests", wait(lambda: len(waiting) == 2, 30, 0.2)
          and all(s == 200 and q.get("answer", "").strip() == PACED for s, q in waiting), waiting)

    # RabbitMQ restarted mid-answer.
    start_worker("worker-g")
    wait(lambda: consumers() == 2, 15)
    call(base, "PATCH", f"/api/v1/models/{paced_id}", {"llm": {"provider": "standin", "model": "paced"}}, token)
    restart = {}

    def restart_broker(count):
        if count == 3:
            def run():
                restart["ready_during"] = []
                broker = subprocess.Popen([os.path.join(root, "scripts", "rabbitmq.sh"), "restart", rabbit_dir],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                while broker.poll() is None:
                    try:
                        restart["ready_during"].append(call(base, "GET", "/ready", timeout=5))
                    except OSError:
                        pass
                    time.sleep(0.5)
                restart["code"] = broker.returncode
            threading.Thread(target=run, daemon=True).start()
    status, names, text = sse_query(paced_id, restart_broker)
    wait(lambda: "code" in restart, 60, 0.2)
    check("RabbitMQ restarted mid-answer", restart.get("code") == 0, restart)
    check("the answer still arrives whole (redelivered after the restart)", status == 200 and text.strip() == PACED, (names[-3:], text))
    degraded = [r for s, r in restart.get("ready_during", []) if r.get("status") == "degraded"
                and r.get("checks", {}).get("llm_queue", "").startswith("degraded")]
    check("/ready said degraded, naming llm_queue, while RabbitMQ was down", bool(degraded), restart.get("ready_during", [])[-3:])
    check("both workers reconnected", wait(lambda: consumers() == 2, 30), consumers())
    s, q = call(base, "POST", "/api/v1/query", {"model_id": paced_id, "query": "after the restart?"}, token)
    check("a request after the restart is answered", s == 200 and q.get("answer", "").strip() == PACED, (s, q))
    s, ready = call(base, "GET", "/ready")
    check("/ready: ok again", s == 200 and ready.get("checks", {}).get("llm_queue") == "ok", ready)

    # Nothing is left behind: once the workers stop, no request waits or sits unacknowledged in the queue.
    for name in ("worker-f", "worker-g"):
        workers[name].send_signal(signal.SIGTERM)
    codes = [workers[name].wait(timeout=30) for name in ("worker-f", "worker-g")]
    check("the workers stop cleanly on SIGTERM", codes == [0, 0], codes)
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    left = connection.channel().queue_declare("hyperion.llm.requests", passive=True).method.message_count
    check("no request left in the queue (every answered job was acknowledged)", left == 0, left)
finally:
    for proc in started:
        if proc.poll() is None:
            proc.kill()

sys.exit(1 if failures else 0)
