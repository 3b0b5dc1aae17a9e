#!/usr/bin/env python3
"""The language server's answer to a keystroke (issue 19 point 6): a 2,000-line policy open in
`sbxc lsp`, one character typed at a time (each a whole-document change, as the server asks
for), timed from the change's last byte written to its diagnostics read. Prints the median and
the 99th percentile; target: p99 under 20 ms.

    bench/lsp_keystroke.py SBXC [KEYSTROKES]      (default 300)
"""
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sbxc, keystrokes = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300


def policy(tasks):
    parts = ["import std.syscalls\n"]
    for i in range(tasks):
        parts.append(f"""
task job_{i:03d} {{
  description "Job {i}"
  owner "team-{i % 10}"
  timeout 10m
  write workspace nosuid nodev
  read "/srv/data/{i}"
  read "/usr", "/lib" nosuid nodev
  connect "api{i}.example.com:443"
  env LANG = "C.UTF-8"
  syscalls {{
    default errno EPERM
    allow @syscalls.basic-io, @syscalls.file-system
    allow @syscalls.memory, @syscalls.signal
  }}
  limits {{ memory 512MiB  pids 64 }}
}}
""")
    return "".join(parts)


text = policy(118)  # 118 tasks of 17 lines: over 2,000 lines
lines = text.count("\n")
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "big.sbx"
    path.write_text(text)
    uri = "file://" + str(path)
    server = subprocess.Popen([sbxc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(message):
        body = json.dumps(message).encode()
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        server.stdin.flush()

    def receive():
        length = None
        while True:
            line = server.stdout.readline().strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(server.stdout.read(length))

    def diagnostics():
        while True:
            m = receive()
            if m.get("method") == "textDocument/publishDiagnostics":
                return m["params"]["diagnostics"]

    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    receive()
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
          "params": {"textDocument": {"uri": uri, "languageId": "sbx", "version": 1, "text": text}}})
    first = diagnostics()
    errors = [d for d in first if d["severity"] == 1]
    if errors:
        sys.exit(f"lsp_keystroke.py: the policy has errors: {errors[:3]}")
    # Typing a description inside the middle task, one character a keystroke.
    at = text.index('description "Job 55') + len('description "Job 55')
    times = []
    for k in range(keystrokes):
        text = text[:at] + "x" + text[at:]
        at += 1
        start = time.perf_counter()
        send({"jsonrpc": "2.0", "method": "textDocument/didChange",
              "params": {"textDocument": {"uri": uri, "version": k + 2}, "contentChanges": [{"text": text}]}})
        diagnostics()
        times.append((time.perf_counter() - start) * 1000)
    send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    receive()
    send({"jsonrpc": "2.0", "method": "exit"})
    server.wait(timeout=10)

times.sort()
p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
print(f"lsp keystroke, {lines}-line policy, {keystrokes} keystrokes: median {statistics.median(times):.2f} ms, "
      f"p99 {p99:.2f} ms (target: p99 under 20 ms) {'met' if p99 < 20 else 'NOT met'}")
