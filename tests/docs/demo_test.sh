#!/usr/bin/env bash
# The README's first command, scripts/demo.sh, run to its end against an already-built
# configuration (--build-dir: nothing installed, nothing rebuilt), so a change that breaks the
# demo fails CI instead of the first reader.
#
#   tests/docs/demo_test.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$(cd "${1:?usage: demo_test.sh BUILD_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$root/scripts/demo.sh" --build-dir "$build_dir" --out "$tmp/out" >"$tmp/log" 2>&1 || {
  cat "$tmp/log"
  echo "demo_test: scripts/demo.sh failed" >&2
  exit 1
}
cat "$tmp/log"
# The demo's last line is the proof the sandboxed command wrote into the workspace.
last=$(tail -n 1 "$tmp/log")
[[ $last == "wrote $tmp/out/workspace/proof: ok" ]] || {
  echo "demo_test: the demo did not end with the sandbox's proof (last line: $last)" >&2
  exit 1
}
