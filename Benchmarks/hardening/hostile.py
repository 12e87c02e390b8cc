"""The hostile inputs of the hardening issue against a live server: time of the upload request, of its job,
the longest /health answer meanwhile, and the server's resident memory (peak while the case ran, and after).
Usage: hostile.py BASE_URL SERVER_PID [CASE...]  (cases: links, word, docx, headings; all by default)"""
import io
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile

base, pid = sys.argv[1], int(sys.argv[2])
wanted = sys.argv[3:] or ["links", "word", "docx", "headings"]


def call(method, path, body=None, headers=None, timeout=600):
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


call("POST", "/api/v1/auth/signup", json.dumps({"email": "bench@example.com", "password": "benchmark1"}).encode(), {"Content-Type": "application/json"})
_, tokens = call("POST", "/api/v1/auth/login", json.dumps({"email": "bench@example.com", "password": "benchmark1"}).encode(), {"Content-Type": "application/json"})
auth = {"Authorization": "Bearer " + tokens["access_token"]}


def docx(inflated_mb):
    paragraph = b"<w:p><w:r><w:t>" + b"a" * 4000 + b"</w:t></w:r></w:p>"
    head = b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(head)
            for _ in range(inflated_mb * 1024 * 1024 // len(paragraph)):
                f.write(paragraph)
            f.write(b"</w:body></w:document>")
    return out.getvalue()


cases = {
    "links": ("nested Markdown links (finding 1)", "links.md", lambda: ("[" * 975_000 + "x" + "](" * 975_000 + ")" * 975_000).encode()),
    "word": ("one 600,000-character word (finding 2)", "word.txt", lambda: b"a." * 300_000),
    "docx": ("DOCX whose document.xml inflates to 190 MB (finding 5)", "bomb.docx", lambda: docx(190)),
    "headings": ("100,000 Markdown headings (finding 9)", "headings.md", lambda: "".join(f"# Heading {i}\nText {i}.\n" for i in range(100_000)).encode()),
}

print(f"{'case':58} {'size':>9} {'request':>9} {'job':>9} {'outcome':>10} {'/health max':>12} {'RSS peak':>9} {'RSS after':>9}")
for key in wanted:
    label, name, make = cases[key]
    payload = make()
    _, model = call("POST", "/api/v1/models", json.dumps({"name": f"{key}-{uuid.uuid4().hex[:6]}"}).encode(), {**auth, "Content-Type": "application/json"})
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode() \
        + payload + f"\r\n--{boundary}--\r\n".encode()
    stop, health, peak = threading.Event(), [0.0], [rss_mb()]

    def watch():
        while not stop.is_set():
            started = time.time()
            try:
                urllib.request.urlopen(base + "/health", timeout=120).read()
            except Exception:
                pass
            health[0] = max(health[0], time.time() - started)
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.time()
    status, upload = call("POST", f"/api/v1/models/{model['id']}/documents", body, {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    request_s = time.time() - started
    outcome = "?"
    while upload.get("job_id"):
        _, job = call("GET", f"/api/v1/jobs/{upload['job_id']}", headers=auth)
        if job.get("status") in ("succeeded", "failed", "canceled"):
            _, doc = call("GET", f"/api/v1/documents/{upload['documents'][0]['document_id']}", headers=auth)
            outcome = f"{doc.get('status')}:{doc.get('chunk_count', 0)}"
            break
        time.sleep(0.2)
    job_s = time.time() - started - request_s
    stop.set()
    watcher.join()
    time.sleep(1)
    print(f"{label:58} {len(payload) / 1e6:7.2f}MB {request_s:8.2f}s {job_s:8.1f}s {outcome:>10} {health[0]:11.2f}s {peak[0]:7.0f}MB {rss_mb():7.0f}MB", flush=True)
