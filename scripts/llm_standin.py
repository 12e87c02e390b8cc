"""A stand-in LLM server speaking the OpenAI chat-completions wire protocol (JSON and SSE), for the
integration checks of the real binary. It records every request and when a streaming client went away.
    python3 llm_standin.py PORT_FILE
Models: any name answers at once; "slowstream" sends a token every 200 ms for 30 s (for cancellation);
"slowfirst" waits 5 s before the first token (for the first-token timeout); "paced" sends twenty numbered words
150 ms apart (an answer long enough to kill its worker part-way, the same text every time); "flaky" answers 503 to its
first two requests, then like any model; "fixed" waits 50 ms, then answers at once (the queue benchmark's constant
LLM); "markdown" answers in Markdown with raw HTML
in it (for the web UI's rendering). It also speaks Ollama's model management: GET /api/tags lists the models pulled so
far, POST /api/pull streams NDJSON progress as Ollama does ("pulling manifest", "pulling <digest>" with byte counts,
"success"; a model named "missing:*" fails with Ollama's error line)."""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

requests, disconnects, pulled, exports = [], [], [], []
flaky_failures = [2]
PACED = " ".join(f"word{i}" for i in range(1, 21))
lock = threading.Lock()


MARKDOWN = ("## Findings\n\nThe **heat pump** in building C was *replaced* [1].\n\n- the compressor failed\n- it was replaced in March\n\n"
            "<script>alert(1)</script> <img src=x onerror=alert(2)> `code`")


def answer_for(body):
    messages = body.get("messages", [])
    if messages and messages[0].get("content", "").startswith("Rewrite"):
        return "standalone: " + messages[-1]["content"].split("Last question:")[-1].strip()
    if body.get("model") == "markdown":
        return MARKDOWN
    if body.get("model") == "paced":
        return PACED
    return "The sources say photovoltaic cells are made of silicon [1]."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": "standin-1", "object": "model", "created": 0, "owned_by": "standin"}]})
        elif self.path == "/api/tags":
            with lock:
                self.send_json(200, {"models": [{"name": name, "model": name, "size": 1234} for name in pulled]})
        elif self.path == "/_log":
            with lock:
                self.send_json(200, {"requests": requests, "disconnects": disconnects, "exports": exports})
        else:
            self.send_json(404, {"error": {"message": "no such route"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if self.path == "/v1/traces":  # an OTLP/HTTP sink, so processes under test can trace without a collector
            self.rfile.read(length)
            with lock:
                exports.append(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.loads(self.rfile.read(length) or b"{}")
        with lock:
            requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "traceparent": self.headers.get("traceparent"), "body": body})
        if self.path == "/api/pull":
            return self.pull(body.get("model", ""))
        if self.path != "/v1/chat/completions":
            return self.send_json(404, {"error": {"message": "no such route"}})
        model = body.get("model", "")
        if model == "flaky":
            with lock:
                fail = flaky_failures[0] > 0
                flaky_failures[0] -= fail
            if fail:
                return self.send_json(503, {"error": {"message": "overloaded, try again"}})
        text = answer_for(body)
        if model == "fixed":
            time.sleep(0.05)
        if not body.get("stream"):
            return self.send_json(200, {"id": "c1", "object": "chat.completion", "created": 0, "model": model,
                                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                                        "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(payload):
            data = ("data: " + payload + "\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def chunk(content, finish=None):
            return json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                               "choices": [{"index": 0, "delta": {"content": content} if content is not None else {}, "finish_reason": finish}]})
        try:
            if model == "slowfirst":
                time.sleep(5)
            pieces = ["tick "] * 150 if model == "slowstream" else [w + " " for w in text.split(" ")]
            for piece in pieces:
                send(chunk(piece))
                if model == "slowstream":
                    time.sleep(0.2)
                elif model == "paced":
                    time.sleep(0.15)
            send(chunk(None, "stop"))
            send(json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [],
                             "usage": {"prompt_tokens": 7, "completion_tokens": len(pieces), "total_tokens": 7 + len(pieces)}}))
            send("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            with lock:
                disconnects.append(time.time())


def _pull(self, model):
    """Ollama's /api/pull: application/x-ndjson, one JSON object per line, chunked."""
    self.send_response(200)
    self.send_header("Content-Type", "application/x-ndjson")
    self.send_header("Transfer-Encoding", "chunked")
    self.end_headers()

    def line(obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
    line({"status": "pulling manifest"})
    if model.startswith("missing:"):
        line({"error": "pull model manifest: file does not exist"})
    else:
        digest, total = "sha256:" + "ab" * 32, 4_000_000
        for done in range(0, total + 1, 1_000_000):
            line({"status": f"pulling {digest[7:19]}", "digest": digest, "total": total, "completed": done})
            time.sleep(0.15)
        for status in ("verifying sha256 digest", "writing manifest", "success"):
            line({"status": status})
        with lock:
            pulled.append(model)
    self.wfile.write(b"0\r\n\r\n")


Handler.pull = _pull
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
