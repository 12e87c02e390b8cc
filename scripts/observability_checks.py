"""`make test`'s observability step: the shipped Prometheus configuration, alert rules and Grafana dashboard
against the real thing. promtool checks the configuration and the rules and runs the rules' unit tests; then a real
Prometheus (Debian) scrapes a live Hyperion every second while it ingests and answers, and its HTTP API proves the
series exist and move, the alert rules are loaded and healthy, and every query of the dashboard is valid PromQL
over metrics the server really exports.
   observability_checks.py HYPERION_BIN WORKDIR"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from server_checks import call, check, failures, free_port, start_server, wait

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
deploy = os.path.join(os.getcwd(), "deploy")


def api(base, method, path, body=None, token=None, content_type="application/json"):
    """A call that must succeed: its JSON body."""
    status, answer = call(base, method, path, body, token, content_type)
    if status >= 400:
        raise RuntimeError(f"{method} {path}: {status} {answer}")
    return answer


def promtool(*args):
    p = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


code, out = promtool("check", "config", os.path.join(deploy, "prometheus/prometheus.yml"))
check("promtool check config: deploy/prometheus/prometheus.yml", code == 0, out)
code, out = promtool("check", "rules", os.path.join(deploy, "prometheus/alerts.yml"))
check("promtool check rules: deploy/prometheus/alerts.yml", code == 0, out)
code, out = promtool("test", "rules", os.path.join(deploy, "prometheus/alerts_test.yml"))
check("promtool test rules: every alert fires and stays quiet as its unit tests say", code == 0 and "SUCCESS" in out, out)

# A live server with the stand-in LLM, and Prometheus scraping it every second with the shipped rules.
standin_port_file = os.path.join(work, "standin.port")
standin = subprocess.Popen([sys.executable, "scripts/llm_standin.py", standin_port_file], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
for _ in range(50):
    if os.path.exists(standin_port_file) and open(standin_port_file).read().strip():
        break
    time.sleep(0.1)
prom_port = free_port()
env = dict(os.environ, HYPERION_EMBEDDING_PROVIDER="hashing", HYPERION_LOG_LEVEL="info", HYPERION_AUTH_BCRYPT_COST="10",
           HYPERION_LLM_PROVIDERS="standin,down", HYPERION_LLM_STANDIN_KIND="openai", HYPERION_LLM_STANDIN_MODEL="standin-1",
           # A provider nobody listens for: its failures are what llm_provider_errors_total counts.
           HYPERION_LLM_DOWN_KIND="openai", HYPERION_LLM_DOWN_BASE_URL=f"http://127.0.0.1:{free_port()}/v1", HYPERION_LLM_DOWN_MODEL="gone",
           HYPERION_LLM_DOWN_MAX_RETRIES="0",
           HYPERION_LLM_STANDIN_BASE_URL=f"http://127.0.0.1:{open(standin_port_file).read().strip()}/v1")
started = []
server, base = start_server(binary, work, "server", env, os.path.join(work, "data"), started)
port = base.rsplit(":", 1)[1]
config = open(os.path.join(deploy, "prometheus/prometheus.yml")).read()
config = config.replace("scrape_interval: 15s", "scrape_interval: 1s").replace("evaluation_interval: 15s", "evaluation_interval: 1s")
config = config.replace('"127.0.0.1:8080"', f'"127.0.0.1:{port}"').replace("- alerts.yml", "- " + os.path.join(deploy, "prometheus/alerts.yml"))
open(os.path.join(work, "prometheus.yml"), "w").write(config)
prometheus = subprocess.Popen(["prometheus", f"--config.file={os.path.join(work, 'prometheus.yml')}", f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
                               f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=open(os.path.join(work, "prometheus.log"), "w"),
                              stderr=subprocess.STDOUT)
prom = f"http://127.0.0.1:{prom_port}"


def promql(expr):
    with urllib.request.urlopen(prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=30) as r:
        return json.loads(r.read())


def value(expr):
    result = promql(expr)["data"]["result"]
    return float(result[0]["value"][1]) if result else None


try:
    check("Prometheus starts", wait(lambda: urllib.request.urlopen(prom + "/-/ready", timeout=2).status == 200))
    check("Prometheus scrapes the server: up == 1", wait(lambda: value('up{job="hyperion"}') == 1))

    api(base, "POST", "/api/v1/auth/signup", {"email": "ops@example.com", "password": "ops-password-1"})
    token = api(base, "POST", "/api/v1/auth/login", {"email": "ops@example.com", "password": "ops-password-1"})["access_token"]
    model = api(base, "POST", "/api/v1/models", {"name": "Ops", "llm": {"provider": "standin"}}, token)["id"]
    boundary = "opsboundary"
    texts = {"bees.txt": "Bees pollinate crops and flowers.", "lava.md": "# Volcanoes\n\nLava flows from erupting volcanoes.",
             "ice.txt": "Glaciers carve valleys over thousands of years."}
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{n}"\r\n\r\n'.encode() + t.encode() + b"\r\n"
                    for n, t in texts.items()) + f"--{boundary}--\r\n".encode()
    job = api(base, "POST", f"/api/v1/models/{model}/documents", body, token, f"multipart/form-data; boundary={boundary}")["job_id"]
    check("the upload's job succeeds", wait(lambda: api(base, "GET", f"/api/v1/jobs/{job}", token=token)["status"] == "succeeded"))
    for question in ["Who pollinates crops?", "What flows from volcanoes?"]:
        api(base, "POST", "/api/v1/query", {"model_id": model, "query": question}, token)
    down_status, _ = call(base, "POST", "/api/v1/generate", {"provider": "down", "prompt": "hello"}, token)
    check("a provider that is down answers 502", down_status == 502, down_status)

    # Series exist and moved, as Prometheus sees them: three documents, one job, two questions (two LLM calls).
    for expr, name, wanted in [
        ('hyperion_ingest_documents_total{job="hyperion",outcome="ingested"}', "documents ingested", 3),
        ('hyperion_ingest_phase_duration_seconds_count{job="hyperion",phase="embed"}', "embed phases timed", 3),
        ('hyperion_jobs_finished_total{job="hyperion",kind="ingest",status="succeeded"}', "jobs finished", 1),
        ('rag_retrieval_duration_seconds_count{job="hyperion",mode="hybrid"}', "hybrid retrievals timed", 2),
        ('sum(llm_requests_total{job="hyperion",provider="standin",outcome="ok"})', "LLM calls", 2),
        ('sum(llm_first_token_seconds_count{job="hyperion",provider="standin"})', "first tokens timed", 2),
        ('sum(llm_tokens_total{job="hyperion",provider="standin"})', "LLM tokens", 1),
        ('llm_provider_errors_total{job="hyperion",provider="down",kind="unreachable"}', "provider errors", 1),
    ]:
        check(f"PromQL: {name} reach {wanted}", wait(lambda: (value(expr) or 0) >= wanted), promql(expr))
    check("PromQL: the queue gauges are exported (nothing waits)",
          wait(lambda: value('hyperion_jobs{job="hyperion",status="queued"}') == 0 and value('hyperion_job_queue_oldest_age_seconds{job="hyperion"}') == 0))
    check("PromQL: the index gauges count the three documents and their chunks in the one knowledge base",
          wait(lambda: value('hyperion_index_documents{job="hyperion"}') == 3 and value('hyperion_knowledge_bases{job="hyperion"}') == 1
               and (value('hyperion_index_chunks{job="hyperion"}') or 0) >= 3
               and value('hyperion_index_chunks{job="hyperion"}') == value('hyperion_index_largest_knowledge_base_chunks{job="hyperion"}')),
          promql('{job="hyperion", __name__=~"hyperion_index_.*|hyperion_knowledge_bases"}'))
    check("PromQL: the store pool's size and use are exported",
          wait(lambda: (value('hyperion_store_pool_connections{job="hyperion"}') or 0) >= 2
               and value('hyperion_store_operations_in_flight{job="hyperion"}') is not None))
    check("PromQL: request rate moves", wait(lambda: (value('sum(rate(http_requests_total{job="hyperion"}[30s]))') or 0) > 0))

    def rule_health():
        groups = json.loads(urllib.request.urlopen(prom + "/api/v1/rules", timeout=10).read())["data"]["groups"]
        return {r["name"]: (r.get("health"), r.get("lastError")) for g in groups for r in g["rules"]}

    shipped = re.findall(r"- alert: (\w+)", open(os.path.join(deploy, "prometheus/alerts.yml")).read())
    check("every shipped alert rule is loaded", sorted(rule_health()) == sorted(shipped) and len(shipped) == 6, rule_health())
    check("the rules evaluate against the live series without errors",
          wait(lambda: all(health == "ok" for health, _ in rule_health().values())), rule_health())
    alerts = json.loads(urllib.request.urlopen(prom + "/api/v1/alerts", timeout=10).read())["data"]["alerts"]
    check("nothing fires on a healthy server (one failed LLM call included)", not [a for a in alerts if a["state"] == "firing"], alerts)

    # The dashboard: valid JSON, and every query valid PromQL over metric names the server exports.
    dashboard = json.load(open(os.path.join(deploy, "grafana/dashboards/hyperion.json")))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exported = set(re.findall(r"^([a-z_]+?)(?:_bucket|_count|_sum)?(?:\{| )", urllib.request.urlopen(base + "/metrics", timeout=10).read().decode(), re.M))
    exported |= {name + suffix for name in set(exported) for suffix in ("_bucket", "_count", "_sum")}
    bad, unknown = [], []
    for expr in exprs:
        concrete = expr.replace("$__rate_interval", "1m").replace("$instance", ".*")
        if promql(concrete).get("status") != "success":
            bad.append(expr)
        for name in re.findall(r"\b((?:hyperion|rag|llm|http)_[a-z_]+)\b(?=\{)", expr):
            if name not in exported:
                unknown.append(name)
    check(f"the Grafana dashboard's {len(exprs)} queries are valid PromQL", exprs and not bad, bad)
    check("every metric the dashboard reads is exported by the server", not unknown, sorted(set(unknown)))
    check("the provisioning files name the dashboard folder and the Prometheus data source",
          "path: /var/lib/grafana/dashboards" in open(os.path.join(deploy, "grafana/provisioning/dashboards/hyperion.yml")).read()
          and "type: prometheus" in open(os.path.join(deploy, "grafana/provisioning/datasources/prometheus.yml")).read())
finally:
    for process in (prometheus, server, standin):
        process.send_signal(signal.SIGTERM)
    for process in (prometheus, server, standin):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()

if failures:
    print(open(os.path.join(work, "prometheus.log")).read()[-1500:])
sys.exit(1 if failures else 0)
