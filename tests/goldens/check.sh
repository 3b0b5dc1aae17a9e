#!/usr/bin/env bash
# The goldens test (ctest `goldens/artifacts`): regenerates every artifact of every example with
# the given sbxc and compares the result with tests/goldens byte for byte.
#
#   tests/goldens/check.sh SBXC
#
# On a difference it prints `diff -ru` (golden first) and the command that accepts the change.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 SBXC" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

# sbxc fsyncs every file it writes (util/atomic_file.cc): on tmpfs that costs nothing, on a busy
# disk it makes the test take 20 s instead of 4.
tmp=${TMPDIR:-/tmp}
[[ -n ${TMPDIR:-} || ! -d /dev/shm || ! -w /dev/shm ]] || tmp=/dev/shm
work=$(mktemp -d "$tmp/sbx-goldens.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$here/generate.sh" "$1" "$work/actual"

# The goldens directory also holds this script, generate.sh and README.md: compare the rest,
# after making sure no artifact has one of those names (it would be skipped).
if find "$work/actual" \( -name check.sh -o -name generate.sh -o -name README.md \) | grep -q .; then
  echo "check.sh: an artifact is named like a file of tests/goldens itself; rename one of them" >&2
  exit 1
fi
status=0
diff -ru --exclude=check.sh --exclude=generate.sh --exclude=README.md "$here" "$work/actual" \
  | sed -e "s|$work/actual|(now)|g" -e "s|$root/||g" || status=$?
if [[ $status -ne 0 ]]; then
  build=$(realpath "$1")
  build=${build%/compiler/sbxc}
  echo
  echo "The artifacts differ from tests/goldens (above: - golden, + now). If the change is intended,"
  echo "update the goldens and commit the diff with the change that caused it:"
  echo "  scripts/update-goldens.sh ${build#"$root"/}"
  exit 1
fi
echo "goldens: $(find "$work/actual" -type f | wc -l) files identical"
