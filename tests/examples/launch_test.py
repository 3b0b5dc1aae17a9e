#!/usr/bin/env python3
"""Every example task launches: each root task of examples/*.sbx (and lib/common.sbx's `summarize`,
which multi-agent-pipeline delegates to) is started under sbx-run with a real command, which must
exit 0 and print what the manifest expects.

    tests/examples/launch_test.py BUILD_DIR

The examples name host programs and data a CI machine lacks (/usr/bin/gh, /opt/loadtests,
/dev/kvm, ...). tests/examples/standins.json lists them, and this test provides them in a private
mount namespace only (`unshare --mount`): an overlayfs over the nearest existing directory, the
stand-ins in its upper layer on a tmpfs. The host is never written. The same manifest holds the
command each task runs: a task without an entry fails the test, so a new example cannot land
without launching, and an entry whose task is gone fails it too.

Needs root (mounts): run by anyone else it exits 77, which ctest counts as skipped. A task that
cannot start only because of this machine's hard rlimits (sbx-run --dry-run says which) is shown
as skipped with the reason; then, if nothing failed, the test exits 77 too, never 0.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path(__file__).resolve().parent / "standins.json"
SKIP = 77
TASK_TIMEOUT = 120
# Tasks reached through an import rather than as an example's root task.
IMPORTED_TASKS = [("examples/lib/common.sbx", "summarize")]


def run(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def root_tasks(sbxc):
    """(file, task) for every task `sbxc classify` reports as defined in an example itself."""
    found = []
    for sbx in sorted((ROOT / "examples").glob("*.sbx")):
        rel = str(sbx.relative_to(ROOT))
        out = run([sbxc, "classify", rel, "--format", "json"], cwd=ROOT, capture_output=True, text=True).stdout
        found += [(rel, t["task"]) for t in json.loads(out)["tasks"] if t["location"]["file"] == rel]
    return found + IMPORTED_TASKS


def nearest_existing(path):
    p = Path(path)
    while not p.exists():
        p = p.parent
    return p


def submounts(base):
    """Mount points strictly below base, shallowest first (an overlay hides them)."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4]
            if point != str(base) and point.startswith(str(base).rstrip("/") + "/"):
                points.append(point)
    return sorted(set(points), key=lambda p: p.count("/"))


def make_standin(where, spec):
    """Creates one stand-in at `where` (a path in an overlay's upper layer)."""
    where.parent.mkdir(parents=True, exist_ok=True)
    if "program" in spec:  # an ELF copy: sbx-run's tool gate refuses scripts
        shutil.copy2(spec["program"], where)
        os.chmod(where, 0o755)
    elif "directory" in spec:
        where.mkdir(parents=True, exist_ok=True)
        for name, text in spec["directory"].items():
            (where / name).write_text(text)
    elif "device" in spec:
        major, minor = spec["device"]
        os.mknod(where, 0o660 | 0o020000, os.makedev(major, minor))  # a character device
    else:
        raise SystemExit(f"launch_test: stand-in {spec['path']}: give program, directory or device")


def provide_standins(standins, tmp):
    """Overlays each stand-in's nearest existing directory, with the stand-in in the upper layer."""
    layers = tmp / "layers"
    layers.mkdir()
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "standins", str(layers)])  # mknod works here
    bases = {}
    for spec in standins:
        base = nearest_existing(Path(spec["path"]).parent)
        if base == Path("/"):  # an overlay over / would hide every mount: give the example a path that exists
            raise SystemExit(f"launch_test: stand-in {spec['path']}: no directory on its way exists on this machine")
        bases.setdefault(base, []).append(spec)
    for n, (base, specs) in enumerate(sorted(bases.items())):
        upper, work, keep = (layers / str(n) / d for d in ("upper", "work", "keep"))
        for d in (upper, work, keep):
            d.mkdir(parents=True)
        for spec in specs:
            make_standin(upper / Path(spec["path"]).relative_to(base), spec)
        hidden = submounts(base)
        if hidden:
            run(["mount", "--rbind", str(base), str(keep)])
        run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={base},upperdir={upper},workdir={work}", str(base)])
        for point in hidden:  # the overlay hides what was mounted below base: put it back
            if not any(point.startswith(p + "/") for p in hidden):
                run(["mount", "--rbind", str(keep / Path(point).relative_to(base)), point])


def sbx_run(build, tmp, args, timeout=TASK_TIMEOUT):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp / "home"), "SBX_RUN_CACHE": str(tmp / "cache"),
           "SBX_STATE_DIR": str(tmp / "state"), "SBXC": str(build / "compiler" / "sbxc")}
    try:
        r = subprocess.run([str(build / "runtime" / "sbx-run")] + args, cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout} s"
    return r.returncode, r.stdout, r.stderr


def host_limit_problems(build, tmp, ws, sbx, task):
    """What --dry-run says stops the task when that is only this machine's hard rlimits (a CI
    container's `ulimit -Hn`, say), which no stand-in can provide and no unprivileged test can
    raise: the task is then reported as skipped, with the reason. Anything else is left to the
    launch, which fails on it."""
    code, out, _ = sbx_run(build, tmp, ["--dry-run", "--workspace", str(ws), "--task", task, sbx])
    if code == 0 or "cannot start" not in out:
        return []
    problems = [line.strip() for line in out.split("cannot start", 1)[1].splitlines()[1:] if line.startswith("  ")]
    return problems if problems and all(p.startswith("rlimit ") for p in problems) else []


def launch(build, spec, sbx, task, tmp, n):
    """(status, detail): "ok", "skip" (host limits) or "FAIL"."""
    ws = tmp / f"ws{n}"
    ws.mkdir()
    for name, text in spec.get("workspace", {}).items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(text)
    limits = host_limit_problems(build, tmp, ws, sbx, task)
    if limits:
        return "skip", "; ".join(limits)
    code, out, err = sbx_run(build, tmp, ["--workspace", str(ws), "--task", task, sbx, "--"] + spec["command"])
    if code == 0 and out.strip() == spec["stdout"]:
        return "ok", f"exit 0, {out.strip()!r}"
    return "FAIL", f"exit {code}, stdout {out.strip()!r}, stderr:\n{err.strip()}"


def inside(build, tmp):
    manifest = json.loads(MANIFEST.read_text())
    commands = manifest["tasks"]
    tasks = root_tasks(str(build / "compiler" / "sbxc"))
    keys = [f"{sbx}:{task}" for sbx, task in tasks]
    failures = [f"{k}: no command in {MANIFEST.relative_to(ROOT)}; add one the task allows, with the output "
                "it prints (every example task must launch)" for k in keys if k not in commands]
    failures += [f"{k}: in {MANIFEST.relative_to(ROOT)} but no such task; remove it" for k in commands if k not in keys]
    provide_standins(manifest["standins"], tmp)
    cases = ((key, commands[key]["command"], lambda n=n, sbx=sbx, task=task, key=key: launch(
        build, commands[key], sbx, task, tmp, n)) for n, ((sbx, task), key) in enumerate(zip(tasks, keys))
        if key in commands)
    return launch_each(cases, failures, "launch_test", "example tasks", len(tasks))


def launch_each(cases, failures, program, what, total):
    """Runs each (key, command, launch) of `cases`, where launch() gives (status, detail) with status
    "ok", "skip" or "FAIL"; prints a line per case, `failures` (with the failed cases added) and the
    tally. The exit status: 1 on any failure, else SKIP when a case was skipped, else 0."""
    counts = {"ok": 0, "skip": 0, "FAIL": 0}
    for key, command, launch_one in cases:
        status, detail = launch_one()
        counts[status] += 1
        print(f"{status:5} {key}: {' '.join(command)} -> {detail.splitlines()[0]}")
        if status == "FAIL":
            failures.append(f"{key}: {detail}")
    for f in failures:
        print(f"{program}: {f}", file=sys.stderr)
    print(f"{counts['ok']} of {total} {what} launched, {counts['skip']} skipped (this machine's limits), "
          f"{len(failures)} problem(s)")
    if failures:
        return 1
    return SKIP if counts["skip"] else 0


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: launch_test.py BUILD_DIR")
    build = Path(sys.argv[1]).resolve()
    if len(sys.argv) == 4 and sys.argv[2] == "--inside":
        return inside(build, Path(sys.argv[3]))
    if os.geteuid() != 0:
        print("launch_test: skipped: needs root (stand-ins are mounted in a private mount namespace)")
        return SKIP
    tmp = Path(tempfile.mkdtemp(prefix="sbx-launch-"))
    try:
        (tmp / "home").mkdir()
        # A private mount namespace: the stand-ins' mounts are this test's alone and vanish with it.
        # The temporary directory is removed out here, where nothing is mounted in it (inside, it
        # holds a bind of each overlaid directory, /dev among them).
        return subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, __file__,
                               str(build), "--inside", str(tmp)]).returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
