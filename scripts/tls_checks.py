"""`make test`'s native TLS step: the real binary serving HTTPS with certificates made here by openssl, checked by
clients that verify them: HTTP/1.1 and HTTP/2 (ALPN, curl --http2), a server-sent event stream over HTTP/2, HSTS and
Secure session cookies, plain HTTP refused on the TLS port, the certificate replaced on SIGHUP while an open
connection carries on, a broken replacement refused with the running certificate kept, and a mismatched key refused
at start naming the key.
    python3 tls_checks.py HYPERION_BINARY WORKDIR"""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_checks import check, failures, free_port, wait  # noqa: E402

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=work)


# A certificate authority and two server certificates it signs (127.0.0.1 and localhost), as an operator would have
# before and after a renewal.
openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Hyperion test CA")
for name in ("first", "renewed"):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=hyperion-{name}")
    with open(os.path.join(work, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{name}.pem",
            "-days", "2", "-extfile", "san.ext")
cert, key = os.path.join(work, "server.pem"), os.path.join(work, "server.key")


def install(name):
    """Puts a pair where the server reads it, each file replaced in one step."""
    for source, target in ((f"{name}.pem", cert), (f"{name}.key", key)):
        with open(os.path.join(work, source), "rb") as f:
            data = f.read()
        with open(target + ".tmp", "wb") as f:
            f.write(data)
        os.replace(target + ".tmp", target)


install("first")
port_number = free_port()
env = dict(os.environ, HYPERION_EMBEDDING_MODEL_PATH=os.path.join(root, "data/models/all-MiniLM-L6-v2"), HYPERION_LOG_FORMAT="json",
           HYPERION_AUTH_BCRYPT_COST="10", HYPERION_TLS_CERT_PATH=cert, HYPERION_TLS_KEY_PATH=key)
log_path = os.path.join(work, "server.log")
server = subprocess.Popen([binary, "serve", "--port", str(port_number), "--data-dir", os.path.join(work, "data")], env=env,
                          stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
verified = ssl.create_default_context(cafile=os.path.join(work, "ca.pem"))


def connect():
    return http.client.HTTPSConnection("127.0.0.1", port_number, context=verified, timeout=30)


def get(conn, path, headers=None):
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def peer_name(conn):
    subject = dict(pair[0] for pair in conn.sock.getpeercert()["subject"])
    return subject.get("commonName")


def logged(message, after=0):
    with open(log_path) as f:
        lines = f.readlines()[after:]
    return [json.loads(line) for line in lines if line.startswith("{") and message in line]


try:
    check("the server starts on HTTPS", wait(lambda: get(connect(), "/ready")[0] == 200, 60), open(log_path).read()[-2000:])
    check("the start is logged with scheme https", any(line.get("scheme") == "https" for line in logged("Hyperion is serving")))

    # HTTP/1.1 with a client that verifies the certificate, HSTS on every response.
    kept = connect()
    status, headers, _ = get(kept, "/health")
    check("HTTPS answers a verifying HTTP/1.1 client", status == 200, status)
    check("Strict-Transport-Security is sent (a year by default)", headers.get("Strict-Transport-Security") == "max-age=31536000", headers)
    check("the certificate served is the configured one", peer_name(kept) == "hyperion-first", peer_name(kept))
    try:
        http.client.HTTPSConnection("127.0.0.1", port_number, context=ssl.create_default_context(), timeout=10).request("GET", "/health")
        check("a client that does not trust the CA refuses the connection", False)
    except ssl.SSLCertVerificationError:
        check("a client that does not trust the CA refuses the connection", True)

    # HTTP/2 by ALPN, and curl speaking it.
    with socket.create_connection(("127.0.0.1", port_number), timeout=10) as raw:
        alpn = ssl.create_default_context(cafile=os.path.join(work, "ca.pem"))
        alpn.set_alpn_protocols(["h2", "http/1.1"])
        with alpn.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            check("ALPN picks h2 when the client offers it", tls.selected_alpn_protocol() == "h2", tls.selected_alpn_protocol())
    curl = ["curl", "-sS", "--cacert", os.path.join(work, "ca.pem")]
    result = subprocess.run(curl + ["--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", f"https://127.0.0.1:{port_number}/health"],
                            capture_output=True, text=True, timeout=30)
    check("curl --http2 gets 200 over HTTP/2", result.stdout.strip() == "2 200", (result.stdout, result.stderr))

    # An account; its session cookie is Secure on HTTPS; a server-sent event stream over HTTP/2.
    conn = connect()
    body = json.dumps({"email": "tls@example.com", "password": "tls-password-1"})
    conn.request("POST", "/api/v1/auth/signup", body=body, headers={"Content-Type": "application/json"})
    conn.getresponse().read()
    conn.request("POST", "/api/v1/auth/login", body=json.dumps({"email": "tls@example.com", "password": "tls-password-1", "cookie": True}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    token = json.loads(response.read())["access_token"]
    cookie = response.getheader("Set-Cookie") or ""
    check("the session cookie is marked Secure on HTTPS", "HttpOnly" in cookie and "; Secure" in cookie, cookie)
    stream = subprocess.run(curl + ["--http2", "-N", "--max-time", "3", "-H", f"Authorization: Bearer {token}",
                                    f"https://127.0.0.1:{port_number}/api/v1/logs/stream?backlog=2"], capture_output=True, text=True, timeout=30)
    check("a server-sent event stream flows over HTTP/2", "event: log" in stream.stdout, (stream.stdout[:300], stream.stderr[:300]))

    plain = subprocess.run(["curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{port_number}/health"],
                           capture_output=True, text=True, timeout=30)
    check("plain HTTP on the TLS port gets no answer", plain.stdout.strip() in ("000", ""), (plain.stdout, plain.stderr))

    # A renewed certificate on SIGHUP: new connections get it, the open one carries on with the first.
    before = len(open(log_path).readlines())
    install("renewed")
    server.send_signal(signal.SIGHUP)
    check("SIGHUP reloads the certificate (logged)", wait(lambda: logged("TLS certificate reloaded", before)), open(log_path).read()[-1000:])
    fresh = connect()
    check("a new connection gets the renewed certificate", get(fresh, "/health")[0] == 200 and peer_name(fresh) == "hyperion-renewed",
          peer_name(fresh))
    sock = kept.sock
    status, _, _ = get(kept, "/health")
    check("a connection opened before the reload carries on", status == 200 and kept.sock is sock and peer_name(kept) == "hyperion-first",
          (status, peer_name(kept)))

    # A broken replacement: refused, logged, the renewed one still served.
    before = len(open(log_path).readlines())
    with open(cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    server.send_signal(signal.SIGHUP)
    check("a broken certificate on SIGHUP is refused and logged", wait(lambda: logged("TLS certificate not reloaded", before)))
    after = connect()
    check("the running certificate stays served", get(after, "/health")[0] == 200 and peer_name(after) == "hyperion-renewed", peer_name(after))

    # A key that does not belong to the certificate: the start fails naming the key.
    install("renewed")
    mismatched = dict(env, HYPERION_TLS_KEY_PATH=os.path.join(work, "first.key"))
    bad = subprocess.run([binary, "serve", "--port", "0", "--data-dir", os.path.join(work, "bad-data")], env=mismatched,
                         capture_output=True, text=True, timeout=120)
    check("a mismatched key stops the start, naming tls.key_path", bad.returncode != 0 and "tls.key_path" in bad.stdout + bad.stderr,
          (bad.returncode, (bad.stdout + bad.stderr)[-400:]))
    only_cert = dict(env)
    del only_cert["HYPERION_TLS_KEY_PATH"]
    bad = subprocess.run([binary, "serve", "--port", "0", "--data-dir", os.path.join(work, "bad-data")], env=only_cert,
                         capture_output=True, text=True, timeout=120)
    check("a certificate without a key stops the start, naming tls.key_path", bad.returncode != 0 and "tls.key_path" in bad.stdout + bad.stderr,
          (bad.returncode, (bad.stdout + bad.stderr)[-400:]))
finally:
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=30)
        check("SIGTERM stops the HTTPS server cleanly", code == 0, code)
    except subprocess.TimeoutExpired:
        server.kill()
        check("SIGTERM stops the HTTPS server cleanly", False, "still running after 30 s")

print("TLS checks: " + ("all passed" if not failures else f"{len(failures)} failed"))
sys.exit(1 if failures else 0)
