#!/usr/bin/env python3
"""Forward TCP from the host's 127.0.0.1:HOSTPORT to 127.0.0.1:NSPORT inside a network namespace.
usage: nsfwd.py NETNS HOSTPORT:NSPORT [HOSTPORT:NSPORT ...]
Listening sockets are created in the caller's (host) netns; then the process enters NETNS with
setns(2), so every outbound socket it opens afterwards lives inside NETNS. Needs root (CAP_SYS_ADMIN).
"""
import ctypes, os, socket, sys, threading

CLONE_NEWNET = 0x40000000

def pump(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass

def serve(lsock, nsport):
    while True:
        c, _ = lsock.accept()
        try:
            u = socket.create_connection(("127.0.0.1", nsport), timeout=5)
            u.settimeout(None)
            # Without this, Nagle's algorithm holds a small write (a gRPC frame) until the previous one is acknowledged:
            # 40 ms per call against the peer's delayed ACKs.
            for s in (c, u):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            c.close(); continue
        for a, b in ((c, u), (u, c)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()

def main():
    ns, maps = sys.argv[1], [tuple(map(int, m.split(":"))) for m in sys.argv[2:]]
    listeners = []
    for hp, np_ in maps:                      # 1) bind on the HOST loopback only
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", hp)); s.listen(128)
        listeners.append((s, np_))
    libc = ctypes.CDLL(None, use_errno=True)   # 2) enter the namespace (main thread, before any thread starts)
    fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
    os.close(fd)
    print("forwarding", maps, "into netns", ns, flush=True)
    ts = [threading.Thread(target=serve, args=l, daemon=True) for l in listeners]
    for t in ts: t.start()
    for t in ts: t.join()

if __name__ == "__main__":
    main()
