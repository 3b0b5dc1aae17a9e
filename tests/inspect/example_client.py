#!/usr/bin/env python3
"""Inside the sandbox of examples/request-rules.sbx (tests/inspect/example_test.py), as the task's
own python3: runs the tool `api` (/usr/bin/curl) for each step named on the command line and
prints one JSON line per step, `step {...}`:
  list, delete, close-N: curl's status code, body and errors for that request;
  search: the SHA-256 digests of every token-shaped string (a JWT, each of its parts, and any
  base64url run of an Ed25519 signature's length) in every file it can read and every process
  environment and command line, so that the test can look for the token it saw at the server
  without that token ever entering the sandbox."""
import hashlib
import json
import os
import re
import subprocess
import sys

URL = "https://127.0.0.1:18443"
REQUESTS = {
    "list": [URL + "/api/items"],
    "delete": ["-X", "DELETE", URL + "/api/items/7"],
    "close": ["-X", "POST", URL + "/api/items/7/close"],
}
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
SIGNATURE = re.compile(rb"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{86}(?![A-Za-z0-9_-])")
# The host's system trees are bound read-only and were there before the run: they hold no token
# of it (and take minutes to read). /proc is read below, process by process; /sys holds none.
SKIPPED_TOP = {"sys", "proc", "usr", "lib", "lib32", "lib64", "bin", "sbin"}


def emit(step, **fields):
    print("step", json.dumps({"step": step, **fields}), flush=True)


def request(step):
    done = subprocess.run(["/usr/bin/curl", "-sS", "-w", "\n%{http_code}", *REQUESTS[step.split("-")[0]]], capture_output=True,
                          text=True, timeout=90)
    body, _, code = done.stdout.rpartition("\n")
    emit(step, code=code, body=body, stderr=done.stderr, exit=done.returncode)


def digests_in(data, into):
    for match in JWT.finditer(data):
        into.add(hashlib.sha256(match.group()).hexdigest())
        for part in match.group().split(b"."):
            into.add(hashlib.sha256(part).hexdigest())
    for match in SIGNATURE.finditer(data):
        into.add(hashlib.sha256(match.group()).hexdigest())


def search():
    digests, files = set(), 0
    digests_in("\0".join(f"{k}={v}" for k, v in os.environ.items()).encode(), digests)
    for root, dirs, names in os.walk("/", followlinks=False):
        if root == "/":
            dirs[:] = [d for d in dirs if d not in SKIPPED_TOP]
        for name in names:
            path = os.path.join(root, name)
            try:
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    digests_in(f.read(1 << 24), digests)
                files += 1
            except OSError:
                pass
    processes = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for part in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as f:
                    digests_in(f.read(), digests)
                processes += part == "environ"
            except OSError:
                pass
    emit("search", files=files, processes=processes, digests=sorted(digests))


for step in sys.argv[1:]:
    search() if step == "search" else request(step)
