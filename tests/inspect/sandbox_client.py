#!/usr/bin/env python3
"""Inside the sandbox (tests/inspect/inspect_e2e_test.py): python3 is the tool `pyclient`, whose one
action is GET https://127.0.0.1:18443/api/items. Prints one line per check:
  urllib/requests: the allowed GET answered, the DELETE refused with the inspector's 403;
  attacks: raw request heads through the proxy's CONNECT, each with the status it got;
  search: whether the token is in any environment or readable file."""
import os
import socket
import ssl
import sys
import urllib.request

URL = "https://127.0.0.1:18443"
TOKEN = sys.argv[1][::-1]  # given reversed: no command line holds it


def line(*parts):
    print(*parts, flush=True)


def with_urllib():
    with urllib.request.urlopen(URL + "/api/items", timeout=10) as r:
        line("urllib GET", r.status, r.read().decode())
    try:
        urllib.request.urlopen(urllib.request.Request(URL + "/api/items/7", method="DELETE"), timeout=10)
        line("urllib DELETE allowed")
    except urllib.error.HTTPError as e:
        line("urllib DELETE", e.code, e.read().decode().splitlines()[0])


def with_requests():
    import requests
    r = requests.get(URL + "/api/items", timeout=10)
    line("requests GET", r.status_code, r.text)
    r = requests.delete(URL + "/api/items/7", timeout=10)
    line("requests DELETE", r.status_code, r.text.splitlines()[0])


def tunnel(sni="127.0.0.1"):
    """A TLS connection to the server through the proxy's CONNECT, trusting the sandbox's bundle."""
    raw = socket.create_connection(("127.0.0.1", 3128), timeout=10)
    raw.sendall(b"CONNECT 127.0.0.1:18443 HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = raw.recv(1)
        if not chunk:
            return None
        answer += chunk
    context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    context.check_hostname = False  # the SNI check is the inspector's; the certificate is still verified
    return context.wrap_socket(raw, server_hostname=sni)


def read_response(s):
    """One whole response (head and Content-Length body); its status line."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for header in head.split(b"\r\n")[1:]:
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    return head.decode(errors="replace").split("\r\n")[0] if head else "closed"


def status_of(head, sni="127.0.0.1"):
    try:
        s = tunnel(sni)
        s.sendall(head)
        return read_response(s)
    except (OSError, ssl.SSLError) as e:
        return "closed " + type(e).__name__


ATTACKS = {
    "cl-te": b"POST /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "cl-twice": b"POST /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
    "cl-bad": b"POST /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nContent-Length: 0x5\r\n\r\n",
    "obs-fold": b"GET /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nX-A: 1\r\n  folded\r\n\r\n",
    "host-differs": b"GET /api/items HTTP/1.1\r\nHost: other.example:18443\r\n\r\n",
    "absolute-differs": b"GET https://other.example:18443/api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n",
    "connect-inside": b"CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n",
    "upgrade-h2c": b"GET /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    "encoded-slash": b"GET /api/items%2F..%2F..%2Fadmin HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n",
    "dot-segments": b"GET /api/items/../../admin HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n",
}


def attacks():
    for name, head in ATTACKS.items():
        line("attack", name, status_of(head))
    line("attack sni-differs", status_of(b"GET /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n", "other.example"))
    # Plain HTTP to the inspected host:port is judged by the same rules (which name https only).
    raw = socket.create_connection(("127.0.0.1", 3128), timeout=10)
    raw.sendall(b"GET http://127.0.0.1:18443/api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n")
    line("attack plain-http", read_response(raw))
    # Keep-alive: the first request allowed, the second on the same connection judged on its own.
    s = tunnel()
    s.sendall(b"GET /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n")
    first = read_response(s)
    s.sendall(b"DELETE /api/items/7 HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n")
    second = read_response(s)
    line("keep-alive", first, "|", second)


def search():
    found = [k for k, v in os.environ.items() if TOKEN in v]
    searched = 0
    for root, dirs, files in os.walk("/", followlinks=False):
        # /proc and /sys: the processes' environments are read below. The host's system trees,
        # bound read-only, were there before the run and hold no token of it (and take minutes).
        if root == "/":
            dirs[:] = [d for d in dirs if d not in ("sys", "proc", "usr", "lib", "lib32", "lib64", "bin", "sbin")]
        for name in files:
            path = os.path.join(root, name)
            try:
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    searched += 1
                    if TOKEN.encode() in f.read(1 << 24):
                        found.append(path)
            except OSError:
                pass
    for pid in os.listdir("/proc"):
        for part in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as f:
                    if TOKEN.encode() in f.read():
                        found.append(f"/proc/{pid}/{part}")
            except OSError:
                pass
    line("search found", found, "in", searched, "files")


for step in sys.argv[2:]:
    {"urllib": with_urllib, "requests": with_requests, "attacks": attacks, "search": search}[step]()
