"""Answers end to end against the real binary: queries through a stand-in OpenAI-compatible LLM (JSON,
SSE, cancellation when the client goes away, first-token timeout), and the official `openai` SDK
against Hyperion's /v1 with only base_url and api_key set.
    answer_checks.py BASE TOKEN_FILE STANDIN_BASE"""
import json
import sys
import time
import urllib.error
import urllib.request

import server_checks

base, token_file, standin = sys.argv[1], sys.argv[2], sys.argv[3]
token = open(token_file).read().strip()
auth = {"Authorization": f"Bearer {token}"}
failures = []


def request(method, path, body=None, headers=None, url=None):
    data = json.dumps(body).encode() if body is not None else None
    h = {**auth, **({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    req = urllib.request.Request((url or base) + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw[:1] in (b"{", b"[") else raw)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw[:1] == b"{" else raw)


def check(name, condition, detail=""):
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f"  {str(detail)[:400]}"))
    if not condition:
        failures.append(name)


def standin_log():
    with urllib.request.urlopen(standin + "/_log", timeout=10) as r:
        return json.loads(r.read())


def upload_and_wait(model_id):
    boundary = "----answers"
    text = b"Solar panels convert sunlight into electricity. Photovoltaic cells are made of silicon.\n\nWind turbines turn a generator."
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"energy.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode() + text + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{base}/api/v1/models/{model_id}/documents", data=body, method="POST",
                                 headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        job = json.loads(r.read())["job_id"]
    for _ in range(600):
        s, j = request("GET", f"/api/v1/jobs/{job}")
        if j["status"] in ("succeeded", "failed", "canceled"):
            return j["status"]
        time.sleep(0.1)
    return "timeout"


def sse(path, body, stop_after_deltas=None):
    """POSTs and reads SSE events; with stop_after_deltas, closes the connection after that many deltas."""
    def enough(name, data, events):
        return bool(stop_after_deltas) and sum(e == "delta" for e, _ in events) >= stop_after_deltas
    return server_checks.sse(base, path, body, token, enough)


# A RAG model answered by the stand-in LLM.
s, model = request("POST", "/api/v1/models", {"name": "Answers", "llm": {"provider": "standin"}})
check("create a model answered by a configured provider", s == 201, model)
model_id = model.get("id", "")
check("its document is ingested", upload_and_wait(model_id) == "succeeded")

s, q = request("POST", "/api/v1/query", {"model_id": model_id, "query": "What are photovoltaic cells made of?"})
check("query through the provider: 200 with the LLM's answer", s == 200 and "silicon" in q.get("answer", "") and q.get("provider") == "standin"
      and q.get("extractive") is False and q.get("llm_model") == "standin-1", q)
check("its [1] marker became a citation of the retrieved chunk", [c["n"] for c in q.get("citations", [])] == [1]
      and q["citations"][0]["title"] == "energy.txt" and q["citations"][0]["chunk_id"] == q["sources"][0]["chunk_id"], q.get("citations"))
check("usage reported by the stream is stored", (q.get("usage") or {}).get("prompt_tokens") == 7, q.get("usage"))
sent = [r for r in standin_log()["requests"] if r["path"] == "/v1/chat/completions"][-1]
check("the provider got the key, the numbered sources and the question", sent["auth"] == "Bearer sk-standin-secret"
      and "[1] energy.txt" in sent["body"]["messages"][-1]["content"] and sent["body"]["stream"] is True
      and sent["body"]["messages"][-1]["content"].endswith("Question: What are photovoltaic cells made of?"), sent)

status, events, _ = sse("/api/v1/query", {"model_id": model_id, "query": "What are photovoltaic cells made of?"})
names = [e for e, _ in events]
check("SSE: sources, deltas, citations, done", status == 200 and names[0] == "sources" and names[-2:] == ["citations", "done"]
      and names.count("delta") >= 3, names)

s, providers = request("GET", "/api/v1/llm/models")
items = {p["name"]: p for p in providers.get("items", [])} if s == 200 else {}
check("/llm/models lists the providers, the stand-in reachable with its models", items.get("standin", {}).get("reachable") is True
      and items["standin"]["models"] == ["standin-1"], providers)
check("no provider key in any answer", "sk-standin-secret" not in json.dumps(providers) + json.dumps(q))

# The client going away cancels the upstream request within about a second, and the query is stored as cancelled.
s, _ = request("PATCH", f"/api/v1/models/{model_id}", {"llm": {"provider": "standin", "model": "slowstream"}})
before = len(standin_log()["disconnects"])
status, events, closed_at = sse("/api/v1/query", {"model_id": model_id, "query": "tick?"}, stop_after_deltas=2)
gone = None
for _ in range(40):
    log = standin_log()
    if len(log["disconnects"]) > before:
        gone = log["disconnects"][-1] - closed_at
        break
    time.sleep(0.1)
check("closing the stream closes the upstream connection within a second", gone is not None and gone < 1.0, gone)
cancelled = None
for _ in range(30):
    s, history = request("GET", f"/api/v1/queries?model_id={model_id}")
    cancelled = history["items"][0]["status"]
    if cancelled == "cancelled":
        break
    time.sleep(0.1)
check("the abandoned query is stored as cancelled", cancelled == "cancelled", cancelled)

# A provider that does not answer in time: 504 naming it, stored as failed.
s, _ = request("PATCH", f"/api/v1/models/{model_id}", {"llm": {"provider": "standin_slow", "model": "slowfirst"}})
started = time.time()
s, err = request("POST", "/api/v1/query", {"model_id": model_id, "query": "silicon?"})
check("first-token timeout: 504 naming the provider", s == 504 and "standin_slow" in err.get("detail", "") and time.time() - started < 4, (s, err))
s, history = request("GET", f"/api/v1/queries?model_id={model_id}")
check("the timed-out query is stored as failed", history["items"][0]["status"] == "failed", history["items"][0])

# The official openai SDK against /v1, unchanged client code: only base_url and api_key set.
s, key = request("POST", "/api/v1/auth/api-keys", {"name": "openai-sdk"})
from openai import NotFoundError, OpenAI  # noqa: E402

client = OpenAI(base_url=base + "/v1", api_key=key.get("key", ""))
s, extractive = request("POST", "/api/v1/models", {"name": "Plain"})
check("an extractive model for the SDK", s == 201 and upload_and_wait(extractive["id"]) == "succeeded", extractive)
ids = [m.id for m in client.models.list()]
check("openai SDK: models.list shows the RAG models", extractive["id"] in ids and model_id in ids, ids)
reply = client.chat.completions.create(model="Plain", messages=[{"role": "user", "content": "What are photovoltaic cells made of?"}])
content = reply.choices[0].message.content
check("openai SDK: chat completion", "silicon" in content and reply.choices[0].finish_reason == "stop" and "[1]" in content, content)
check("openai SDK: sources ride along as an extra field", (reply.model_extra or {}).get("citations", [{}])[0].get("n") == 1, reply.model_extra)
streamed = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
    model=extractive["id"], messages=[{"role": "user", "content": "What are photovoltaic cells made of?"}], stream=True) if c.choices)
check("openai SDK: streamed chat gives the same answer", streamed == content, (streamed, content))
vectors = client.embeddings.create(model="all-MiniLM-L6-v2", input=["solar power", "wind power"])
check("openai SDK: embeddings (base64 by default) decode to 384 dimensions", len(vectors.data) == 2 and len(vectors.data[0].embedding) == 384
      and abs(sum(x * x for x in vectors.data[0].embedding) - 1) < 1e-3, len(vectors.data))
floats = client.embeddings.create(model="all-MiniLM-L6-v2", input="solar power", encoding_format="float")
check("openai SDK: float and base64 embeddings agree", max(abs(a - b) for a, b in zip(floats.data[0].embedding, vectors.data[0].embedding)) < 1e-6)
try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    check("openai SDK: unknown model raises NotFoundError", False)
except NotFoundError as e:
    check("openai SDK: unknown model raises NotFoundError", "no-such-model" in str(e), e)

sys.exit(1 if failures else 0)
