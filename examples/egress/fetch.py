# Run inside examples/egress-local.sbx (docs/egress.md): fetches each URL through sbx-run's egress
# proxy (HTTP_PROXY points there) and then tries a direct connection to 127.0.0.1:18080, which
# sbx-run's socket broker makes on the host for it (the destination is allowed). Prints one line per attempt; exits 1 when the
# first URL, the allowed destination, was not served. tests/runtime/egress_test.cc runs it too.
import socket
import sys
import urllib.error
import urllib.request

urls = sys.argv[1:] or ["http://127.0.0.1:18080/", "http://127.0.0.1:18081/"]
served = []
for url in urls:
    try:
        body = urllib.request.urlopen(url, timeout=10).read().decode(errors="replace").strip()
        print(url, "->", (body.splitlines() or [""])[0][:80])
        served.append(url)
    except urllib.error.HTTPError as e:
        print(url, "-> refused", e.code, e.read().decode(errors="replace").strip())
try:
    socket.create_connection(("127.0.0.1", 18080), timeout=2)
    print("direct -> connected")
except OSError as e:
    print("direct -> failed:", e.strerror)
sys.exit(0 if urls[0] in served else 1)
