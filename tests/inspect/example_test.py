#!/usr/bin/env python3
"""examples/request-rules.sbx itself, run as issue 18 point 9 describes: a loopback HTTPS server
on 127.0.0.1:18443 with a test-only CA given to sbx-run with --upstream-ca, and inside the
sandbox (tests/inspect/example_client.py, as the task's python3, through the tool `api`, curl):
  - GET /api/items gets the server's answer, and the server sees the bearer token the proxy added
    (a token minted by the run's broker for secret `api_token`);
  - DELETE /api/items/7 gets the inspector's 403 and never reaches the server;
  - the task's python3 finds no copy of that token in any file it can read, any environment or
    command line (a decoy token planted in the workspace shows that the search finds one);
  - POST /api/items/7/close is held: an `approval-pending` event with `run` and `request` appears
    on --events; `sbx-run approve RUN REQUEST` lets it through; the same request sent again is
    held again and `sbx-run deny RUN REQUEST` refuses it (403, never at the server).
It first checks the example's fixed shape in the compiled plan.json (task, tool, actions,
approval timeout, injected secret).

  example_test.py SBX_RUN SBXC"""
import base64
import hashlib
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import loopback_https
from checks import check, failures, skip

SOURCE = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = SOURCE / "examples/request-rules.sbx"
BASE = "https://127.0.0.1:18443"




def request_rule(method, path):
    return {"method": method, "scheme": "https", "host": "127.0.0.1", "port": 18443, "path": path}


def check_shape(sbxc, work):
    """The shape point 9 fixes, read from what sbxc compiles of the example."""
    compiled = subprocess.run([sbxc, "compile", str(EXAMPLE), "-o", str(work / "out")], capture_output=True, text=True)
    check(compiled.returncode == 0, "the example compiles", compiled.stdout + compiled.stderr)
    if compiled.returncode:
        return
    task = json.loads((work / "out/request_rules/plan.json").read_text())["task"]
    check(task["name"] == "request_rules", "task `request_rules`")
    tools = {t["name"]: t for t in task["tools"]}
    api = tools.get("api", {})
    check(api.get("exec") == "/usr/bin/curl", "tool `api` runs /usr/bin/curl", api)
    actions = {a["name"]: a for a in api.get("actions", [])}
    check(sorted(actions) == ["close", "label", "list"], "actions list, label and close", sorted(actions))
    expected = {"list": request_rule("GET", "/api/items"), "label": request_rule("PATCH", "/api/items/{id}/labels"),
                "close": request_rule("POST", "/api/items/{id}/close")}
    for name, rule in expected.items():
        got = [{k: r.get(k) for k in rule} for r in actions.get(name, {}).get("requests", [])]
        check(got == [rule], f"action `{name}` is {rule['method']} {BASE}{rule['path']}", got)
    check(actions.get("close", {}).get("approval") and actions["close"].get("approvalTimeoutMs") == 30000,
          "`close` needs approval, timeout 30s", actions.get("close"))
    check(not actions.get("list", {}).get("approval") and not actions.get("label", {}).get("approval"),
          "`list` and `label` need no approval")
    secrets = {s["name"]: s for s in task.get("secrets", [])}
    injection = secrets.get("api_token", {}).get("injection") or {}
    check(injection == {"header": "Authorization", "value": "Bearer {token}", "tool": "api"},
          "secret `api_token` injected into api's requests as Authorization: Bearer <token>", secrets)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []  # (method, path, Authorization)

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        Handler.seen.append((self.command, self.path, self.headers.get("Authorization")))
        body = json.dumps({"server": "items", "method": self.command, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = answer

    def log_message(self, *args):
        pass


def records(events):
    return [json.loads(line) for line in events.read_text().splitlines() if line.strip()]


def approver(proc, events, sbx_run, env, answers):
    """Follows --events as a supervising program would: approves the first held request, denies
    the second."""
    while proc.poll() is None and len(answers) < 2:
        for record in records(events):
            if record.get("event") != "approval-pending" or record.get("request") in [a["request"] for a in answers]:
                continue
            verb = "approve" if not answers else "deny"
            done = subprocess.run([sbx_run, verb, record["run"], record["request"]], env=env, capture_output=True,
                                  text=True, timeout=30)
            answers.append({"verb": verb, "request": record["request"], "exit": done.returncode,
                            "output": done.stdout + done.stderr})
        time.sleep(0.05)


def jwt_parts(token):
    """The token and its three parts, as the sandbox's search reports them (SHA-256, hex)."""
    return [hashlib.sha256(p.encode()).hexdigest() for p in [token, *token.split(".")]]


def main():
    sbx_run, sbxc = sys.argv[1], sys.argv[2]
    for program in ("openssl", "/usr/bin/curl", "/usr/bin/python3"):
        if not shutil.which(program):
            skip(f"{program} is not installed")
    work = pathlib.Path(tempfile.mkdtemp(prefix="sbx-request-example-"))
    os.chmod(work, 0o1777)
    check_shape(sbxc, work)
    if failures:
        sys.exit(1)

    ca = loopback_https.make_ca(work)
    server = loopback_https.serve(work, Handler)
    ws = work / "ws"
    ws.mkdir()
    shutil.copy(SOURCE / "tests/inspect/example_client.py", ws / "client.py")
    # A token-shaped decoy the search must find: a search that finds nothing proves nothing.
    decoy = "eyJhbGciOiJub25lIn0." + base64.urlsafe_b64encode(b'{"decoy":true}').decode().rstrip("=") + "." + "A" * 86
    (ws / "decoy.txt").write_text(decoy + "\n")
    if os.geteuid() == 0:
        for path in (ws, ws / "client.py", ws / "decoy.txt"):
            os.chown(path, 65534, 65534)
    runtime_dir = work / "runtime"
    runtime_dir.mkdir(mode=0o700)
    env = {"PATH": "/usr/bin:/bin", "SBX_RUN_CACHE": str(work / "cache"), "SBX_STATE_DIR": str(work / "state"),
           "SBX_RUNTIME_DIR": str(runtime_dir)}
    events, audit = work / "events.jsonl", work / "audit.jsonl"
    events.touch()
    proc = subprocess.Popen([sbx_run, "--workspace", str(ws), "--audit", str(audit), "--events", str(events),
                             "--upstream-ca", str(ca), str(EXAMPLE), "--", "/usr/bin/python3", "/workspace/client.py",
                             "list", "delete", "search", "close-1", "close-2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    answers = []
    watcher = threading.Thread(target=approver, args=(proc, events, sbx_run, env, answers), daemon=True)
    watcher.start()
    try:
        out, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        check(False, "sbx-run finishes within 240 s", out)
    watcher.join(timeout=5)
    server.shutdown()
    print(out)
    steps = {}
    for line in out.splitlines():
        if line.startswith("step "):
            record = json.loads(line[5:])
            steps[record["step"]] = record
    check(proc.returncode == 0, f"sbx-run exits 0 (got {proc.returncode})")

    listed = steps.get("list", {})
    check(listed.get("code") == "200" and '"server": "items"' in listed.get("body", ""),
          "curl GET /api/items gets the server's answer", listed)
    gets = [auth for method, path, auth in Handler.seen if (method, path) == ("GET", "/api/items")]
    token = gets[0][len("Bearer "):] if gets and (gets[0] or "").startswith("Bearer ") else ""
    check(token.count(".") == 2, "the server sees a bearer token (the broker's JWT) it was not sent by curl", gets)
    if token.count(".") == 2:
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        check(claims.get("sbx", {}).get("secret") == "api_token", "the token is secret `api_token`'s", claims)

    deleted = steps.get("delete", {})
    check(deleted.get("code") == "403" and "may not send DELETE https://127.0.0.1:18443/api/items/7" in
          deleted.get("body", ""), "curl -X DELETE /api/items/7 gets 403 naming the request", deleted)
    check(not any(method == "DELETE" for method, _, _ in Handler.seen), "the DELETE never reaches the server")

    search = steps.get("search", {})
    found = set(search.get("digests", []))
    check(set(jwt_parts(decoy)) <= found, "the search finds the decoy token planted in the workspace",
          {k: v for k, v in search.items() if k != "digests"})
    check(search.get("files", 0) > 0 and search.get("processes", 0) > 0,
          "the search read files and process environments", {k: v for k, v in search.items() if k != "digests"})
    check(bool(token) and not set(jwt_parts(token)) & found,
          "the task's python3 finds the token (or a part of it) in no file, environment or command line")

    pending = [r for r in records(events) if r.get("event") == "approval-pending"]
    check(len(pending) == 2 and all(r.get("run") and r.get("request") for r in pending),
          "each POST .../close is held: an approval-pending event with `run` and `request`", pending)
    check(all((r.get("tool"), r.get("action"), r.get("method"), r.get("url")) ==
              ("api", "close", "POST", BASE + "/api/items/7/close") for r in pending),
          "approval-pending names tool `api`, action `close` and the request", pending)
    check([(a["verb"], a["exit"]) for a in answers] == [("approve", 0), ("deny", 0)],
          "sbx-run approve RUN REQUEST, then sbx-run deny RUN REQUEST, answer the two", answers)
    first, second = steps.get("close-1", {}), steps.get("close-2", {})
    check(first.get("code") == "200" and '"path": "/api/items/7/close"' in first.get("body", ""),
          "the approved POST .../close gets the server's answer", first)
    check(second.get("code") == "403" and "approval denied" in second.get("body", ""),
          "the same POST sent again needs its own approval, and is refused when denied", second)
    check(sum(1 for method, path, _ in Handler.seen if (method, path) == ("POST", "/api/items/7/close")) == 1,
          "exactly the approved POST reaches the server")
    kinds = [r.get("event") for r in records(events)]
    check("approval-approved" in kinds and "approval-denied" in kinds, "--events records both answers")
    check(not token or token not in audit.read_text() + events.read_text(), "the token is in no audit or event line")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


main()
