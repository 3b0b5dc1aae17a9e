#!/usr/bin/env python3
"""Every `sbxc init` template starts under sbx-run as written: for each template `sbxc init --list`
names, `sbxc init T DIR && sbxc compile DIR/T.sbx -o OUT && sbx-run --workspace WS OUT/TASK -- CMD`
with a trivial command, which must exit 0 and print what PAYLOADS expects.

    tests/examples/init_launch_test.py BUILD_DIR

Unlike the examples (launch_test.py) the templates name only what a Debian machine with
scripts/install-deps.sh has, so nothing is faked and no root is needed. A template without an
entry in PAYLOADS fails the test, as does an entry whose template is gone. A task that cannot start
only because of this machine's hard rlimits (launch_test.host_limit_problems) is shown as skipped
with the reason; then, if nothing failed, the test exits 77 (skipped), never 0.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from launch_test import SKIP, host_limit_problems, launch_each, sbx_run  # noqa: E402

# Template -> the workspace's files, the command run in the sandbox and its expected output.
PYTHON_OK = ["/usr/bin/python3", "-c", "print('ok')"]
PAYLOADS = {
    "coding-agent": {"workspace": {"README.md": "a repository\n"}, "command": PYTHON_OK, "stdout": "ok"},
    "web-research": {"workspace": {}, "command": PYTHON_OK, "stdout": "ok"},
    "ticket-assistant": {"workspace": {}, "command": PYTHON_OK, "stdout": "ok"},
    # The policy reads the dataset from the workspace's data/ directory, which must exist.
    "data-notebook": {"workspace": {"data/dataset.csv": "customer,churned\n"},
                      "command": ["/usr/bin/python3", "-c", "print(open('/workspace/data/dataset.csv').readline().strip())"],
                      "stdout": "customer,churned"},
}


def sbxc(build, *args, cwd=None):
    return subprocess.run([str(build / "compiler" / "sbxc"), *args], cwd=cwd, capture_output=True, text=True)


def launch(build, name, spec, tmp):
    """(status, detail): "ok", "skip" (host limits) or "FAIL"."""
    policy_dir, out, ws = tmp / name / "policy", tmp / name / "out", tmp / name / "ws"
    for step in (["init", name, str(policy_dir)], ["compile", str(policy_dir / f"{name}.sbx"), "-o", str(out)]):
        r = sbxc(build, *step)
        if r.returncode != 0:
            return "FAIL", f"sbxc {' '.join(step)}: exit {r.returncode}\n{r.stderr.strip()}"
    tasks = sorted(p.name for p in out.iterdir() if (p / "plan.json").is_file())
    if len(tasks) != 1:
        return "FAIL", f"expected one task in {out}, got {tasks}"
    ws.mkdir()
    for rel, text in spec["workspace"].items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    limits = host_limit_problems(build, tmp, ws, str(policy_dir / f"{name}.sbx"), tasks[0])
    if limits:
        return "skip", "; ".join(limits)
    code, stdout, stderr = sbx_run(build, tmp, ["--workspace", str(ws), str(out / tasks[0]), "--"] + spec["command"])
    if code == 0 and stdout.strip() == spec["stdout"]:
        return "ok", f"exit 0, {stdout.strip()!r}"
    return "FAIL", f"exit {code}, stdout {stdout.strip()!r}, stderr:\n{stderr.strip()}"


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: init_launch_test.py BUILD_DIR")
    build = Path(sys.argv[1]).resolve()
    listed = sbxc(build, "init", "--list")
    if listed.returncode != 0:
        raise SystemExit(f"sbxc init --list: exit {listed.returncode}\n{listed.stderr}")
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
    failures = [f"{n}: no entry in PAYLOADS ({Path(__file__).name}); add the command it runs" for n in names
                if n not in PAYLOADS]
    failures += [f"{n}: in PAYLOADS but no such template; remove it" for n in PAYLOADS if n not in names]
    with tempfile.TemporaryDirectory(prefix="sbx-init-launch-") as t:
        tmp = Path(t)
        (tmp / "home").mkdir()
        cases = ((name, PAYLOADS[name]["command"], lambda name=name: launch(build, name, PAYLOADS[name], tmp))
                 for name in names if name in PAYLOADS)
        return launch_each(cases, failures, "init_launch_test", "templates", len(names))


if __name__ == "__main__":
    sys.exit(main())
