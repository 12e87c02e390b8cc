"""`make test`'s tracing step: traces of a real `hyperion serve` in a real Arize Phoenix (PyPI, scripts/phoenix.sh).
The server exports over OTLP/HTTP (protobuf, swift-otel) with message contents on; it ingests three SciFact
abstracts and answers through the stand-in LLM, as JSON and as SSE, each under a caller's traceparent. Phoenix's REST
API then has to show: the caller's trace continued, the span tree from the HTTP request down to the LLM's HTTP call,
OpenInference span kinds (CHAIN, RETRIEVER, EMBEDDING, LLM) with model, tokens, messages and retrieved documents, and
the ingestion job as a trace of its own with its phases. The stand-in LLM must have got the trace's traceparent.
   tracing_checks.py HYPERION_BIN WORKDIR"""
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from server_checks import call, check, failures, start_server, upload, wait_job

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
phoenix_dir = os.path.join(work, "phoenix")
started = []


def request(base, method, path, body, token, headers):
    """A JSON call with extra headers: (status, raw body text)."""
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def flatten(value, prefix=""):
    """Phoenix answers attributes nested ({"llm": {"model_name": …}}); the checks read them dotted."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}{key}."))
        return out
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}{index}."))
        return out
    return {prefix[:-1]: value}


def spans(phoenix, trace_ids=None):
    """Every span of the project `hyperion` (optionally of some traces), attributes flattened."""
    items, cursor = [], None
    while True:
        query = [("limit", "1000")] + [("trace_id", t) for t in trace_ids or []] + ([("cursor", cursor)] if cursor else [])
        url = f"{phoenix}/v1/projects/hyperion/spans?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                page = json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code == 404:  # the project exists once its first span arrived
                return []
            raise
        for span in page.get("data", []):
            span["flat"] = flatten(span.get("attributes") or {})
            items.append(span)
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def trace_id(span):
    return (span.get("context") or {}).get("trace_id")


def span_id(span):
    return (span.get("context") or {}).get("span_id")


def kind(span):
    return span.get("span_kind") or span["flat"].get("openinference.span.kind")


try:
    phoenix = subprocess.run(["scripts/phoenix.sh", "start", phoenix_dir], capture_output=True, text=True, timeout=900)
    if phoenix.returncode != 0:
        raise SystemExit("phoenix did not start: " + phoenix.stderr[-2000:])
    phoenix = phoenix.stdout.strip().splitlines()[-1]
    standin_port_file = os.path.join(work, "standin.port")
    standin = subprocess.Popen([sys.executable, "scripts/llm_standin.py", standin_port_file], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    started.append(standin)
    for _ in range(50):
        if os.path.exists(standin_port_file) and open(standin_port_file).read().strip():
            break
        time.sleep(0.1)
    standin_base = f"http://127.0.0.1:{open(standin_port_file).read().strip()}"
    env = dict(os.environ, HYPERION_EMBEDDING_PROVIDER="hashing", HYPERION_AUTH_BCRYPT_COST="10",
               HYPERION_TRACING_OTLP_ENDPOINT=phoenix, HYPERION_TRACING_RECORD_CONTENT="true",
               # swift-otel's own variable: export every 200 ms instead of every 5 s.
               OTEL_BSP_SCHEDULE_DELAY="200",
               HYPERION_LLM_PROVIDERS="standin", HYPERION_LLM_STANDIN_KIND="openai", HYPERION_LLM_STANDIN_MODEL="standin-1",
               HYPERION_LLM_STANDIN_BASE_URL=standin_base + "/v1")
    server, base = start_server(binary, work, "server", env, os.path.join(work, "data"), started)

    call(base, "POST", "/api/v1/auth/signup", {"email": "tracer@example.com", "password": "tracer-password-1"})
    token = call(base, "POST", "/api/v1/auth/login", {"email": "tracer@example.com", "password": "tracer-password-1"})[1]["access_token"]
    model = call(base, "POST", "/api/v1/models", {"name": "Traced", "llm": {"provider": "standin"}}, token)[1]["id"]
    docs = [json.loads(line) for line in open("../shared/data/scifact/corpus.jsonl").readlines()[:3]]
    status, uploaded = upload(base, token, model, docs)
    job = wait_job(base, token, uploaded["job_id"])
    check("three abstracts ingested", job.get("status") == "succeeded", job)
    question = docs[0]["title"]
    traced_json, traced_sse = "0af7651916cd43dd8448eb211c80319c", "5b8efff798038103d269b633813fc60c"
    status, answered = request(base, "POST", "/api/v1/query", {"model_id": model, "query": question}, token,
                               {"traceparent": f"00-{traced_json}-b7ad6b7169203331-01"})
    check("the traced question is answered", status == 200 and "silicon" in answered, answered[:300])
    # Another question: the same one would be a cache hit, with no retrieval steps to trace.
    status, streamed = request(base, "POST", "/api/v1/query", {"model_id": model, "query": docs[1]["title"]}, token,
                               {"traceparent": f"00-{traced_sse}-b7ad6b7169203331-01", "Accept": "text/event-stream"})
    check("the traced question is streamed", status == 200 and "event: done" in streamed, streamed[:300])

    # Phoenix ingests asynchronously: wait for the LLM spans of both traces and the job's last phase.
    deadline, found = time.time() + 60, []
    while time.time() < deadline:
        found = spans(phoenix)
        names = {(trace_id(s), s["name"]) for s in found}
        if {(traced_json, "llm"), (traced_sse, "llm"), (traced_json, "POST standin")}.issubset(names) and any(s["name"] == "ingest job" for s in found):
            break
        time.sleep(0.5)
    check("Phoenix received spans of project hyperion", len(found) > 0, "none")
    by_id = {span_id(s): s for s in found}

    def children(span):
        return [s for s in found if s.get("parent_id") == span_id(span)]

    def descendants(span):
        out = []
        for child in children(span):
            out += [child] + descendants(child)
        return out

    for trace, label, question in [(traced_json, "JSON", docs[0]["title"]), (traced_sse, "SSE", docs[1]["title"])]:
        server_span = next((s for s in found if trace_id(s) == trace and s["name"] == "POST /api/v1/query"), None)
        check(f"{label}: the request's server span continues the caller's trace", server_span is not None
              and server_span.get("parent_id") == "b7ad6b7169203331", [s["name"] for s in found if trace_id(s) == trace])
        if server_span is None:
            continue
        below = descendants(server_span)
        named = {s["name"]: s for s in below}
        check(f"{label}: query, retrieve, embed query, vector and keyword search, fuse, fetch chunks, prompt and llm below it",
              {"query", "retrieve", "embed query", "vector search", "keyword search", "fuse", "fetch chunks", "prompt", "llm"}.issubset(named),
              sorted(named))
        if not {"query", "retrieve", "embed query", "llm"}.issubset(named):
            continue
        check(f"{label}: OpenInference kinds CHAIN, RETRIEVER, EMBEDDING, LLM",
              [kind(named[n]) for n in ("query", "retrieve", "embed query", "llm")] == ["CHAIN", "RETRIEVER", "EMBEDDING", "LLM"],
              [kind(named[n]) for n in ("query", "retrieve", "embed query", "llm")])
        llm = named["llm"]
        check(f"{label}: the LLM span names the model and counts tokens",
              llm["flat"].get("llm.model_name") == "standin-1" and (llm["flat"].get("llm.token_count.prompt") or 0) > 0
              and (llm["flat"].get("llm.token_count.completion") or 0) > 0, {k: v for k, v in llm["flat"].items() if "token" in k or "model" in k})
        contents = [v for k, v in llm["flat"].items() if k.startswith("llm.input_messages.") and k.endswith(".content")]
        check(f"{label}: the LLM span holds the prompt's messages and the answer (record_content on)",
              any(question in str(c) for c in contents) and "silicon" in str(llm["flat"].get("llm.output_messages.0.message.content", "")),
              sorted(llm["flat"])[:20])
        check(f"{label}: the first token is an event of the LLM span", any(e.get("name") == "first token" for e in llm.get("events") or []),
              llm.get("events"))
        retrieve = named["retrieve"]
        documents = [k for k in retrieve["flat"] if k.startswith("retrieval.documents.") and k.endswith(".document.content")]
        scores = [v for k, v in retrieve["flat"].items() if k.startswith("retrieval.documents.") and k.endswith(".document.score")]
        check(f"{label}: the retriever span lists the passages with scores", len(documents) >= 1 and len(scores) == len(documents),
              sorted(retrieve["flat"])[:12])
        check(f"{label}: the query span holds the question and the answer",
              named["query"]["flat"].get("input.value") == question and "silicon" in str(named["query"]["flat"].get("output.value")))
        call_span = next((s for s in children(llm) if s["name"] == "POST standin"), None)
        check(f"{label}: the provider's HTTP call is a child of the LLM span", call_span is not None, [s["name"] for s in children(llm)])

    status, seen = call(standin_base, "GET", "/_log")
    sent = [r.get("traceparent") or "" for r in seen.get("requests", [])]
    check("the stand-in LLM got traceparents of both traces", any(traced_json in t for t in sent) and any(traced_sse in t for t in sent), sent)

    job_span = next((s for s in found if s["name"] == "ingest job"), None)
    check("the ingestion job is a trace of its own", job_span is not None and not job_span.get("parent_id"))
    if job_span:
        documents = [s for s in children(job_span) if s["name"] == "document"]
        check("its three documents each have extract, chunk, embed, index and store",
              len(documents) == 3 and all({c["name"] for c in children(d)} == {"extract", "chunk", "embed", "index", "store"} for d in documents),
              [sorted(c["name"] for c in children(d)) for d in documents])
finally:
    for proc in started:
        proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    subprocess.run(["scripts/phoenix.sh", "stop", phoenix_dir], capture_output=True, timeout=60)

print(f"\n{len(failures)} tracing check(s) failed" if failures else "\nall tracing checks passed")
sys.exit(1 if failures else 0)
