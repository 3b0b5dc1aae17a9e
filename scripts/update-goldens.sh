#!/usr/bin/env bash
# Regenerates tests/goldens (every artifact of every example, tests/goldens/README.md) in place.
#
#   scripts/update-goldens.sh [BUILD_DIR]     (default: build/release)
#
# Run it after a change that is meant to change an output, and commit the goldens' diff with the
# change, so that review sees what the change does to every artifact. The new tree is generated
# beside the old one and swapped in only when generation succeeded.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/release}
sbxc=$build/compiler/sbxc
if [[ ! -x $sbxc ]]; then
  echo "update-goldens.sh: no $sbxc; build it first (scripts/build.sh release)" >&2
  exit 2
fi
goldens=$root/tests/goldens

# On the same file system as the goldens, so that the swap below is a few renames.
fresh=$(mktemp -d "$root/tests/.goldens-new.XXXXXX")
stale=$(mktemp -d "$root/tests/.goldens-old.XXXXXX")
trap 'rm -rf "$fresh" "$stale"' EXIT
"$goldens/generate.sh" "$sbxc" "$fresh"

# Everything generated lives in the example directories and MANIFEST; the scripts and the README
# beside them stay.
shopt -s nullglob
for entry in "$goldens"/*/ "$goldens/MANIFEST"; do
  [[ -e $entry ]] && mv "${entry%/}" "$stale/"
done
mv "$fresh"/* "$goldens/"
echo "update-goldens.sh: regenerated tests/goldens with $sbxc"
git -C "$root" status --short -- tests/goldens | head -n 20
