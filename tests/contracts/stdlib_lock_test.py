#!/usr/bin/env python3
"""The stdlib lock (docs/contracts.md#the-stdlib-lock), end to end with this build's sbxc.

    tests/contracts/stdlib_lock_test.py BUILD_DIR

- A policy locked to the line `sbxc --version` prints checks clean, and compiles.
- The same policy checked against a stdlib with one profile changed (`--stdlib DIR`, a copy of
  stdlib-policies/ standing in for an upgraded sbxc) warns stdlib-lock-mismatch, naming both
  digests and the line to re-lock with; `--fail-level warning` fails; the plan compiled with it
  records the other digest.
- An unreadable --stdlib directory warns too, rather than passing the lock unchecked.
- `sbxc fmt` keeps the lock line, idempotently.
(The wrong-digest and malformed-lock diagnostics have goldens: tests/diagnostics/cases/SBX0026-*,
SBX0044-invalid-value-stdlib-lock*.)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICY = """{lock}
import std.programs

task analyze {{
  use programs.python3
  write workspace
  timeout 10m
  limits {{
    memory 512MiB
    pids 64
  }}
  syscalls {{
    default errno EPERM
  }}
}}
"""
failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


def main():
    build = Path(sys.argv[1]).resolve()
    sbxc = str(build / "compiler" / "sbxc")
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C")

    def run(*args, cwd):
        return subprocess.run([sbxc, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)

    version = run("--version", cwd=ROOT).stdout
    m = re.search(r'^stdlib sha256 "([0-9a-f]{64})"$', version, re.M)
    expect(m is not None, f"sbxc --version prints no stdlib line: {version!r}")
    if m is None:
        return 1
    lock_line, digest = m.group(0), m.group(1)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / ".git").mkdir()  # the import root
        policy = tmp / "task.sbx"
        policy.write_text(POLICY.format(lock=lock_line))

        r = run("check", "--fail-level", "warning", "task.sbx", cwd=tmp)
        expect(r.returncode == 0 and r.stderr == "", f"a policy locked to this stdlib: {r.returncode} {r.stderr}")
        r = run("compile", "task.sbx", "-o", "out", cwd=tmp)
        plan = json.loads((tmp / "out" / "analyze" / "plan.json").read_text())
        expect(r.returncode == 0 and plan["compiler"]["stdlib"] == f"sha256:{digest}",
               f"compile of a locked policy: {r.returncode} {r.stderr} {plan['compiler']}")

        # An "upgraded" stdlib: the same modules, python3's profile granting one more path.
        upgraded = tmp / "upgraded"
        shutil.copytree(ROOT / "stdlib-policies", upgraded)
        programs = upgraded / "programs.sbx"
        text = programs.read_text()
        changed = re.sub(r"(profile python3 \{\n)", r'\1  read "/srv/extra"\n', text, count=1)
        expect(changed != text, "could not change std.programs' python3 profile")
        programs.write_text(changed)

        r = run("check", "--stdlib", str(upgraded), "task.sbx", cwd=tmp)
        expect(r.returncode == 0, f"a lock mismatch is a warning, not an error: exit {r.returncode}")
        expect("warning[SBX0026]" in r.stderr and digest in r.stderr, f"no stdlib-lock-mismatch: {r.stderr}")
        other = re.search(r'lock the new stdlib with `stdlib sha256 "([0-9a-f]{64})"`', r.stderr)
        expect(other is not None and other.group(1) != digest, f"no re-lock help: {r.stderr}")
        expect(r.stderr.count("task.sbx:1:1: warning[SBX0026]") == 1, f"the warning is not at the lock: {r.stderr}")
        r = run("check", "--stdlib", str(upgraded), "--fail-level", "warning", "task.sbx", cwd=tmp)
        expect(r.returncode == 1, f"--fail-level warning does not fail on the mismatch: exit {r.returncode}")
        r = run("compile", "--stdlib", str(upgraded), "task.sbx", "-o", "out2", cwd=tmp)
        expect("warning[SBX0026]" in r.stderr, f"compile does not warn of the mismatch: {r.stderr}")
        plan2 = json.loads((tmp / "out2" / "analyze" / "plan.json").read_text())
        expect(other is not None and plan2["compiler"]["stdlib"] == f"sha256:{other.group(1)}",
               f"the plan does not record the stdlib it was compiled with: {plan2['compiler']}")
        paths = [p["path"] for p in plan2["task"]["paths"]]
        expect("/srv/extra" in paths, "the changed stdlib did not change the grant: the test proves nothing")

        # Re-locked to the new digest: clean again.
        if other is not None:
            policy.write_text(POLICY.format(lock=f'stdlib sha256 "{other.group(1)}"'))
            r = run("check", "--stdlib", str(upgraded), "--fail-level", "warning", "task.sbx", cwd=tmp)
            expect(r.returncode == 0, f"re-locked policy still warns: {r.stderr}")
            policy.write_text(POLICY.format(lock=lock_line))

        r = run("check", "--stdlib", str(tmp / "missing"), "task.sbx", cwd=tmp)
        expect("SBX0026" in r.stderr and "cannot be read" in r.stderr,
               f"an unreadable stdlib passes the lock unchecked: {r.returncode} {r.stderr}")

        messy = tmp / "messy.sbx"
        messy.write_text(POLICY.format(lock=lock_line.replace(" ", "   ")).replace("import std.programs", "\n\nimport std.programs"))
        r = run("fmt", "messy.sbx", cwd=tmp)
        formatted = messy.read_text()
        expect(r.returncode == 0 and formatted.startswith(lock_line + "\n"), f"fmt lost the lock line: {formatted!r}")
        r = run("fmt", "--check", "messy.sbx", cwd=tmp)
        expect(r.returncode == 0, "fmt is not idempotent on a locked file")

    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("ok: the stdlib lock passes when it matches, warns when the stdlib changed, and survives fmt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
