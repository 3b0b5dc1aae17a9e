#!/usr/bin/env python3
"""sbx-run with request rules, against a loopback HTTPS server of a test-only CA (made with openssl
here) given to sbx-run with --upstream-ca: curl (the tool `api`, whose requests get the injected
bearer token) and python3's urllib and requests (the tool `pyclient`, no token) inside the sandbox,
through the proxy variables and the run's CA bundle. The allowed GET is answered and the server sees
the token; DELETE gets the inspector's 403 naming the rule; a request whose action needs approval
is refused when nothing approves it; the attacks of issue 18 are refused; the token is in no
environment and no readable file of the sandbox. The policy's request rules are written into the
compiled plan.json (the language's `request` lines come with another branch).

  inspect_e2e_test.py SBX_RUN SBXC"""
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
TOKEN = "s3cret-e2e-token-4c1d"




POLICY = """import std.programs
task inspected {
  identity spiffe "spiffe://sbx.local/test/inspected"
  use programs.shell
  use programs.curl
  use programs.python3
  write workspace
  timeout 120s
  tool api {
    description "The items API, through curl"
    exec "/usr/bin/curl"
    action list effect read
    action label effect write reversible
    action close effect write irreversible approval
    connect "127.0.0.1:18443"
  }
  tool pyclient {
    description "The items API, read through python3"
    exec "/usr/bin/python3.11"
    action list effect read
    connect "127.0.0.1:18443"
  }
  syscalls { default errno EPERM }
  limits { memory 1GiB  pids 128 }
}
"""


def rule(method, path):
    return {"method": method, "scheme": "https", "host": "127.0.0.1", "port": 18443, "path": path}


def add_rules(plan_path, token_file):
    plan = json.loads(plan_path.read_text())
    task = plan["task"]
    for tool in task["tools"]:
        for action in tool["actions"]:
            if tool["name"] == "api" and action["name"] == "list":
                action["requests"] = [rule("GET", "/api/items")]
            if tool["name"] == "api" and action["name"] == "label":
                action["requests"] = [rule("PATCH", "/api/items/{id}/labels")]
            if tool["name"] == "api" and action["name"] == "close":
                action["approvalTimeoutMs"] = 30000
                action["requests"] = [rule("POST", "/api/items/{id}/close")]
            if tool["name"] == "pyclient":
                action["requests"] = [rule("GET", "/api/items")]
    task.setdefault("secrets", []).append({
        "name": "api_token", "source": str(token_file), "scopes": [], "audience": "127.0.0.1:18443",
        "injection": {"header": "Authorization", "value": "Bearer {token}", "tool": "api"}})
    plan_path.write_text(json.dumps(plan, indent=2) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        Handler.seen.append((self.command, self.path, self.headers.get("Authorization")))
        body = f"items, auth={'token' if self.headers.get('Authorization') == 'Bearer ' + TOKEN else 'none'}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = answer

    def log_message(self, *args):
        pass


def main():
    sbx_run, sbxc = sys.argv[1], sys.argv[2]
    if not shutil.which("openssl") or not shutil.which("curl"):
        skip("openssl or curl is not installed")
    try:
        import requests  # noqa: F401
    except ImportError:
        skip("python3-requests is not installed")
    work = pathlib.Path(tempfile.mkdtemp(prefix="sbx-inspect-e2e-"))
    os.chmod(work, 0o1777)
    ws = work / "ws"
    ws.mkdir()
    if os.geteuid() == 0:
        os.chown(ws, 65534, 65534)
    loopback_https.make_ca(work)
    token_file = work / "token"
    token_file.write_text(TOKEN + "\n")
    os.chmod(token_file, 0o600)

    server = loopback_https.serve(work, Handler)

    (work / "policy.sbx").write_text(POLICY)
    compiled = subprocess.run([sbxc, "compile", str(work / "policy.sbx"), "-o", str(work / "out")],
                              capture_output=True, text=True)
    check(compiled.returncode == 0, "the policy compiles", compiled.stdout + compiled.stderr)
    if compiled.returncode:
        sys.exit(1)
    add_rules(work / "out/inspected/plan.json", token_file)
    shutil.copy(SOURCE / "tests/inspect/sandbox_client.py", ws / "client.py")
    if os.geteuid() == 0:
        os.chown(ws / "client.py", 65534, 65534)
    audit = work / "audit.jsonl"
    script = (
        "curl -sS https://127.0.0.1:18443/api/items; echo; "
        "curl -sS -H 'Authorization: Bearer stolen' https://127.0.0.1:18443/api/items; echo; "
        "curl -sS -X DELETE https://127.0.0.1:18443/api/items/7; "
        # Held for approval: the watcher below approves the first and denies the second.
        "curl -sS -X POST https://127.0.0.1:18443/api/items/7/close; echo; "
        "curl -sS -X POST https://127.0.0.1:18443/api/items/7/close; "
        "curl -sS --path-as-is 'https://127.0.0.1:18443/api/items/%2e%2e/items'; echo; "
        # Without the proxy variables the connect is brokered (docs/egress.md), and a connect to an
        # inspected destination goes to the inspector all the same: judged, injected, refused alike.
        "curl -sS --noproxy '*' https://127.0.0.1:18443/api/items; echo ' (direct)'; "
        "curl -sS --noproxy '*' -X DELETE https://127.0.0.1:18443/api/items/8; "
        # The token reversed: the sandbox's command lines must not hold what it searches for.
        f"python3 /workspace/client.py {TOKEN[::-1]} urllib requests attacks search")
    env = {"PATH": "/usr/bin:/bin", "SBX_RUN_CACHE": str(work / "cache"), "SBX_STATE_DIR": str(work / "state")}
    runtime_dir = work / "runtime"
    runtime_dir.mkdir(mode=0o700)
    env["SBX_RUNTIME_DIR"] = str(runtime_dir)
    events = work / "events.jsonl"
    events.touch()
    proc = subprocess.Popen([sbx_run, "--workspace", str(ws), "--audit", str(audit), "--events", str(events),
                             "--upstream-ca", str(work / "ca.pem"), str(work / "out/inspected"), "--", "/bin/sh", "-c",
                             script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    answers = []

    def approver():
        # Follows the event stream as a supervising program would: approves the first held
        # request and denies the second (one approval admits exactly one request).
        seen = 0
        while proc.poll() is None and seen < 2:
            for line in events.read_text().splitlines():
                record = json.loads(line)
                if record.get("event") != "approval-pending" or record["request"] in [a[1] for a in answers]:
                    continue
                verb = "approve" if seen == 0 else "deny"
                answered = subprocess.run([sbx_run, verb, record["run"], record["request"]], env=env,
                                          capture_output=True, text=True)
                answers.append((verb, record["request"], answered.returncode, answered.stdout + answered.stderr))
                seen += 1
            time.sleep(0.05)

    watcher = threading.Thread(target=approver, daemon=True)
    watcher.start()
    out, _ = proc.communicate(timeout=300)
    watcher.join(timeout=5)

    class Finished:
        returncode = proc.returncode
    r = Finished
    print(out)
    check(r.returncode == 0, "sbx-run exits 0")
    check("items, auth=token\nitems, auth=token\n" in out, "curl (tool api) gets the answer; the server sees the injected token, not the client's")
    check(any(a == "Bearer " + TOKEN for _, _, a in Handler.seen), "the server saw the bearer token")
    check(not any(a == "Bearer stolen" for _, _, a in Handler.seen), "the client's own Authorization was replaced")
    check("sbx-run: tool `api` may not send DELETE https://127.0.0.1:18443/api/items/7" in out and
          'request DELETE "https://127.0.0.1:18443/api/items/7"' in out, "DELETE gets 403 naming the tool, request and rule")
    check([(a[0], a[2]) for a in answers] == [("approve", 0), ("deny", 0)],
          "sbx-run approve and deny answer the two held requests named by approval-pending events", str(answers))
    check(sum(1 for m, p, _ in Handler.seen if m == "POST" and p == "/api/items/7/close") == 1,
          "the approved request reached the server, the second identical one did not")
    check("POST https://127.0.0.1:18443/api/items/7/close of action `close` needs approval: approval denied" in out,
          "the second identical request needs its own approval, and is refused when denied")
    check('"event":"approval-approved"' in events.read_text() and '"event":"approval-denied"' in events.read_text(),
          "the event stream records both answers")
    check("items, auth=token\n" in out.split("needs approval")[1], "dot segments are resolved before matching (/api/items/%2e%2e/items is /api/items)")
    check("items, auth=token (direct)" in out,
          "without proxy variables, the brokered connect reaches the inspector: answered, with the injected token")
    check("sbx-run: tool `api` may not send DELETE https://127.0.0.1:18443/api/items/8" in out,
          "without proxy variables, a request no action allows is refused all the same")
    check("urllib GET 200 items, auth=none" in out, "urllib (tool pyclient) gets the answer, without the token")
    check("urllib DELETE 403 sbx-run: tool `pyclient` may not send DELETE" in out, "urllib DELETE refused")
    check("requests GET 200 items, auth=none" in out, "requests gets the answer")
    check("requests DELETE 403 sbx-run: tool `pyclient` may not send DELETE" in out, "requests DELETE refused")
    for name in ("cl-te", "cl-twice", "cl-bad", "obs-fold", "host-differs", "absolute-differs", "encoded-slash",
                 "dot-segments"):
        check(f"attack {name} HTTP/1.1 400" in out or f"attack {name} HTTP/1.1 403" in out, f"attack {name} refused")
    check("attack connect-inside HTTP/1.1 403" in out, "CONNECT inside the tunnel refused")
    check("attack upgrade-h2c HTTP/1.1 403" in out, "an h2c upgrade refused")
    check("attack sni-differs closed" in out, "an SNI other than the CONNECT target: the connection ends")
    check("attack plain-http HTTP/1.1 403" in out, "plain HTTP to the inspected host is judged by the same rules")
    check("keep-alive HTTP/1.1 200 OK | HTTP/1.1 403" in out, "each request of a kept-alive connection is judged")
    check("search found [] in" in out and "search found [] in 0 files" not in out,
          "the token is in no environment and no readable file")
    check(not any(p == "/api/admin" or "admin" in p for _, p, _ in Handler.seen), "no refused request reached the server")
    log = audit.read_text()
    check('"event":"request"' in log and '"verdict":"allowed","rule":"request GET \\"https://127.0.0.1:18443/api/items\\""' in log,
          "decisions are audit lines with the rule")
    check('"event":"egress","destination":"127.0.0.1:18443","address":"127.0.0.1","verdict":"inspected"' in log,
          "the egress line says the connection was inspected")
    check(TOKEN not in log, "the token is not in the audit log")
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


main()
