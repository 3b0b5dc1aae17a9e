"""The loopback HTTPS upstream of the inspector's end-to-end tests: a test-only CA made with openssl
(given to sbx-run with --upstream-ca), a certificate for 127.0.0.1 signed by it, and a threaded
HTTPS server on 127.0.0.1:18443 (ctest's RESOURCE_LOCK port_18443 keeps the tests that use the
port from running at the same time)."""
import http.server
import os
import ssl
import subprocess
import threading

PORT = 18443


def make_ca(work):
    """ca.pem (the test-only CA) and server.pem/server.key (127.0.0.1, signed by it) in `work`."""
    run = lambda *a: subprocess.run(a, cwd=work, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=sbx test upstream CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    (work / "ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "1", "-extfile", "ext", "-out", "server.pem")
    os.chmod(work / "ca.key", 0o600)
    return work / "ca.pem"


def serve(work, handler):
    """A started HTTPS server on 127.0.0.1:PORT with `work`'s server certificate; .shutdown() ends it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(work / "server.pem", work / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
