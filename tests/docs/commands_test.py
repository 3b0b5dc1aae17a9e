#!/usr/bin/env python3
"""Docs that cannot rot: every shell command the documentation shows either runs or says why not.

    tests/docs/commands_test.py BUILD_DIR [--list]

Checks every Markdown file of the repository: README.md, docs/, each directory's README.md (the
convention is documented in docs/README.md):

- Every fenced block tagged sh, bash, shell or console is run, unless the line just before its
  fence is `<!-- not-run: REASON -->`. A sh/bash/shell block runs as one `bash -e` script; in a
  console block only the `$ ` lines run (the rest is output). Each block runs in a fresh clone
  of a policies repository (the repository's examples/ plus policies/task.sbx, with an origin
  whose main branch holds the same, and a change to policies/task.sbx staged), with BUILD_DIR's
  sbxc and sbx-run first on PATH. A non-zero
  exit fails the test.
- A `$ ` line outside such a block, and a line that starts with a command of this project
  (sbxc, sbx-run, scripts/, bench/, cmake) in an untagged or indented code block, fail: shell
  commands belong in a tagged block, where this test sees them. Usage synopses are ```text.
- Every relative link resolves to a file or directory inside the repository.
- A pre-commit configuration shown in a yaml block parses, and its local hooks of the ids the
  repository ships (.pre-commit-hooks.yaml) run the same entry on the same files.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml  # python3-yaml, which scripts/install-deps.sh installs

ROOT = Path(__file__).resolve().parents[2]
SHELL_TAGS = {"sh", "bash", "shell"}
CONSOLE_TAGS = {"console", "shell-session"}
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(\S.*?)\s*-->$")
PROJECT_COMMAND = re.compile(r"^\s*(\$ |sbxc\b|sbx-run\b|scripts/|bench/|cmake\b)")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
BLOCK_TIMEOUT = 120


def markdown_files():
    listed = subprocess.run(["git", "ls-files", "-z", "*.md"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.split("\0")
    return [ROOT / name for name in listed if name]


class Block:
    def __init__(self, path, line, tag, lines, not_run):
        self.path, self.line, self.tag, self.lines, self.not_run = path, line, tag, lines, not_run

    def where(self):
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def script(self):
        if self.tag in CONSOLE_TAGS:
            return "\n".join(l[2:] for l in self.lines if l.startswith("$ ")) + "\n"
        return "\n".join(self.lines) + "\n"


def previous_nonblank(lines, index):
    for j in range(index - 1, -1, -1):
        if lines[j].strip():
            return lines[j].strip()
    return ""


def scan(path, problems):
    """The fenced shell blocks of one file; stray commands are added to problems."""
    lines = path.read_text().splitlines()
    blocks, i, blank_before = [], 0, True
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^(\s*)(```+|~~~+)\s*([\w-]*)", line)
        if fence:
            tag, start, body = fence.group(3).lower(), i, []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence.group(2)):
                body.append(lines[i][len(fence.group(1)):])
                i += 1
            marker = NOT_RUN.match(previous_nonblank(lines, start))
            if tag in ("yaml", "yml"):
                check_pre_commit_config(f"{path.relative_to(ROOT)}:{start + 1}", "\n".join(body), problems)
            if tag in SHELL_TAGS | CONSOLE_TAGS:
                blocks.append(Block(path, start + 1, tag, body, marker.group(1) if marker else None))
            elif tag in ("", "text"):
                for n, b in enumerate(body):
                    if PROJECT_COMMAND.match(b) and tag == "":
                        problems.append(f"{path.relative_to(ROOT)}:{start + 2 + n}: a command in an untagged "
                                        f"block (tag it sh, or text if it is not a command): {b.strip()}")
            i += 1
            blank_before = False
            continue
        indented = line.startswith("    ") and blank_before
        if indented:  # an indented code block: runs to the next non-indented, non-blank line
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                if PROJECT_COMMAND.match(lines[i][4:]):
                    problems.append(f"{path.relative_to(ROOT)}:{i + 1}: a command in an indented block "
                                    f"(put it in a ```sh block): {lines[i].strip()}")
                i += 1
            blank_before = True
            continue
        if line.startswith("$ "):
            problems.append(f"{path.relative_to(ROOT)}:{i + 1}: a `$ ` line outside a console block")
        blank_before = not line.strip() or line.lstrip().startswith(("#", "|"))
        i += 1
    return blocks


def check_pre_commit_config(where, text, problems):
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as e:
        problems.append(f"{where}: the yaml block does not parse: {e}")
        return
    if not isinstance(config, dict) or "repos" not in config:
        return
    shipped = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    for repo in config["repos"]:
        if repo.get("repo") != "local":
            problems.append(f"{where}: repo {repo.get('repo')} at rev {repo.get('rev')} cannot be checked here")
            continue
        for hook in repo.get("hooks", []):
            ours = shipped.get(hook.get("id"))
            for key in ("entry", "language", "files"):
                if ours and hook.get(key) != ours[key]:
                    problems.append(f"{where}: hook {hook['id']}: {key} {hook.get(key)!r}, "
                                    f".pre-commit-hooks.yaml says {ours[key]!r}")


def check_links(problems):
    for path in markdown_files():
        text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in LINK.findall(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            file_part = target.split("#", 1)[0]
            resolved = (path.parent / file_part).resolve()
            inside = resolved == ROOT or ROOT in resolved.parents
            if not inside or not resolved.exists():
                problems.append(f"{path.relative_to(ROOT)}: link to {target}: "
                                f"{'outside the repository' if not inside else 'no such file'}")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def policies_repository(tmp):
    """An origin repository of policies, and a clone of it to run blocks in (returned)."""
    origin = tmp / "origin"
    tracked = subprocess.run(["git", "ls-files", "-z", "examples"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, tracked):
        (origin / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, origin / name)
    (origin / "policies").mkdir()
    shutil.copy2(ROOT / "examples/contained.sbx", origin / "policies/task.sbx")
    git(tmp, "init", "-q", "-b", "main", str(origin))
    git(origin, "add", "-A")
    git(origin, "-c", "user.name=docs", "-c", "user.email=docs@localhost", "commit", "-q", "-m", "policies")
    return origin


def run_block(block, origin, tmp, env):
    work = tmp / f"work-{block.path.stem}-{block.line}"
    git(tmp, "clone", "-q", str(origin), str(work))
    # A change staged for commit, as a pre-commit hook would find it.
    policy = work / "policies/task.sbx"
    policy.write_text("# Reviewed.\n" + policy.read_text())
    git(work, "add", "policies/task.sbx")
    if os.geteuid() == 0:  # a workspace inside must be reachable by nobody, as under /tmp
        work.chmod(0o1777)
    try:
        r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.script()], cwd=work, env=env,
                           capture_output=True, text=True, timeout=BLOCK_TIMEOUT, start_new_session=True)
    except subprocess.TimeoutExpired:
        return f"timed out after {BLOCK_TIMEOUT} s"
    if r.returncode != 0:
        return f"exit {r.returncode}\n--- stdout\n{r.stdout}--- stderr\n{r.stderr}"
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: commands_test.py BUILD_DIR [--list]")
    build = Path(sys.argv[1]).resolve()
    problems, blocks = [], []
    for path in markdown_files():
        blocks += scan(path, problems)
    check_links(problems)
    for b in blocks:
        state = f"not run ({b.not_run})" if b.not_run else "run"
        print(f"{b.where()}: ```{b.tag}: {state}")
    if "--list" in sys.argv:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        return 1 if problems else 0

    env = dict(os.environ)
    env["PATH"] = f"{build / 'compiler'}:{build / 'runtime'}:{env.get('PATH', '/usr/bin:/bin')}"
    env.pop("SBXC", None)
    with tempfile.TemporaryDirectory(prefix="sbx-docs-") as name:
        tmp = Path(name)
        tmp.chmod(0o1777)
        env["SBX_RUN_CACHE"] = str(tmp / "cache")
        origin = policies_repository(tmp)
        for b in blocks:
            if b.not_run:
                continue
            failure = run_block(b, origin, tmp, env)
            print(f"{b.where()}: {'FAILED: ' + failure if failure else 'ok'}")
            if failure:
                problems.append(f"{b.where()}: the block failed")
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    ran = sum(1 for b in blocks if not b.not_run)
    print(f"{len(blocks)} shell blocks, {ran} run, {len(blocks) - ran} marked not-run; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
