#!/usr/bin/env python3
# Attacks on sbx-run's egress proxy, run inside the sandbox by tests/runtime/egress_attacks_test.cc.
# Each prints one line per attempt: NAME -> what the proxy answered (status line and body).
#
#   egress_attacks.py hosts PORT          request heads whose host a C resolver reads otherwise
#   egress_attacks.py borrow PORT [hide]  a tool's egress borrowed by descriptor passing
#   egress_attacks.py flood PORT COUNT    COUNT idle connections, then a tool's request
#   egress_attacks.py front PORT          plain HTTP that asks the allowed server for another host
#   egress_attacks.py hoard PORT COUNT    COUNT processes holding many descriptors, then a request
#   egress_attacks.py why PORT            refused requests: the whole answer (status, Proxy-Status, body)
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

PROXY = ("127.0.0.1", 3128)


def answer(s, timeout=10.0):
    """The proxy's reply on `s`: its status line and body, on one line."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        if not data:
            return "no answer"
    head, _, body = data.partition(b"\r\n\r\n")
    return (head.split(b"\r\n")[0] + b" | " + body.strip()).decode(errors="replace")


def ask(name, head):
    s = socket.create_connection(PROXY, timeout=10)
    s.sendall(head)
    print(name, "->", answer(s), flush=True)
    s.close()


def hosts(port):
    # Every host's first part, up to the byte a C string or a percent-decoder stops at, is
    # `localhost`: were the bytes passed on, the resolver would read /etc/hosts, never the network.
    attempts = {
        "nul-absolute": f"GET http://localhost\0.example.test:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "nul-connect": f"CONNECT localhost\0.example.test:{port} HTTP/1.1\r\n\r\n",
        "nul-after-address": f"GET http://127.0.0.1\0.example.test:{port}/ HTTP/1.1\r\n\r\n",
        "control-byte": f"GET http://localhost\x01.example.test:{port}/ HTTP/1.1\r\n\r\n",
        "tab": f"CONNECT localhost\t.example.test:{port} HTTP/1.1\r\n\r\n",
        "percent": f"GET http://localhost%00.example.test:{port}/ HTTP/1.1\r\n\r\n",
        "underscore": f"CONNECT local_host.example.test:{port} HTTP/1.1\r\n\r\n",
        "non-ascii": f"CONNECT l\u00f6calhost.example.test:{port} HTTP/1.1\r\n\r\n",
        "userinfo": f"GET http://user@localhost.example.test:{port}/ HTTP/1.1\r\n\r\n",
        "numeric-last-label": f"CONNECT example.127:{port} HTTP/1.1\r\n\r\n",
        "bracketed-nul": f"CONNECT [::1\0.example.test]:{port} HTTP/1.1\r\n\r\n",
        "unbracketed-ipv6": f"CONNECT ::1:{port} HTTP/1.1\r\n\r\n",
        # IPv4-mapped IPv6 literals are the IPv4 host they map: judged as that address.
        "mapped-metadata": "CONNECT [::ffff:169.254.169.254]:80 HTTP/1.1\r\n\r\n",
        "mapped-private": f"CONNECT [::ffff:10.0.0.1]:{port} HTTP/1.1\r\n\r\n",
        "bracketed-ipv4": f"CONNECT [127.0.0.1]:{port} HTTP/1.1\r\n\r\n",
        "mapped-named": f"GET http://[::ffff:127.0.0.1]:{port}/ HTTP/1.1\r\n\r\n",
        # The spellings the compiler refuses (net/address_spelling.h) are refused here too, even
        # where a rule names the address they mean (127.0.0.1).
        "decimal": f"CONNECT 2130706433:{port} HTTP/1.1\r\n\r\n",
        "octal": f"CONNECT 0177.0.0.1:{port} HTTP/1.1\r\n\r\n",
        "hex": f"GET http://0x7f000001:{port}/ HTTP/1.1\r\n\r\n",
        "short": f"CONNECT 127.1:{port} HTTP/1.1\r\n\r\n",
        "compatible": f"CONNECT [::127.0.0.1]:{port} HTTP/1.1\r\n\r\n",
        "zone": f"CONNECT [fe80::1%eth0]:{port} HTTP/1.1\r\n\r\n",
        # Controls: the same proxy serves an allowed name, with a trailing dot and in capitals.
        "control-name": f"GET http://LocalHost.:{port}/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "control-address": f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
    }
    for name, head in attempts.items():
        ask(name, head.encode("utf-8"))


def why(port):
    # What a refused client is told: PORT is allowed by name only (`localhost`), PORT + 1 not at all.
    attempts = {
        "why-connect": f"CONNECT 127.0.0.1:{port + 1} HTTP/1.1\r\n\r\n",
        "why-plain": f"GET http://127.0.0.1:{port + 1}/x HTTP/1.1\r\n\r\n",
        "why-private": f"CONNECT localhost:{port} HTTP/1.1\r\n\r\n",
        "why-plain-private": f"GET http://localhost:{port}/ HTTP/1.1\r\n\r\n",
    }
    for name, head in attempts.items():
        s = socket.create_connection(PROXY, timeout=10)
        s.sendall(head.encode())
        s.settimeout(10)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = [l for l in lines if l.lower().startswith(b"proxy-status:")]
        print(name, "->", " | ".join(l.decode(errors="replace") for l in [lines[0]] + status),
              "|", " / ".join(body.decode(errors="replace").strip().split("\n")), flush=True)


def wait_tool(pid):
    """Waits until `pid` runs the dynamically linked tool, not its static gate (whose process is
    not dumpable: its status is readable, its maps are not)."""
    for _ in range(400):
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
            if fields.get("VmLib", "0 kB").strip() != "0 kB":
                time.sleep(0.1)
                return
        except OSError:
            pass
        time.sleep(0.025)
    raise RuntimeError("the tool never ran")


def borrow(port, hide):
    """The issue's attack: a head without its final CRLF, the socket handed to a stopped process
    running the tool's executable, and a sibling completing the request. With `hide`, the sibling
    makes itself not dumpable, so that a launcher without CAP_SYS_PTRACE cannot list its
    descriptors."""
    s = socket.create_connection(PROXY, timeout=10)
    s.sendall(f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
    r, w = os.pipe()  # the tool waits for its configuration on stdin, holding the socket
    tool = subprocess.Popen(["/usr/bin/curl", "-s", "-K", "-"], stdin=r, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, pass_fds=(s.fileno(),))
    os.close(r)
    wait_tool(tool.pid)
    os.kill(tool.pid, signal.SIGSTOP)
    sibling = os.fork()
    if sibling == 0:
        if hide:
            ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
        time.sleep(0.5)  # the agent's own copy is closed by then
        s.sendall(b"\r\n")
        print("borrow-hidden ->" if hide else "borrow ->", answer(s), flush=True)
        os._exit(0)
    s.close()
    os.waitpid(sibling, 0)
    os.kill(tool.pid, signal.SIGKILL)
    os.close(w)
    tool.wait()
    # The control: the tool's own request.
    out = subprocess.run(["/usr/bin/curl", "-s", f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
    print("tool-itself ->", out.stdout.strip(), flush=True)


def flood(port, count, wait_idle):
    """`count` idle connections (heads never sent), then a request of the agent's and one of the tool's."""
    opened = [socket.create_connection(PROXY, timeout=10) for _ in range(count)]
    time.sleep(2)  # the proxy refuses at once what is beyond the task's share
    held, refused = [], 0
    for s in opened:
        s.setblocking(False)
        try:
            answered = s.recv(4096)
        except BlockingIOError:
            answered = b""
        if answered.startswith(b"HTTP/1.1 503"):
            refused += 1
            s.close()
        else:
            s.setblocking(True)
            held.append(s)
    print("flood -> held", len(held), "refused", refused, flush=True)
    s = socket.create_connection(PROXY, timeout=10)
    s.sendall(f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    print("agent-request ->", answer(s), flush=True)
    out = subprocess.run(["/usr/bin/curl", "-s", f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
    print("tool-request ->", out.stdout.strip(), flush=True)
    if wait_idle:
        print("idle-head ->", answer(held[0], timeout=15), flush=True)


def front(port):
    # The rules matched `localhost`; the server behind it answers for whatever host it is asked.
    allowed = f"GET http://localhost:{port}/ HTTP/1.1\r\n"
    attempts = {
        "host-header": allowed + "Host: other.test\r\n\r\n",
        "pipelined": allowed + "Host: localhost\r\n\r\nGET / HTTP/1.1\r\nHost: other.test\r\n\r\n",
        "keep-alive": allowed + "Connection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nHost: other.test\r\n\r\n",
        "lone-lf": allowed + "X-A: 1\nHost: other.test\r\n\r\n",
        "space-before-colon": allowed + "Host : other.test\r\n\r\n",
        "folded": allowed + "X-A: 1\r\n Host: other.test\r\n\r\n",
        "control": allowed + f"Host: localhost:{port}\r\nAccept: */*\r\n\r\n",
    }
    for name, head in attempts.items():
        s = socket.create_connection(PROXY, timeout=10)
        s.sendall(head.encode())
        s.shutdown(socket.SHUT_WR)  # then the server's every answer, up to its close
        s.settimeout(10)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        s.close()
        print(name, "->", " | ".join(l.decode(errors="replace").strip() for l in data.split(b"\r\n")
                                     if l.startswith((b"HTTP/", b"served ", b"sbx-run:"))), flush=True)


def hoard(port, processes):
    # The proxy looks for the holders of each client's socket among every descriptor of the
    # sandbox: how long does a request wait (and the launcher work) when there are many?
    def timed():
        start = time.monotonic()
        s = socket.create_connection(PROXY, timeout=600)
        s.sendall(f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n".encode())
        reply = answer(s, timeout=600)
        s.close()
        return reply, time.monotonic() - start
    reply, alone = timed()
    print("hoard-control ->", reply, flush=True)
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    count = min(hard, 20000) - 100
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 100, hard))
    null = os.open("/dev/null", os.O_RDONLY)
    for _ in range(count):
        os.dup(null)
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        children.append(pid)
    reply, hoarding = timed()
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    print(f"hoard -> {count} descriptors in {processes + 1} processes: {reply}; "
          f"{'slower by more than 3 s' if hoarding > alone + 3 else 'answered within 3 s'}", flush=True)


def main():
    what, port = sys.argv[1], int(sys.argv[2])
    if what == "hosts":
        hosts(port)
    elif what == "hoard":
        hoard(port, int(sys.argv[3]))
    elif what == "front":
        front(port)
    elif what == "why":
        why(port)
    elif what == "borrow":
        borrow(port, len(sys.argv) > 3 and sys.argv[3] == "hide")
    else:
        flood(port, int(sys.argv[3]), sys.argv[4] == "wait")


main()
