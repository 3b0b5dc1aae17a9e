#!/usr/bin/env python3
"""git over HTTPS inside the sandbox, through the inspecting proxy (issue 18 point 7): a git
smart-HTTP server (`git http-backend`, git_http.py) on the loopback HTTPS server of a test-only CA
(--upstream-ca), and a task whose tool `git_http` is git's HTTPS transport
(/usr/lib/git-core/git-remote-http, the process that makes git's connections) with one action,
`fetch`: the two requests of a smart-HTTP fetch. Inside, with the proxy variables and
GIT_SSL_CAINFO sbx-run sets: `git ls-remote` lists the branch and `git clone` checks out the
commit; a push (its first request asks for git-receive-pack) and a fetch of another repository
get the inspector's 403 and never reach the server; and git's own requests are judged by the
rules (audit lines of action `fetch`). Skipped (exit 77) without git, git-http-backend, openssl.

  git_test.py SBX_RUN SBXC"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import git_http
import loopback_https
from checks import check, failures, skip

BACKEND = "/usr/lib/git-core/git-http-backend"
TRANSPORT = "/usr/lib/git-core/git-remote-http"

POLICY = """import std.programs
import std.syscalls
task git_over_https {
  description "Fetch a repository over HTTPS through the inspecting proxy"
  owner "sbx-tests"
  identity spiffe "spiffe://sbx.local/test/git-over-https"
  use programs.shell
  use programs.git
  use programs.curl
  write workspace
  timeout 120s
  tool git_http {
    description "git's HTTPS transport"
    exec "%s"
    system "127.0.0.1:18443" test
    action fetch effect read {
      request GET "https://127.0.0.1:18443/repo.git/info/refs" query "service=git-upload-pack"
      request POST "https://127.0.0.1:18443/repo.git/git-upload-pack"
    }
    connect "127.0.0.1:18443"
  }
  syscalls {
    default errno EPERM
    allow @syscalls.network-io
  }
  limits {
    memory 1GiB
    pids 128
  }
}
""" % TRANSPORT

SCRIPT = """cd /workspace
git ls-remote https://127.0.0.1:18443/repo.git 2>&1; echo "ls-remote exit $?"
git clone -q https://127.0.0.1:18443/repo.git clone 2>&1; echo "clone exit $?"
git -C clone log -1 --format='cloned commit: %s' 2>&1
cat clone/README
echo change >> clone/README
git -C clone -c user.name=t -c user.email=t@example.invalid commit -qam change 2>&1
git -C clone push -q origin main 2>&1; echo "push exit $?"
git ls-remote https://127.0.0.1:18443/other.git 2>&1; echo "other exit $?"
"""




def main():
    sbx_run, sbxc = sys.argv[1], sys.argv[2]
    for program in ("openssl", "git", "/bin/sh", BACKEND, TRANSPORT):
        if not shutil.which(program) and not os.access(program, os.X_OK):
            skip(f"{program} is not installed")
    work = pathlib.Path(tempfile.mkdtemp(prefix="sbx-inspect-git-"))
    os.chmod(work, 0o1777)
    subject = git_http.make_repository(work)
    ca = loopback_https.make_ca(work)
    handler = git_http.handler_for(work / "srv")
    server = loopback_https.serve(work, handler)
    (work / "policy.sbx").write_text(POLICY)
    compiled = subprocess.run([sbxc, "compile", str(work / "policy.sbx"), "-o", str(work / "out")],
                              capture_output=True, text=True)
    check(compiled.returncode == 0, "the policy compiles", compiled.stdout + compiled.stderr)
    if compiled.returncode:
        sys.exit(1)
    ws = work / "ws"
    ws.mkdir()
    if os.geteuid() == 0:
        os.chown(ws, 65534, 65534)
    runtime_dir = work / "runtime"
    runtime_dir.mkdir(mode=0o700)
    env = {"PATH": "/usr/bin:/bin", "SBX_RUN_CACHE": str(work / "cache"), "SBX_STATE_DIR": str(work / "state"),
           "SBX_RUNTIME_DIR": str(runtime_dir)}
    audit = work / "audit.jsonl"
    try:
        done = subprocess.run([sbx_run, "--workspace", str(ws), "--audit", str(audit), "--upstream-ca", str(ca),
                               str(work / "out/git_over_https"), "--", "/bin/sh", "-c", SCRIPT],
                              capture_output=True, text=True, env=env, timeout=240)
        out = done.stdout + done.stderr
        status = done.returncode
    except subprocess.TimeoutExpired as e:
        out, status = str(e.stdout) + str(e.stderr), None
    server.shutdown()
    print(out)
    seen = handler.seen
    check(status == 0, f"sbx-run exits 0 (got {status})")
    check("\trefs/heads/main" in out and "ls-remote exit 0" in out, "git ls-remote lists the branch over HTTPS")
    check("clone exit 0" in out and f"cloned commit: {subject}" in out and "served over HTTPS" in out,
          "git clone checks out the served commit")
    check(("POST", "/repo.git/git-upload-pack") in seen, "the fetch's POST reached the server", seen)
    check("push exit 0" not in out and "403" in out.split("push exit")[0].split("cloned commit")[-1],
          "git push gets the inspector's 403", out)
    check(not any("receive-pack" in path for _, path in seen), "no push request reached the server", seen)
    check('request GET "https://127.0.0.1:18443/repo.git/info/refs" query "service=git-receive-pack"' in out,
          "the 403 names the rule that would allow the push's request, as the language writes it")
    check("other exit 0" not in out and not any("other.git" in path for _, path in seen),
          "a fetch of another repository is refused before the server", seen)
    log = audit.read_text()
    check('"event":"request"' in log and '"tool":"git_http","action":"fetch"' in log and '"verdict":"allowed"' in log,
          "git's requests are judged as tool `git_http`'s action `fetch`", log[-3000:])
    check('"verdict":"refused"' in log, "the push and the other repository's requests are audited as refused")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


main()
