#!/usr/bin/env bash
# Shows sbxc doing its main job on the shipped examples, from a fresh Debian 12 machine:
# installs the packages, builds the release binary, checks one policy, compiles another into
# out/, then lists the artifacts written, prints a summary of each compiled task and runs a
# command inside one task's sandbox.
#
#   scripts/demo.sh                                  install, build release, run the demo into out/
#   scripts/demo.sh --build-dir DIR [--out DIR]      run it with DIR's binaries, nothing installed
#                                                    or built (CI's smoke test: tests/docs/demo_test.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build_dir=
out=out
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    *) echo "usage: scripts/demo.sh [--build-dir DIR] [--out DIR]" >&2; exit 3 ;;
  esac
done

if [[ -z $build_dir ]]; then
  scripts/install-deps.sh
  scripts/build.sh release
  build_dir=build/release
fi
sbxc=$build_dir/compiler/sbxc
sbx_run=$build_dir/runtime/sbx-run
for binary in "$sbxc" "$sbx_run"; do
  [[ -x $binary ]] || { echo "demo.sh: $binary was not built" >&2; exit 1; }
done

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
show classify "$compile_example"
# A clean out/ so the listing below shows exactly what this compile wrote.
rm -rf "$out"
show compile "$compile_example" -o "$out/"

printf '\nArtifacts written:\n'
find "$out" -type f -printf '  %8s bytes  %p\n' | sort -k3

# A summary of each compiled task, read back from its plan: the tier is the classifier's.
mapfile -t plans < <(find "$out" -name plan.json | sort)
if [[ ${#plans[@]} -eq 0 ]]; then
  echo "demo.sh: the compile wrote no plan.json under $out/" >&2
  exit 1
fi
python3 - "${plans[@]}" <<'PY'
import json, sys

for path in sys.argv[1:]:
    plan = json.load(open(path))
    task = plan["task"]
    tier = plan.get("tier")
    print(f"\ntask {task['name']} ({path}, schema {plan['schema']})")
    print(f"  {task.get('description', '')}")
    print(f"  tier: T{tier} (computed; `expect tier` says {task.get('expectedTier', 'nothing')})")
    timeout = task.get("timeoutMs")
    print(f"  timeout: {timeout // 1000}s" if timeout else "  timeout: none")
    writable = [m["target"] for m in plan["mounts"] if not m["readOnly"]]
    print(f"  mounts: {len(plan['mounts'])} ({len(writable)} writable: {', '.join(writable) or 'none'})")
    egress = [d["text"] for d in task["egress"]] + [d["text"] for t in task["tools"] for d in t["egress"]]
    print(f"  egress: {', '.join(egress) or 'none'}")
    print(f"  secrets: {', '.join(s['name'] for s in task['secrets']) or 'none'}")
    # The plan names the compiled filter; its rules are in seccomp.pfc beside it.
    f = plan["seccomp"]
    print(f"  seccomp: {f['instructions']} instructions, default {f['defaultAction']}, "
          f"{'/'.join(f['arches'])} ({f['file']}, disassembled in {f['disassembly']})")
PY

# Run a command inside the contained task's sandbox (as root the payload runs as nobody, so the
# workspace belongs to nobody here).
mkdir -p "$out/workspace"
[[ $(id -u) -ne 0 ]] || chown 65534:65534 "$out/workspace"
printf '\n$ sbx-run --workspace %s/workspace %s -- /bin/sh -c ...\n' "$out" "$check_example"
"$sbx_run" --workspace "$out/workspace" "$check_example" -- \
  /bin/sh -c 'echo "hello from the sandbox: $(id -un), $(ls / | tr "\n" " ")"; echo ok > /workspace/proof'
printf 'wrote %s/workspace/proof: %s\n' "$out" "$(cat "$out/workspace/proof")"
