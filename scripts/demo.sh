#!/usr/bin/env bash
# Shows sbxc doing its main job on the shipped examples, from a fresh Debian 12 machine:
# installs the packages, builds the release binary, checks one policy, compiles another into
# out/, then lists the artifacts written and prints a summary of each compiled task.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps.sh
scripts/build.sh release
sbxc=build/release/compiler/sbxc
[[ -x $sbxc ]] || { echo "demo.sh: $sbxc was not built" >&2; exit 1; }

# The preferred example, or the first example there is if it has been renamed.
pick_example() {
  local preferred=$1 first
  if [[ -f $preferred ]]; then
    printf '%s\n' "$preferred"
    return
  fi
  first=$(find examples -maxdepth 1 -type f -name '*.sbx' 2>/dev/null | sort | head -n 1)
  [[ -n $first ]] || { echo "demo.sh: no examples/*.sbx to run" >&2; exit 1; }
  echo "demo.sh: $preferred not found, using $first" >&2
  printf '%s\n' "$first"
}

# Echoes a command the way a user would type it, then runs it. Exit status 1 means "findings at
# or above the fail level", which is a result worth showing, not a broken demo; 2 and up are errors.
show() {
  printf '\n$ sbxc %s\n' "$*"
  local rc=0
  "$sbxc" "$@" || rc=$?
  if [[ $rc -ge 2 ]]; then
    echo "demo.sh: sbxc $1 failed (exit $rc)" >&2
    exit "$rc"
  fi
  [[ $rc -eq 0 ]] || printf '(exit %d: findings at or above the fail level)\n' "$rc"
}

check_example=$(pick_example examples/contained.sbx)
compile_example=$(pick_example examples/ci-test-runner.sbx)

show --version
show check "$check_example"
# A clean out/ so the listing below shows exactly what this compile wrote.
rm -rf out
show compile "$compile_example" -o out/

printf '\nArtifacts written:\n'
find out -type f -printf '  %8s bytes  %p\n' | sort -k3

# The task's summary: report.json (tier, rules fired, lint findings) where the compile wrote one,
# else the task section of plan.json, with list and map fields shown by their size.
mapfile -t task_dirs < <(find out -mindepth 1 -type d | sort)
if [[ ${#task_dirs[@]} -eq 0 ]]; then
  echo "demo.sh: the compile wrote no task directory under out/" >&2
  exit 1
fi
python3 - "${task_dirs[@]}" <<'PY'
import json, os, sys, textwrap

def wrapped(parts):
    return textwrap.fill(", ".join(parts), width=100, initial_indent="  ", subsequent_indent="  ")

for d in sys.argv[1:]:
    report, plan = os.path.join(d, "report.json"), os.path.join(d, "plan.json")
    if os.path.exists(report):
        print(f"\nSummary ({report}):")
        lines = json.dumps(json.load(open(report)), indent=2).splitlines()
        print("\n".join(lines[:80]))
        if len(lines) > 80:
            print(f"... {len(lines) - 80} more lines in {report}")
    elif os.path.exists(plan):
        task = json.load(open(plan)).get("task", {})
        print(f"\nSummary ({plan}): {task.get('name', '?')}: {task.get('description', '')}")
        scalars = [f"{k}={json.dumps(v)}" for k, v in task.items()
                   if not isinstance(v, (list, dict)) and k not in ("name", "description")]
        sizes = [f"{k}={len(v)}" for k, v in task.items() if isinstance(v, (list, dict)) and v]
        print(wrapped(scalars))
        print(wrapped(sizes))
PY
