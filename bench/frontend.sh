#!/usr/bin/env bash
# Front-end speed, measured with hyperfine on this machine:
#
#   (a) `sbxc check` of one typical policy, process start to exit     target: under 20 ms
#   (b) one `sbxc check` over 1,000 policy files                        target: under 1 s
#       (check = parse + resolve + classify + lint; pinned to one core with taskset, so the
#       classifier's target "classify plus lint of 1,000 policies in under 1 s on one core"
#       is measured here too)
#   (c) the fleet: one `sbxc check` of 10,000 policies in 500 files that import shared
#       libraries (bench/fleet_corpus.py), one core                      target: under 2 s
#   (d) `sbxc test` of the fleet's 1,000 tests (100 test files), one core target: under 1 s
#   (e) the language server answering a keystroke in a 2,000-line policy (bench/lsp_keystroke.py:
#       a whole-document change to its diagnostics)                     target: p99 under 20 ms
#
# /bin/true is timed in the same run as the reference: what merely starting a process costs
# here, so the numbers can be compared across machines as ratios.
#
#   bench/frontend.sh [POLICY]     (default: examples/ci-test-runner.sbx)
#
# Builds build/release first if it is missing or stale. Prints a table; exits 0 whether or not
# the targets are met (it measures, it does not gate).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

usage() { sed -n '2,24s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
case ${1:-} in
  -h | --help) usage; exit 0 ;;
  -*) usage >&2; exit 2 ;;
esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }

scripts/install-deps.sh
# Ninja rebuilds only what changed, so this is a second or two when the build is current.
build_log=$(mktemp "${TMPDIR:-/tmp}/sbxc-bench-build.XXXXXX")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sbxc-bench.XXXXXX")
trap 'rm -rf "$tmp" "$build_log"' EXIT
if ! scripts/build.sh release >"$build_log" 2>&1; then
  cat "$build_log" >&2
  echo "frontend.sh: the release build failed" >&2
  exit 1
fi
sbxc=build/release/compiler/sbxc

# `sbxc check` exits 0 (clean) or 1 (findings): both are a full run of the front end and
# linter, so both are fair to time. 2 and up mean the input was rejected, and timing an early
# exit would flatter the numbers.
checks_fully() {
  local rc=0
  "$sbxc" check "$@" >/dev/null 2>&1 || rc=$?
  [[ $rc -le 1 ]]
}

typical=${1:-examples/ci-test-runner.sbx}
[[ -f $typical ]] || { echo "frontend.sh: $typical not found" >&2; exit 1; }
checks_fully "$typical" || { echo "frontend.sh: sbxc check rejects $typical; pick a valid policy" >&2; exit 1; }

# The 1,000 files are copies of the examples that check, cycled, each with its tasks renamed
# (name_0001...) so that no two files declare the same task. Unqualified `delegate` targets are
# renamed with them, since they name tasks of the same file. The examples tree is copied alongside
# under its own names so that relative imports still resolve.
corpus="$tmp/policies"
mkdir -p "$corpus"
cp -r examples/. "$corpus/"

rename_tasks() {  # rename_tasks SRC SUFFIX > DST
  local name='[A-Za-z_][A-Za-z0-9_-]*'
  # Qualified targets (alias.task) name tasks of an imported file, which keeps its names.
  sed -E -e "s/^([[:space:]]*task[[:space:]]+)($name)/\\1\\2_$2/" \
    -e "s/^([[:space:]]*delegate[[:space:]]+)($name)([^.A-Za-z0-9_-]|\$)/\\1\\2_$2\\3/" "$1"
}

sources=()
excluded=()
while IFS= read -r -d '' example; do
  rename_tasks "$example" probe >"$corpus/probe.sbx"
  if checks_fully "$corpus/probe.sbx"; then
    sources+=("$example")
  else
    excluded+=("$example")
  fi
  rm -f "$corpus/probe.sbx"
done < <(find examples -maxdepth 1 -type f -name '*.sbx' -print0 | sort -z)
if [[ ${#excluded[@]} -gt 0 ]]; then
  echo "frontend.sh: not used for the 1,000 files (rejected once renamed): ${excluded[*]}" >&2
fi
[[ ${#sources[@]} -gt 0 ]] || { echo "frontend.sh: no example in examples/ checks cleanly" >&2; exit 1; }

files=()
for i in $(seq -w 1 1000); do
  src=${sources[$((10#$i % ${#sources[@]}))]}
  dst="$corpus/bench_${i}_$(basename "$src")"
  rename_tasks "$src" "$i" >"$dst"
  files+=("$dst")
done
checks_fully "${files[@]}" || {
  echo "frontend.sh: sbxc check rejects the generated set; first errors:" >&2
  "$sbxc" check "${files[@]}" 2>&1 | head -n 20 >&2 || true
  exit 1
}

# The fleet: 500 files of 20 tasks, ten shared libraries, 100 test files of ten assertions.
fleet="$tmp/fleet"
python3 bench/fleet_corpus.py "$fleet" 500 20 100
fleet_files=("$fleet"/fleet_*.sbx)
checks_fully "${fleet_files[@]}" || { echo "frontend.sh: sbxc check rejects the fleet" >&2; exit 1; }
"$sbxc" test "$fleet" | tail -n 1 | grep -qx '1000 passed, 0 failed' ||
  { echo "frontend.sh: the fleet's 1,000 tests do not all pass" >&2; exit 1; }

# -N runs each command without a shell, so no shell start-up is counted; -i because exit 1
# (findings) is a valid outcome, checked above.
printf '==> (a) one policy: %s (%d distinct examples in the 1,000)\n' "$typical" "${#sources[@]}"
hyperfine -N -i --style basic --warmup 10 --min-runs 200 --export-json "$tmp/a.json" \
  -n true /bin/true \
  -n check1 "$sbxc check $typical"
printf '==> (b) one run over %d files\n' "${#files[@]}"
hyperfine -N -i --style basic --warmup 2 --runs 10 --export-json "$tmp/b.json" \
  -n check1000 "taskset -c 0 $sbxc check ${files[*]}"

printf '==> (c) the fleet: %d files, 10,000 policies\n' "${#fleet_files[@]}"
hyperfine -N -i --style basic --warmup 1 --runs 5 --export-json "$tmp/c.json" \
  -n fleet-check "taskset -c 0 $sbxc check ${fleet_files[*]}"
printf '==> (d) the fleet'"'"'s 1,000 tests\n'
hyperfine -N --style basic --warmup 1 --runs 5 --export-json "$tmp/d.json" \
  -n fleet-test "taskset -c 0 $sbxc test $fleet"

printf '==> (e) the language server, one keystroke at a time\n'
python3 bench/lsp_keystroke.py "$sbxc" 300

python3 - "$tmp/a.json" "$tmp/b.json" "$tmp/c.json" "$tmp/d.json" "$typical" <<'PY'
import json, sys

results = {}
for path in sys.argv[1:5]:
    for r in json.load(open(path))["results"]:
        results[r["command"]] = r
true_ms = results["true"]["median"] * 1000
rows = [
    ("/bin/true (process start)", results["true"], None),
    (f"sbxc check {sys.argv[5]}", results["check1"], 20.0),
    ("sbxc check, 1,000 files, one core", results["check1000"], 1000.0),
    ("sbxc check, fleet of 10,000, one core", results["fleet-check"], 2000.0),
    ("sbxc test, fleet's 1,000 tests, one core", results["fleet-test"], 1000.0),
]
print()
print(f"{'case':<44} {'median':>10} {'stddev':>9} {'target':>9} {'/target':>8} {'x /bin/true':>12}")
for name, r, target in rows:
    median = r["median"] * 1000
    stddev = r["stddev"] * 1000 if r["stddev"] is not None else 0.0
    tgt = f"{target:.0f} ms" if target else "-"
    ratio = f"{median / target:.2f}" if target else "-"
    print(f"{name:<44} {median:>7.2f} ms {stddev:>6.2f} ms {tgt:>9} {ratio:>8} {median / true_ms:>12.1f}")
per_file = results["check1000"]["median"] * 1000 / 1000
print(f"\n1,000 files: {per_file:.3f} ms per file. /target below 1.00 meets the target.")
PY
