#!/usr/bin/env bash
# bench/fleet_corpus.py writes a fleet that `sbxc check` accepts clean and whose tests pass, the
# same bytes twice: bench/frontend.sh times exactly this, so it must stay valid.
#   fleet_corpus_test.sh SBXC
set -euo pipefail
sbxc=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$root/bench/fleet_corpus.py" "$work/a" 6 20 3
python3 "$root/bench/fleet_corpus.py" "$work/b" 6 20 3
diff -r "$work/a" "$work/b" >/dev/null || { echo "FAIL: two runs wrote different files"; exit 1; }
out=$("$sbxc" check "$work"/a/fleet_*.sbx 2>&1) || { echo "FAIL: sbxc check rejects the fleet:"; echo "$out" | head -20; exit 1; }
[ -z "$out" ] || { echo "FAIL: the fleet does not check clean:"; echo "$out" | head -20; exit 1; }
last=$("$sbxc" test "$work/a" | tail -n 1)
[ "$last" = "30 passed, 0 failed" ] || { echo "FAIL: sbxc test: $last"; exit 1; }
echo "PASS: 6 files of 20 tasks check clean, 30 tests pass, deterministic"
